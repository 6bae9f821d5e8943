"""The rule book: the rules of all loaded packs, and the answers they give for a unit on a date.

Layers: a province pack's rule, when in force, wins over the national rule of the same kind and key.
Pure: reads YAML files and domain dataclasses; imports nothing from the database or the web.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any, TypeVar

from tinhgon.domain.units import Kind, Level, Region, Unit
from tinhgon.errors import Failure
from tinhgon.rules import loader
from tinhgon.rules.loader import LoadedPack, LoadedRule
from tinhgon.rules.results import (
    AgeLimit,
    Arrangement,
    BaseSalary,
    CommuneClassAnswer,
    CommuneFund,
    CommuneQuota,
    CommuneStandard,
    Consultation,
    Governance,
    GroupFund,
    GroupTitles,
    HouseholdStandard,
    NewCommuneCheck,
    Notice,
    Procedure,
    ProcedureStepAnswer,
    RegionAnswer,
    ReleaseSupport,
    RuleRef,
    ShareSetting,
    SizeMax,
    Status,
)
from tinhgon.rules.schema import (
    BaseSalaryRule,
    CommuneArrangementRule,
    CommuneClassPointsRule,
    CommunePartTimeEndRule,
    CommunePartTimeFundRule,
    CommunePartTimeQuotaRule,
    CommuneStandardRule,
    ConcurrentPayShareRule,
    ConsultationRule,
    FundCondition,
    GovernanceRule,
    GroupFundRule,
    GroupSizeMaxRule,
    GroupTitlesRule,
    HouseholdStandardRule,
    MergeBandsRule,
    NewCommuneCriteriaRule,
    NoticeRule,
    ProcedureRule,
    ProvinceRegionsRule,
    ReleaseSupportRule,
    RuleBase,
    TitleAgeLimitRule,
    TitleEntry,
)
from tinhgon.rules.vnformat import format_date, round_vnd

R = TypeVar("R", bound=RuleBase)


class RuleError(Failure):
    """The rules cannot answer: no rule in force, or the unit lacks the data a rule needs."""


class NoRuleInForce(RuleError):
    def __init__(self, what: str, on: dt.date, province_code: str | None = None) -> None:
        where = f" (tỉnh {province_code})" if province_code else ""
        super().__init__(f"không có quy định về {what} có hiệu lực ngày {format_date(on)}{where} "
                         f"(no rule in force)")


class MissingUnitData(RuleError):
    def __init__(self, unit: Unit, what: str) -> None:
        super().__init__(f"{unit.code} ({unit.name}): thiếu {what} (missing unit data)")


def _dec(x: float | int) -> Decimal:
    return Decimal(str(x))


def _level_key(level: Level | str) -> str:
    value = level.value if isinstance(level, Level) else str(level)
    if value not in ("residential_group", "commune", "province"):
        raise RuleError(f"không có quy tắc lấy ý kiến cho cấp {value!r} (no consultation rule for this level)")
    return value


class RuleBook:
    """All rules of the loaded packs. Build with :meth:`load_default` or :meth:`load`."""

    def __init__(self, packs: Sequence[LoadedPack], rules: Sequence[LoadedRule],
                 titles: dict[str, TitleEntry], skipped: Sequence[LoadedPack] = ()) -> None:
        self.packs = list(packs)
        self.skipped = list(skipped)
        self.titles = titles
        self._rules = list(rules)
        self._by_layer: dict[str | None, list[LoadedRule]] = {}
        for lr in self._rules:
            self._by_layer.setdefault(lr.layer, []).append(lr)

    # --- loading ----------------------------------------------------------------------------------

    @classmethod
    def load(cls, paths: Iterable[str | os.PathLike[str]], *,
             titles_file: str | os.PathLike[str] = loader.TITLES_FILE) -> RuleBook:
        """Load the given pack files and folders (a folder gives its *.yaml files, in name order)."""
        titles = loader.load_titles(Path(titles_file))
        packs, rules, skipped = loader.build(loader.expand_paths(paths), titles)
        return cls(packs, rules, titles, skipped)

    @classmethod
    def load_default(cls, extra: Iterable[str | os.PathLike[str]] = (), *, use_env: bool = True) -> RuleBook:
        """The packs shipped with tinhgon (national, provinces), then $TINHGON_RULE_PACKS, then ``extra``."""
        paths: list[str | os.PathLike[str]] = [*loader.DEFAULT_DIRS]
        if use_env:
            paths.extend(loader.env_paths())
        paths.extend(extra)
        return cls.load(paths)

    # --- introspection ----------------------------------------------------------------------------

    def refs(self) -> list[RuleRef]:
        return [lr.ref() for lr in self._rules]

    def assumptions(self) -> list[RuleRef]:
        """Every rule whose figure or dates are tagged M, or that comes from an example pack."""
        return [r for r in self.refs() if r.is_assumption]

    def rules_in_force(self, on: dt.date, province_code: str | None = None) -> list[RuleRef]:
        return [lr.ref() for lr in self._rules
                if lr.in_force(on) and lr.layer in (None, province_code)]

    def rule(self, rule_id: str) -> RuleRef:
        for lr in self._rules:
            if lr.rule.id == rule_id:
                return lr.ref()
        raise KeyError(rule_id)

    # --- lookup -----------------------------------------------------------------------------------

    def _find(self, types: type[R] | tuple[type[Any], ...], on: dt.date, province: str | None,
              pred: Callable[[Any], bool] = lambda _r: True) -> LoadedRule | None:
        for layer in ([province] if province else []) + [None]:
            found = [lr for lr in self._by_layer.get(layer, ())
                     if isinstance(lr.rule, types) and lr.in_force(on) and pred(lr.rule)]
            if found:
                # a layer holds one rule per key on a day; the latest start is the most specific
                return max(found, key=lambda lr: lr.valid_from or dt.date.min)
        return None

    def _need(self, types: type[R], on: dt.date, province: str | None, what: str,
              pred: Callable[[Any], bool] = lambda _r: True) -> tuple[R, RuleRef]:
        lr = self._find(types, on, province, pred)
        if lr is None:
            raise NoRuleInForce(what, on, province)
        return lr.rule, lr.ref()  # type: ignore[return-value]

    @staticmethod
    def _province(unit: Unit, commune: Unit | None = None) -> str | None:
        return unit.province_code or (commune.province_code if commune else None)

    # --- money ------------------------------------------------------------------------------------

    def base_salary(self, on: dt.date) -> BaseSalary:
        rule, ref = self._need(BaseSalaryRule, on, None, "mức lương cơ sở")
        return BaseSalary(on, rule.amount, (ref,))

    # --- regions and residential groups -----------------------------------------------------------

    def region_of(self, unit: Unit, on: dt.date, *, commune: Unit | None = None) -> RegionAnswer:
        for u in (unit, commune):
            if u is not None and u.region is not None:
                return RegionAnswer(Region(u.region).value, True, ())
        province = self._province(unit, commune)
        if province is None:
            raise MissingUnitData(unit, "vùng (region) hoặc mã tỉnh (province_code)")
        for lr in self._by_layer.get(None, ()):
            if isinstance(lr.rule, ProvinceRegionsRule) and lr.in_force(on):
                for p in lr.rule.provinces:
                    if p.code == province:
                        return RegionAnswer(p.region, False, (lr.ref(),))
        raise NoRuleInForce(f"vùng của tỉnh mã {province}", on)

    @staticmethod
    def group_type(unit: Unit) -> str:
        return "to_dan_pho" if unit.kind.is_urban_group else "thon"

    @staticmethod
    def _border_or_island(unit: Unit, commune: Unit | None) -> bool:
        return any(u is not None and (u.border or u.island) for u in (unit, commune))

    @staticmethod
    def _security_key(unit: Unit, commune: Unit | None) -> bool:
        return any(u is not None and u.security_key for u in (unit, commune))

    @staticmethod
    def _require_group(unit: Unit) -> None:
        if unit.level != Level.RESIDENTIAL_GROUP:
            raise RuleError(f"{unit.code}: không phải thôn, tổ dân phố (not a residential group)")

    def household_standard(self, unit: Unit, on: dt.date, *, commune: Unit | None = None) -> HouseholdStandard:
        """Standard households of a thôn / tổ dân phố and its status (must merge / encouraged / meets)."""
        self._require_group(unit)
        gt = self.group_type(unit)
        province = self._province(unit, commune)
        refs: list[RuleRef] = []
        refs_region: tuple[RuleRef, ...] = ()
        if self._border_or_island(unit, commune):
            area = "border_island"
        else:
            reg = self.region_of(unit, on, commune=commune)
            area = reg.region
            refs_region = reg.refs
        rule, ref = self._need(HouseholdStandardRule, on, province, f"tiêu chuẩn số hộ ({area}, {gt})",
                               lambda r: r.area == area and r.group_type == gt)
        refs.append(ref)
        refs.extend(refs_region)
        bands_lr = self._find(MergeBandsRule, on, province)
        status = None
        ratio = None
        must = enc = None
        if unit.households is not None:
            exact = Decimal(unit.households) / Decimal(rule.households)
            ratio = float(exact)
            if bands_lr is not None:
                bands: MergeBandsRule = bands_lr.rule  # type: ignore[assignment]
                must, enc = bands.must_merge_below, bands.encouraged_below
                refs.insert(1, bands_lr.ref())
                if exact < _dec(must):
                    status = Status.MUST_MERGE
                elif exact < _dec(enc):
                    status = Status.ENCOURAGED
                else:
                    status = Status.MEETS
        notices = self.notices(Level.RESIDENTIAL_GROUP, on, province)
        refs.extend(n.ref for n in notices)
        return HouseholdStandard(unit.code, gt, area, rule.households, unit.households, ratio, status,
                                 must, enc, tuple(refs), tuple(n.text for n in notices))

    def group_size_max(self, unit: Unit, on: dt.date, *, commune: Unit | None = None) -> SizeMax | None:
        """The largest size a pack allows for this kind of group, if any pack sets one."""
        gt = self.group_type(unit)
        province = self._province(unit, commune)
        lr = self._find(GroupSizeMaxRule, on, province, lambda r: r.group_type == gt) or \
            self._find(GroupSizeMaxRule, on, province, lambda r: r.group_type == "any")
        if lr is None:
            return None
        return SizeMax(lr.rule.households, (lr.ref(),))  # type: ignore[attr-defined]

    def _condition_holds(self, cond: FundCondition, unit: Unit, commune: Unit | None) -> bool:
        gt = self.group_type(unit)
        if cond.group_type is not None and cond.group_type != gt:
            return False
        if cond.min_households is not None and (unit.households is None or unit.households < cond.min_households):
            return False
        if cond.security_key is not None and cond.security_key != self._security_key(unit, commune):
            return False
        if cond.border_or_island is not None and cond.border_or_island != self._border_or_island(unit, commune):
            return False
        if cond.formerly_thon_min_households is not None:
            # households the unit had as a thôn, recorded by the registry when it became a tổ dân phố
            raw = unit.extra.get("formerly_thon_households")
            if raw is None or not str(raw).isdigit() or int(raw) < cond.formerly_thon_min_households:
                return False
        return True

    def group_fund(self, unit: Unit, on: dt.date, *, commune: Unit | None = None) -> GroupFund:
        """Monthly allowance fund of a thôn / tổ dân phố: coefficient of its tier × base salary."""
        self._require_group(unit)
        province = self._province(unit, commune)
        rule, ref = self._need(GroupFundRule, on, province, "khoán quỹ phụ cấp thôn, tổ dân phố")
        base = self.base_salary(on)
        for tier in rule.tiers:
            if not tier.any_of or any(self._condition_holds(c, unit, commune) for c in tier.any_of):
                coef = _dec(tier.coefficient)
                monthly = round_vnd(coef * base.amount)
                return GroupFund(unit.code, tier.id, tier.label, coef, base.amount, monthly, (ref, *base.refs))
        raise AssertionError("schema guarantees a catch-all last tier")

    def group_titles(self, unit: Unit, on: dt.date, *, commune: Unit | None = None) -> GroupTitles:
        """The part-time titles a thôn / tổ dân phố may have and their number."""
        province = self._province(unit, commune)
        rule, ref = self._need(GroupTitlesRule, on, province, "chức danh ở thôn, tổ dân phố")
        pairs = tuple((p[0], p[1]) for p in rule.encouraged_pairs)
        return GroupTitles(tuple(rule.titles), rule.max_titles, rule.concurrency_encouraged, pairs, (ref,))

    def notices(self, level: Level | str, on: dt.date, province_code: str | None = None) -> list[Notice]:
        value = level.value if isinstance(level, Level) else level
        out = []
        for layer in ([province_code] if province_code else []) + [None]:
            for lr in self._by_layer.get(layer, ()):
                if isinstance(lr.rule, NoticeRule) and lr.rule.level == value and lr.in_force(on):
                    out.append(Notice(lr.rule.text, (lr.ref(),)))
        return out

    # --- consultation, procedure, governance ------------------------------------------------------

    def consultation(self, level: Level | str, on: dt.date, province_code: str | None = None) -> Consultation:
        """The approval rule of a consultation on changing units of ``level``."""
        key = _level_key(level)
        rule, ref = self._need(ConsultationRule, on, province_code, f"lấy ý kiến ({key})",
                               lambda r: r.level == key)
        return Consultation(key, rule.basis, rule.threshold, rule.comparison, rule.each_unit, rule.max_rounds,
                            rule.one_form_per_household, rule.within_days, (ref,))

    def governance(self, commune: Unit, on: dt.date, *, parent: Unit | None = None) -> Governance:
        """Whether the commune has a People's Council on ``on`` (urban-government pilots remove it)."""
        province = commune.province_code or (parent.province_code if parent else None)

        def applies(r: GovernanceRule) -> bool:
            s = r.applies_to
            if s.commune_kinds and commune.kind.value not in s.commune_kinds:
                return False
            if not (s.parent_kinds or s.parent_codes):
                return True
            return parent is not None and (parent.kind.value in s.parent_kinds or parent.code in s.parent_codes)

        lr = self._find(GovernanceRule, on, province, lambda r: r.setting == "no_commune_peoples_council")
        if lr is not None and applies(lr.rule):  # type: ignore[arg-type]
            return Governance(commune.code, False, tuple(lr.rule.details), (lr.ref(),))  # type: ignore[attr-defined]
        return Governance(commune.code, True, (), ())

    def procedure(self, on: dt.date, *, commune: Unit | None = None, commune_parent: Unit | None = None,
                  province_code: str | None = None) -> Procedure:
        """Steps to merge, split or set up a thôn / tổ dân phố, with working days."""
        province = province_code or (commune.province_code if commune else None)
        rule, ref = self._need(ProcedureRule, on, province, "trình tự thành lập, sáp nhập thôn, tổ dân phố")
        refs = [ref]
        council = True
        if commune is not None:
            gov = self.governance(commune, on, parent=commune_parent)
            council = gov.has_commune_council
            refs.extend(gov.refs)
        steps = []
        for s in rule.steps:
            if s.requires_commune_council and not council:
                continue
            days = s.working_days
            if not council and s.working_days_without_commune_council is not None:
                days = s.working_days_without_commune_council
            steps.append(ProcedureStepAnswer(s.id, s.name_vi, s.actor, days, s.tag or rule.tag))
        return Procedure(council, tuple(steps), tuple(refs))

    # --- commune level ----------------------------------------------------------------------------

    @staticmethod
    def commune_category(commune: Unit, parent: Unit | None = None) -> str:
        override = commune.extra.get("standard_category")
        if override:
            return str(override)
        if commune.kind == Kind.XA:
            return "xa_mien_nui" if commune.mountainous else "xa"
        if commune.kind == Kind.PHUONG and parent is not None:
            by_parent = {Kind.QUAN: "phuong_quan", Kind.THANH_PHO_TINH: "phuong_thanh_pho",
                         Kind.THI_XA: "phuong_thi_xa"}
            if parent.kind in by_parent:
                return by_parent[parent.kind]
        raise MissingUnitData(commune, "loại tiêu chuẩn (extra['standard_category']) hoặc cấp trên để xác định")

    def commune_standard(self, commune: Unit, on: dt.date, *, parent: Unit | None = None) -> CommuneStandard:
        """Population and area standard of a commune-level unit (NQ 1211/2016) and how far it reaches it."""
        cat = self.commune_category(commune, parent)
        rule, ref = self._need(CommuneStandardRule, on, commune.province_code, f"tiêu chuẩn đơn vị cấp xã ({cat})",
                               lambda r: r.category == cat)
        pop_pct = commune.population / rule.population if commune.population is not None else None
        area_pct = commune.area_km2 / rule.area_km2 if commune.area_km2 is not None else None
        return CommuneStandard(commune.code, cat, rule.population, rule.area_km2, pop_pct, area_pct, (ref,))

    def commune_arrangement(self, commune: Unit, on: dt.date, *, parent: Unit | None = None) -> Arrangement:
        """Whether a commune must be arranged in the period in force (NQ 35/2023 criteria)."""
        rule, ref = self._need(CommuneArrangementRule, on, commune.province_code, "tiêu chí sắp xếp đơn vị cấp xã")
        std = self.commune_standard(commune, on, parent=parent)
        if std.population_pct is None or std.area_pct is None:
            raise MissingUnitData(commune, "dân số hoặc diện tích")
        matched = []
        for c in rule.any_of:
            ok = True
            if c.area_below_pct is not None and not std.area_pct * 100 < c.area_below_pct:
                ok = False
            if c.population_below_pct is not None and not std.population_pct * 100 < c.population_below_pct:
                ok = False
            if ok:
                parts = []
                if c.area_below_pct is not None:
                    parts.append(f"diện tích < {c.area_below_pct:g} %")
                if c.population_below_pct is not None:
                    parts.append(f"dân số < {c.population_below_pct:g} %")
                matched.append(" và ".join(parts))
        return Arrangement(commune.code, rule.period, bool(matched), tuple(matched), (ref, *std.refs))

    def new_commune_check(self, unit: Unit, on: dt.date, *, context: str = "other",
                          parent: Unit | None = None) -> NewCommuneCheck:
        """Whether a commune formed by a merger meets the criteria for a new commune (NQ 76/2025)."""
        if unit.kind == Kind.PHUONG:
            category = "phuong"
        elif unit.kind == Kind.XA:
            category = "xa_mien_nui" if unit.mountainous else "xa"
        else:
            raise MissingUnitData(unit, "loại xã/phường để áp tiêu chí đơn vị mới")
        rule, ref = self._need(
            NewCommuneCriteriaRule, on, unit.province_code, f"tiêu chí đơn vị cấp xã mới ({category})",
            lambda r: r.category == category and r.context in (context, "any"))
        failures: list[str] = []
        refs = [ref]
        if rule.min_area_pct is not None or rule.min_population_pct is not None:
            std = self.commune_standard(unit, on, parent=parent)
            refs.extend(std.refs)
            if rule.min_area_pct is not None and (std.area_pct is None or std.area_pct * 100 < rule.min_area_pct):
                failures.append(f"diện tích dưới {rule.min_area_pct:g} % tiêu chuẩn")
            if rule.min_population_pct is not None and (
                    std.population_pct is None or std.population_pct * 100 < rule.min_population_pct):
                failures.append(f"dân số dưới {rule.min_population_pct:g} % tiêu chuẩn")
        if rule.min_area_km2 is not None and (unit.area_km2 is None or unit.area_km2 < rule.min_area_km2):
            failures.append(f"diện tích dưới {rule.min_area_km2:g} km²")
        if rule.min_population is not None and (unit.population is None or unit.population < rule.min_population):
            failures.append(f"dân số dưới {rule.min_population}")
        return NewCommuneCheck(unit.code, category, not failures, tuple(failures), tuple(refs))

    def commune_class_from_points(self, points: float, on: dt.date,
                                  province_code: str | None = None) -> CommuneClassAnswer:
        rule, ref = self._need(CommuneClassPointsRule, on, province_code, "phân loại đơn vị cấp xã")
        for t in sorted(rule.thresholds, key=lambda t: -t.min_points):
            if points >= t.min_points:
                return CommuneClassAnswer(points, t.commune_class, (ref,))
        raise RuleError(f"{points} điểm: không đạt ngưỡng nào (no class threshold reached)")

    def commune_part_time_quota(self, commune: Unit, on: dt.date, *, parent: Unit | None = None) -> CommuneQuota:
        """Maximum number of commune part-time workers (người hoạt động không chuyên trách cấp xã)."""
        province = commune.province_code or (parent.province_code if parent else None)
        lr = self._find((CommunePartTimeQuotaRule, CommunePartTimeEndRule), on, province)
        if lr is None:
            raise NoRuleInForce("số lượng người hoạt động không chuyên trách cấp xã", on, province)
        if isinstance(lr.rule, CommunePartTimeEndRule):
            return CommuneQuota(commune.code, commune.commune_class, True, 0, 0, 0, (lr.ref(),))
        rule: CommunePartTimeQuotaRule = lr.rule  # type: ignore[assignment]
        cls = commune.commune_class
        if cls is None:
            raise MissingUnitData(commune, "phân loại đơn vị hành chính (commune_class)")
        if cls not in rule.by_class:
            raise RuleError(f"{commune.code}: quy tắc {rule.id} không quy định cho loại {cls} (class not covered)")
        refs = [lr.ref()]
        extra_pop = extra_area = 0
        detail = ""
        if rule.extras is not None:
            try:
                std = self.commune_standard(commune, on, parent=parent)
            except RuleError as exc:
                detail = f"Chưa tính số tăng thêm: {exc}"
            else:
                refs.extend(std.refs)
                urban_ward = commune.kind == Kind.PHUONG and parent is not None and parent.kind == Kind.QUAN
                div = rule.extras.urban_ward_population_divisor if urban_ward else \
                    rule.extras.other_population_divisor
                if commune.population is not None and commune.population > std.population_standard:
                    # one more per full (standard / divisor) people above the standard
                    extra_pop = (commune.population - std.population_standard) * div // std.population_standard
                if commune.area_km2 is not None and commune.area_km2 > std.area_standard_km2:
                    over = (_dec(commune.area_km2) - _dec(std.area_standard_km2)) * rule.extras.area_divisor
                    extra_area = int((over / _dec(std.area_standard_km2)).to_integral_value(ROUND_FLOOR))
        return CommuneQuota(commune.code, cls, False, rule.by_class[cls], extra_pop, extra_area, tuple(refs),
                            detail)

    def commune_part_time_fund(self, commune: Unit, on: dt.date, *, parent: Unit | None = None) -> CommuneFund:
        """Monthly allowance fund for commune part-time workers: (class coefficient + per extra) × base."""
        quota = self.commune_part_time_quota(commune, on, parent=parent)
        if quota.ended:
            return CommuneFund(commune.code, True, Decimal(0), 0, Decimal(0), 0, 0, quota.refs)
        province = commune.province_code or (parent.province_code if parent else None)
        rule, ref = self._need(CommunePartTimeFundRule, on, province, "khoán quỹ phụ cấp không chuyên trách cấp xã")
        cls = quota.commune_class
        if cls is None or cls not in rule.by_class:
            raise RuleError(f"{commune.code}: quy tắc {rule.id} không quy định cho loại {cls} (class not covered)")
        base = self.base_salary(on)
        coef = _dec(rule.by_class[cls])
        per = _dec(rule.per_extra_person)
        monthly = round_vnd((coef + per * quota.extra) * base.amount)
        return CommuneFund(commune.code, False, coef, quota.extra, per, base.amount, monthly,
                           (ref, *quota.refs, *base.refs))

    # --- province settings ------------------------------------------------------------------------

    def concurrent_pay_share(self, province_code: str | None, on: dt.date) -> ShareSetting:
        """Share of the second title's allowance a concurrent holder receives (a province setting)."""
        rule, ref = self._need(ConcurrentPayShareRule, on, province_code, "mức hưởng khi kiêm nhiệm")
        return ShareSetting(province_code, _dec(rule.share), (ref,))

    def title_age_limits(self, on: dt.date, province_code: str | None = None) -> dict[str, AgeLimit]:
        """The age limit of every title that has one on ON (rules of kind ``title_age_limit``), each
        with its rule. Per title, a province's rule in force wins over the national one; titles
        without a rule have no limit (absent from the answer)."""
        out: dict[str, AgeLimit] = {}
        for layer in [None, *([province_code] if province_code else [])]:  # the province last: it wins
            for lr in self._by_layer.get(layer, ()):
                if isinstance(lr.rule, TitleAgeLimitRule) and lr.in_force(on):
                    for code in lr.rule.titles:
                        out[code] = AgeLimit(code, lr.rule.max_age, (lr.ref(),))
        return out

    def title_age_limit(self, title_code: str, on: dt.date, province_code: str | None = None) -> AgeLimit | None:
        """The age limit of one title on ON, or None when no rule sets one."""
        return self.title_age_limits(on, province_code).get(title_code)

    def release_support(self, province_code: str | None, on: dt.date, *, monthly_allowance: int,
                        years_of_service: float) -> ReleaseSupport:
        """One-off support to a part-time worker released by a merger (a province setting)."""
        rule, ref = self._need(ReleaseSupportRule, on, province_code, "hỗ trợ người thôi làm việc")
        months = max(_dec(rule.min_months), _dec(rule.months_of_allowance_per_year) * _dec(years_of_service))
        refs: tuple[RuleRef, ...] = (ref,)
        lump = 0
        if rule.lump_sum_base_salary:
            base = self.base_salary(on)
            lump = round_vnd(_dec(rule.lump_sum_base_salary) * base.amount)
            refs = (ref, *base.refs)
        amount = round_vnd(months * monthly_allowance) + lump
        return ReleaseSupport(province_code, months, monthly_allowance, lump, amount, rule.placeholder, refs)
