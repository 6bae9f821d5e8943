"""The audit of a unit's grassroots organisation on a date, as pure logic.

Input: the root unit, its descendants in force on the date (linked by ``parent_id``), the title
holdings, people and title types, and a rule book. Output: an :class:`AuditReport` with the figures the
review reports of the seed articles quote (groups by status and size band, titles above quota and
vacant, concurrent holdings by kind, allowance budget), each backed by the rules that produced it.
The database and the command line are wired elsewhere; renderers live in ``tinhgon.rules.render``.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from tinhgon.domain.people import Person, TitleGroup, TitleHolding, TitleType
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.rules.book import RuleBook, RuleError
from tinhgon.rules.results import RuleRef, Status

SECRETARY = "bi_thu_chi_bo"
HEAD = "to_truong"
FRONT = "truong_ban_ctmt"

# The kinds of concurrent holding the review reports count (seeds 000 and 002).
CONCURRENCY_KINDS: dict[str, str] = {
    "secretary_head": "bí thư chi bộ kiêm tổ trưởng tổ dân phố/trưởng thôn",
    "secretary_front": "bí thư chi bộ kiêm trưởng ban công tác Mặt trận",
    "head_front": "tổ trưởng tổ dân phố/trưởng thôn kiêm trưởng ban công tác Mặt trận",
    "commune_part_time_group_title": "người hoạt động không chuyên trách cấp xã kiêm chức danh ở thôn, tổ dân phố",
    "commune_official_group_title": "cán bộ, công chức cấp xã kiêm chức danh ở thôn, tổ dân phố",
    "commune_part_time_multi": "người hoạt động không chuyên trách cấp xã kiêm nhiều chức danh cấp xã",
}
_PAIR_KINDS = (("secretary_head", SECRETARY, HEAD), ("secretary_front", SECRETARY, FRONT),
               ("head_front", HEAD, FRONT))


def count_vi(x: int) -> str:
    """A count as the review reports write it: two digits below ten ("05 tổ"), else "1.144"."""
    from tinhgon.rules.vnformat import format_int

    return f"{x:02d}" if 0 <= x < 10 else format_int(x)


@dataclass(slots=True)
class GroupRow:
    unit_id: int
    code: str
    name: str
    kind_vi: str
    commune_code: str | None
    households: int | None
    standard: int | None = None
    ratio: float | None = None
    status: str | None = None
    band: str | None = None
    oversized: bool = False
    fund_tier: str | None = None
    fund_coefficient: Decimal | None = None
    fund_monthly: int | None = None
    max_titles: int | None = None
    titles_held: list[str] = field(default_factory=list)
    vacant: list[str] = field(default_factory=list)
    over_quota: list[str] = field(default_factory=list)
    concurrency: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class BandCount:
    key: str          # "<450", "450-<600", ">=600"
    label_vi: str
    lower: int | None
    upper: int | None
    count: int
    units: list[str]


@dataclass(slots=True)
class OverQuota:
    unit_code: str
    level: str         # "residential_group" | "commune"
    title_code: str | None
    held: int
    allowed: int
    reason_vi: str


@dataclass(slots=True)
class Vacancy:
    unit_code: str
    title_code: str


@dataclass(slots=True)
class ConcurrencyCount:
    kind: str
    label_vi: str
    cases: int         # groups for pair kinds; people otherwise
    people: int
    titles: int        # titles held concurrently (beyond each person's first) for the kind
    units: list[str]

    def sentence_vi(self) -> str:
        """The review reports' wording: "05 tổ có BTCB kiêm ...", "07 người ... kiêm 09 chức danh"."""
        n = count_vi
        if self.kind in ("secretary_head", "secretary_front", "head_front"):
            return f"{n(self.cases)} thôn, tổ dân phố có {self.label_vi}"
        if self.kind == "commune_part_time_multi":
            return f"{n(self.people)} người hoạt động không chuyên trách cấp xã kiêm {n(self.titles)} chức danh"
        return f"{n(self.people)} {self.label_vi} ({n(self.titles)} chức danh)"


@dataclass(slots=True)
class CommuneRow:
    unit_id: int
    code: str
    name: str
    commune_class: int | None
    has_council: bool | None = None
    quota: int | None = None
    ended: bool = False
    people: int = 0
    titles: int = 0
    fund_coefficient: Decimal | None = None
    fund_monthly: int | None = None
    groups: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Budget:
    base_salary: int | None
    group_monthly: int
    commune_monthly: int
    groups_counted: int
    groups_missing: int
    communes_counted: int

    @property
    def monthly(self) -> int:
        return self.group_monthly + self.commune_monthly

    @property
    def annual(self) -> int:
        return self.monthly * 12


@dataclass(slots=True)
class AuditReport:
    root_code: str
    root_name: str
    on: dt.date
    groups: list[GroupRow]
    status_counts: dict[str, int]
    bands: list[BandCount]
    unknown_size: list[str]
    oversized_threshold: int | None
    oversized_source: str | None
    oversized: list[str]
    over_quota: list[OverQuota]
    vacancies: list[Vacancy]
    concurrency: list[ConcurrencyCount]
    communes: list[CommuneRow]
    budget: Budget
    problems: list[str]
    basis: list[RuleRef]
    notices: list[str] = field(default_factory=list)
    title_names: dict[str, str] = field(default_factory=dict)  # code -> Vietnamese name, for renderers

    def title_name(self, code: str | None) -> str:
        return self.title_names.get(code, code) if code else ""

    @property
    def group_count(self) -> int:
        return len(self.groups)

    def to_dict(self) -> dict[str, Any]:
        """Stable English keys; money in whole đồng, coefficients as strings (exact decimals)."""
        def dec(x: Decimal | None) -> str | None:
            return None if x is None else format(x.normalize(), "f")

        return {
            "root": {"code": self.root_code, "name": self.root_name},
            "date": self.on.isoformat(),
            "summary": {
                "groups": self.group_count,
                "status": dict(self.status_counts),
                "bands": [{"key": b.key, "label_vi": b.label_vi, "min": b.lower, "max": b.upper,
                           "count": b.count, "units": list(b.units)} for b in self.bands],
                "unknown_size": list(self.unknown_size),
                "oversized": {"threshold": self.oversized_threshold, "source": self.oversized_source,
                              "count": len(self.oversized), "units": list(self.oversized)},
            },
            "titles": {
                "over_quota": [{"unit": o.unit_code, "level": o.level, "title": o.title_code, "held": o.held,
                                "allowed": o.allowed, "reason_vi": o.reason_vi} for o in self.over_quota],
                "vacant": [{"unit": v.unit_code, "title": v.title_code} for v in self.vacancies],
            },
            "concurrency": [{"kind": c.kind, "label_vi": c.label_vi, "cases": c.cases, "people": c.people,
                             "titles": c.titles, "units": list(c.units), "sentence_vi": c.sentence_vi()}
                            for c in self.concurrency],
            "budget": {"base_salary": self.budget.base_salary, "group_monthly": self.budget.group_monthly,
                       "commune_monthly": self.budget.commune_monthly, "monthly": self.budget.monthly,
                       "annual": self.budget.annual, "groups_counted": self.budget.groups_counted,
                       "groups_missing": self.budget.groups_missing,
                       "communes_counted": self.budget.communes_counted},
            "groups": [{
                "code": g.code, "name": g.name, "kind": g.kind_vi, "commune": g.commune_code,
                "households": g.households, "standard": g.standard, "ratio": g.ratio, "status": g.status,
                "band": g.band, "oversized": g.oversized, "fund_tier": g.fund_tier,
                "fund_coefficient": dec(g.fund_coefficient), "fund_monthly": g.fund_monthly,
                "max_titles": g.max_titles, "titles_held": list(g.titles_held), "vacant": list(g.vacant),
                "over_quota": list(g.over_quota), "concurrency": list(g.concurrency),
                "problems": list(g.problems),
            } for g in self.groups],
            "communes": [{
                "code": c.code, "name": c.name, "class": c.commune_class, "has_council": c.has_council,
                "part_time_quota": c.quota, "part_time_ended": c.ended, "part_time_people": c.people,
                "part_time_titles": c.titles, "fund_coefficient": dec(c.fund_coefficient),
                "fund_monthly": c.fund_monthly, "groups": c.groups, "problems": list(c.problems),
            } for c in self.communes],
            "problems": list(self.problems),
            "notices": list(self.notices),
            "basis": [r.to_dict() for r in self.basis],
        }


# --- helpers --------------------------------------------------------------------------------------

def band_labels(bands: Sequence[int]) -> list[tuple[str, str, int | None, int | None]]:
    """(key, Vietnamese label, lower, upper) for each band; bands (450, 600) give three bands."""
    from tinhgon.rules.vnformat import format_int

    out: list[tuple[str, str, int | None, int | None]] = [
        (f"<{bands[0]}", f"dưới {format_int(bands[0])} hộ", None, bands[0])]
    for lo, hi in pairwise(bands):
        out.append((f"{lo}-<{hi}", f"từ {format_int(lo)} đến dưới {format_int(hi)} hộ", lo, hi))
    out.append((f">={bands[-1]}", f"từ {format_int(bands[-1])} hộ trở lên", bands[-1], None))
    return out


def _check_bands(bands: Sequence[int]) -> None:
    if not bands or any(not isinstance(b, int) or b <= 0 for b in bands) or \
            any(a >= b for a, b in pairwise(bands)):
        raise BadInput(f"ngưỡng quy mô {list(bands)} phải là các số nguyên dương tăng dần "
                       f"(size bands must be increasing positive integers)")


class _Basis:
    """Collects the rules used, once each."""

    def __init__(self) -> None:
        self._refs: dict[str, RuleRef] = {}

    def add(self, refs: Iterable[RuleRef]) -> None:
        for r in refs:
            self._refs.setdefault(r.rule_id, r)

    def sorted(self) -> list[RuleRef]:
        return sorted(self._refs.values(), key=lambda r: (r.kind, r.valid_from or dt.date.min, r.rule_id))


# --- the audit ------------------------------------------------------------------------------------

def audit_units(root: Unit, units: list[Unit], holdings: list[TitleHolding], people: dict[int, Person],
                title_types: dict[str, TitleType], book: RuleBook, on: dt.date,
                bands: Sequence[int] = (450, 600), oversized: int | None = None,
                ancestors: Sequence[Unit] = ()) -> AuditReport:
    """Audit ``root`` and its descendants on ``on``.

    ``units``: the root's descendants in force on ``on`` (the root itself may be included);
    ``ancestors``: optional units above the root (its district, province), used to tell a ward of an
    urban district and the urban-government pilot; ``oversized``: a size above which a group is
    reported as oversized; None takes the pack's maximum (group_size_max) where one is in force.
    """
    _check_bands(bands)
    basis = _Basis()
    problems: list[str] = []
    notices: list[str] = []
    by_id: dict[int, Unit] = {u.id: u for u in ancestors}
    by_id[root.id] = root
    for u in units:
        if u.in_force(on):
            by_id[u.id] = u
    scope_ids = _descendants(root, by_id)

    def commune_of(u: Unit) -> Unit | None:
        cur: Unit | None = u
        while cur is not None:
            if cur.level == Level.COMMUNE:
                return cur
            cur = by_id.get(cur.parent_id) if cur.parent_id is not None else None
        return None

    def parent_of(u: Unit) -> Unit | None:
        return by_id.get(u.parent_id) if u.parent_id is not None else None

    active = [h for h in holdings if h.in_force(on) and h.unit_id in scope_ids]
    for h in active:
        if h.title_code not in title_types:
            problems.append(f"chức danh {h.title_code!r} (bản ghi {h.id}) không có trong danh mục")
        if h.person_id not in people:
            problems.append(f"bản ghi chức danh {h.id}: không có người mang mã {h.person_id}")
    active = [h for h in active if h.title_code in title_types]

    def tgroup(h: TitleHolding) -> TitleGroup:
        return TitleGroup(title_types[h.title_code].group)

    for h in active:
        tt = title_types[h.title_code]
        person = people.get(h.person_id)
        if tt.requires_party_member and person is not None and not person.party_member:
            problems.append(f"{by_id[h.unit_id].code}: chức danh {tt.name_vi} cần đảng viên "
                            f"(người mang mã {h.person_id} chưa ghi là đảng viên)")

    groups_units = sorted((by_id[i] for i in scope_ids if by_id[i].level == Level.RESIDENTIAL_GROUP),
                          key=lambda u: (u.code, u.id))
    commune_units = sorted((by_id[i] for i in scope_ids if by_id[i].level == Level.COMMUNE),
                           key=lambda u: (u.code, u.id))

    holdings_by_unit: dict[int, list[TitleHolding]] = defaultdict(list)
    for h in active:
        holdings_by_unit[h.unit_id].append(h)

    band_defs = band_labels(bands)
    band_units: dict[str, list[str]] = {key: [] for key, *_ in band_defs}
    status_counts = {s.value: 0 for s in Status} | {"unknown": 0}
    unknown_size: list[str] = []
    oversized_units: list[str] = []
    oversized_thresholds: set[int] = set()
    over_quota: list[OverQuota] = []
    vacancies: list[Vacancy] = []
    pair_units: dict[str, list[str]] = {k: [] for k, *_ in _PAIR_KINDS}
    pair_people: dict[str, set[int]] = {k: set() for k, *_ in _PAIR_KINDS}
    base_amount: int | None = None
    try:
        base = book.base_salary(on)
        base_amount = base.amount
        basis.add(base.refs)
    except RuleError as exc:
        problems.append(str(exc))

    rows: list[GroupRow] = []
    group_monthly = 0
    groups_missing = 0
    for g in groups_units:
        commune = commune_of(g)
        row = GroupRow(g.id, g.code, g.name, g.kind.label_vi, commune.code if commune else None, g.households)
        rows.append(row)
        # household standard and status
        try:
            hs = book.household_standard(g, on, commune=commune)
            basis.add(hs.refs)
            row.standard, row.ratio = hs.standard, hs.ratio
            row.status = hs.status.value if hs.status else None
            for text in hs.notices:
                if text not in notices:
                    notices.append(text)
        except RuleError as exc:
            row.problems.append(str(exc))
        status_counts[row.status or "unknown"] += 1
        # size band and oversized
        if g.households is None:
            unknown_size.append(g.code)
        else:
            idx = bisect.bisect_right(list(bands), g.households)
            key = band_defs[idx][0]
            row.band = key
            band_units[key].append(g.code)
            limit = oversized
            if limit is None:
                size_max = book.group_size_max(g, on, commune=commune)
                if size_max is not None:
                    basis.add(size_max.refs)
                    limit = size_max.households
            if limit is not None:
                oversized_thresholds.add(limit)
                if g.households > limit:
                    row.oversized = True
                    oversized_units.append(g.code)
        # allowance fund
        try:
            fund = book.group_fund(g, on, commune=commune)
            basis.add(fund.refs)
            row.fund_tier, row.fund_coefficient, row.fund_monthly = fund.tier_id, fund.coefficient, fund.monthly
            group_monthly += fund.monthly
        except RuleError as exc:
            row.problems.append(str(exc))
            groups_missing += 1
        # titles: quota and vacancies
        held = [h for h in holdings_by_unit.get(g.id, []) if tgroup(h) == TitleGroup.GROUP_PART_TIME]
        holders: dict[str, set[int]] = defaultdict(set)
        for h in held:
            holders[h.title_code].add(h.person_id)
        row.titles_held = sorted(holders, key=lambda c: (title_types[c].sort_order, c))
        try:
            quota = book.group_titles(g, on, commune=commune)
            basis.add(quota.refs)
            row.max_titles = quota.max_titles
            for code in quota.titles:
                if code not in holders:
                    row.vacant.append(code)
                    vacancies.append(Vacancy(g.code, code))
            for code, persons in sorted(holders.items()):
                if code not in quota.titles:
                    reason = "chức danh không thuộc danh mục chức danh của thôn, tổ dân phố"
                    over_quota.append(OverQuota(g.code, "residential_group", code, len(persons), 0, reason))
                    row.over_quota.append(code)
                elif len(persons) > 1:
                    reason = f"{len(persons)} người cùng giữ một chức danh"
                    over_quota.append(OverQuota(g.code, "residential_group", code, len(persons), 1, reason))
                    row.over_quota.append(code)
            if len(holders) > quota.max_titles:
                reason = f"{len(holders)} chức danh, vượt tối đa {quota.max_titles}"
                over_quota.append(OverQuota(g.code, "residential_group", None, len(holders), quota.max_titles,
                                            reason))
                row.over_quota.append("*")
        except RuleError as exc:
            row.problems.append(str(exc))
        # concurrent holdings inside the group
        for kind, a, b in _PAIR_KINDS:
            both = holders.get(a, set()) & holders.get(b, set())
            if both:
                pair_units[kind].append(g.code)
                pair_people[kind] |= both
                row.concurrency.append(kind)
        for msg in row.problems:
            problems.append(f"{g.code}: {msg}")

    # people across the whole scope: commune titles and group titles
    person_titles: dict[int, list[TitleHolding]] = defaultdict(list)
    for h in active:
        person_titles[h.person_id].append(h)
    cross: dict[str, tuple[set[int], int, set[str]]] = {
        "commune_part_time_group_title": (set(), 0, set()),
        "commune_official_group_title": (set(), 0, set()),
    }
    multi_people = 0
    multi_titles = 0
    multi_units: set[str] = set()
    for pid, hs_ in sorted(person_titles.items()):
        group_h = [h for h in hs_ if tgroup(h) == TitleGroup.GROUP_PART_TIME]
        cpt_titles = {(h.unit_id, h.title_code) for h in hs_ if tgroup(h) == TitleGroup.COMMUNE_PART_TIME}
        official = any(tgroup(h) == TitleGroup.COMMUNE_OFFICIAL for h in hs_)
        group_titles = {(h.unit_id, h.title_code) for h in group_h}
        for kind, cond in (("commune_part_time_group_title", bool(cpt_titles)),
                           ("commune_official_group_title", official)):
            if cond and group_titles:
                persons, n, unit_codes = cross[kind]
                persons.add(pid)
                unit_codes.update(by_id[u].code for u, _ in group_titles)
                cross[kind] = (persons, n + len(group_titles), unit_codes)
        if len(cpt_titles) >= 2:
            multi_people += 1
            multi_titles += len(cpt_titles) - 1  # the titles held beyond the person's first
            multi_units.update(by_id[u].code for u, _ in cpt_titles)

    concurrency: list[ConcurrencyCount] = []
    for kind, *_ in _PAIR_KINDS:
        concurrency.append(ConcurrencyCount(kind, CONCURRENCY_KINDS[kind], len(pair_units[kind]),
                                            len(pair_people[kind]), len(pair_units[kind]), pair_units[kind]))
    for kind, (persons, n, unit_codes) in cross.items():
        concurrency.append(ConcurrencyCount(kind, CONCURRENCY_KINDS[kind], len(persons), len(persons), n,
                                            sorted(unit_codes)))
    concurrency.append(ConcurrencyCount("commune_part_time_multi", CONCURRENCY_KINDS["commune_part_time_multi"],
                                        multi_people, multi_people, multi_titles, sorted(multi_units)))

    # communes: part-time workers, quota, fund, council
    commune_rows: list[CommuneRow] = []
    commune_monthly = 0
    communes_counted = 0
    group_count_by_commune: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.commune_code:
            group_count_by_commune[r.commune_code] += 1
    cpt_by_commune: dict[int, list[TitleHolding]] = defaultdict(list)
    for h in active:
        if tgroup(h) == TitleGroup.COMMUNE_PART_TIME:
            home = commune_of(by_id[h.unit_id])
            if home is not None:
                cpt_by_commune[home.id].append(h)
    for c in commune_units:
        parent = parent_of(c)
        crow = CommuneRow(c.id, c.code, c.name, c.commune_class, groups=group_count_by_commune.get(c.code, 0))
        commune_rows.append(crow)
        cpt = cpt_by_commune.get(c.id, [])
        crow.people = len({h.person_id for h in cpt})
        crow.titles = len({(h.person_id, h.title_code) for h in cpt})
        try:
            gov = book.governance(c, on, parent=parent)
            basis.add(gov.refs)
            crow.has_council = gov.has_commune_council
        except RuleError as exc:
            crow.problems.append(str(exc))
        try:
            q = book.commune_part_time_quota(c, on, parent=parent)
            basis.add(q.refs)
            crow.quota, crow.ended = q.quota, q.ended
            if q.detail:
                crow.problems.append(q.detail)
            if crow.people > q.quota:
                reason = ("không còn bố trí người hoạt động không chuyên trách cấp xã" if q.ended else
                          f"{crow.people} người, vượt số lượng tối đa {q.quota}")
                over_quota.append(OverQuota(c.code, "commune", None, crow.people, q.quota, reason))
            cfund = book.commune_part_time_fund(c, on, parent=parent)
            basis.add(cfund.refs)
            crow.fund_coefficient = None if cfund.ended else cfund.total_coefficient
            crow.fund_monthly = cfund.monthly
            commune_monthly += cfund.monthly
            communes_counted += 1
        except RuleError as exc:
            crow.problems.append(str(exc))
        for msg in crow.problems:
            problems.append(f"{c.code}: {msg}")

    bands_out = [BandCount(key, label, lo, hi, len(band_units[key]), band_units[key])
                 for key, label, lo, hi in band_defs]
    if oversized is not None:
        source: str | None = "parameter"
    elif oversized_thresholds:
        source = "pack"
    else:
        source = None
    threshold = oversized if oversized is not None else (
        min(oversized_thresholds) if len(oversized_thresholds) == 1 else None)
    if oversized is None and len(oversized_thresholds) > 1:
        source = "pack (" + ", ".join(str(t) for t in sorted(oversized_thresholds)) + ")"
    budget = Budget(base_amount, group_monthly, commune_monthly, len(rows) - groups_missing, groups_missing,
                    communes_counted)
    return AuditReport(
        root_code=root.code, root_name=root.name, on=on, groups=rows, status_counts=status_counts,
        bands=bands_out, unknown_size=unknown_size, oversized_threshold=threshold, oversized_source=source,
        oversized=oversized_units, over_quota=over_quota, vacancies=vacancies, concurrency=concurrency,
        communes=commune_rows, budget=budget, problems=problems, basis=basis.sorted(), notices=notices,
        title_names={code: t.name_vi for code, t in title_types.items()},
    )


def title_types_from_catalogue(book: RuleBook) -> dict[str, TitleType]:
    """The title catalogue (titles.yaml) as domain TitleTypes, for callers without a registry."""
    return {code: TitleType(code, t.name_vi, t.name_en, Level(t.level), TitleGroup(t.group),
                            t.requires_party_member, t.sort_order) for code, t in book.titles.items()}


def _descendants(root: Unit, by_id: dict[int, Unit]) -> set[int]:
    """Ids of root and every unit whose parent chain reaches root (ancestors excluded)."""
    children: dict[int, list[int]] = defaultdict(list)
    for u in by_id.values():
        if u.parent_id is not None:
            children[u.parent_id].append(u.id)
    out = {root.id}
    stack = [root.id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out
