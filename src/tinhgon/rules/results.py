"""Answers of the rule book: small frozen objects that carry the rules that produced them.

Every result has ``refs`` (the rules used, first the main one) and ``explain()``: one Vietnamese
sentence with the citation and the confidence tag, ready to be quoted in a report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from tinhgon.rules.vnformat import format_date, format_decimal, format_int, format_money, format_pct

TAG_LABEL_VI = {
    "C": "đã đối chiếu văn bản",
    "C-2": "theo bản tóm tắt/báo chí",
    "M": "giả định, cần xác nhận",
}


@dataclass(frozen=True, slots=True)
class RuleRef:
    """Where an answer comes from: one rule of one pack."""

    rule_id: str
    kind: str
    pack_id: str
    source: str                 # "national/nd33-2023.yaml"
    citation: str               # "Nghị định 33/2023/NĐ-CP, Điều 34 khoản 2"
    tag: str                    # C, C-2, M
    date_tag: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None    # effective end, after supersession
    note: str | None = None
    example: bool = False
    province_code: str | None = None

    @property
    def is_assumption(self) -> bool:
        return self.tag == "M" or self.date_tag == "M" or self.example

    def period_vi(self) -> str:
        start = format_date(self.valid_from) if self.valid_from else "…"
        end = f" đến trước {format_date(self.valid_to)}" if self.valid_to else ""
        return f"từ {start}{end}"

    def cite(self) -> str:
        text = f"{self.citation} [{self.tag}]"
        if self.date_tag and self.date_tag != self.tag:
            text += f" (ngày hiệu lực [{self.date_tag}])"
        if self.example:
            text += " (VÍ DỤ, không phải quy định)"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "rule_id": self.rule_id, "kind": self.kind, "pack_id": self.pack_id, "source": self.source,
            "citation": self.citation, "tag": self.tag, "date_tag": self.date_tag,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "note": self.note, "example": self.example, "province_code": self.province_code,
        }


class _Explained:
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    @property
    def ref(self) -> RuleRef:
        return self.refs[0]

    @property
    def rule_id(self) -> str:
        return self.refs[0].rule_id

    @property
    def tag(self) -> str:
        return self.refs[0].tag

    @property
    def citation(self) -> str:
        return self.refs[0].citation

    def explain(self) -> str:
        return f"{self.summary()} Căn cứ: {'; '.join(r.cite() for r in self.refs)}."


class Status(StrEnum):
    MUST_MERGE = "must_merge"
    ENCOURAGED = "encouraged"
    MEETS = "meets"

    @property
    def label_vi(self) -> str:
        return {
            Status.MUST_MERGE: "phải sáp nhập",
            Status.ENCOURAGED: "khuyến khích sáp nhập",
            Status.MEETS: "đạt tiêu chuẩn",
        }[self]


GROUP_TYPE_VI = {"thon": "thôn", "to_dan_pho": "tổ dân phố"}
AREA_VI = {
    "trung_du_mien_nui_phia_bac": "Trung du và miền núi phía Bắc",
    "dong_bang_song_hong": "Đồng bằng sông Hồng",
    "mien_trung": "Miền Trung",
    "mien_nam": "Miền Nam",
    "tay_nguyen": "Tây Nguyên",
    "border_island": "xã biên giới, hải đảo",
}


@dataclass(frozen=True, slots=True)
class BaseSalary(_Explained):
    on: dt.date
    amount: int
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        return f"Mức lương cơ sở ngày {format_date(self.on)}: {format_money(self.amount)}."


@dataclass(frozen=True, slots=True)
class RegionAnswer(_Explained):
    region: str
    from_unit: bool
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        how = "ghi trên đơn vị" if self.from_unit else "theo bảng vùng của tỉnh"
        return f"Vùng: {AREA_VI[self.region]} ({how})."

    def explain(self) -> str:
        if not self.refs:
            return self.summary()
        return _Explained.explain(self)


@dataclass(frozen=True, slots=True)
class HouseholdStandard(_Explained):
    unit_code: str
    group_type: str
    area: str
    standard: int
    households: int | None
    ratio: float | None
    status: Status | None          # None when the unit's households or the bands are unknown
    must_merge_below: float | None
    encouraged_below: float | None
    refs: tuple[RuleRef, ...]
    notices: tuple[str, ...] = ()

    def summary(self) -> str:
        text = (f"Tiêu chuẩn {GROUP_TYPE_VI[self.group_type]} ({AREA_VI[self.area]}): "
                f"{format_int(self.standard)} hộ.")
        if self.households is not None and self.ratio is not None:
            text += f" {self.unit_code}: {format_int(self.households)} hộ = {format_pct(self.ratio)}"
            text += f", {self.status.label_vi}." if self.status else "."
            if self.status is None:
                text += " Chưa có quy định ngưỡng sáp nhập tại ngày này."
        for n in self.notices:
            text += f" Lưu ý: {n}"
        return text


@dataclass(frozen=True, slots=True)
class GroupFund(_Explained):
    unit_code: str
    tier_id: str
    tier_label: str
    coefficient: Decimal
    base_salary: int
    monthly: int
    refs: tuple[RuleRef, ...]

    @property
    def annual(self) -> int:
        return self.monthly * 12

    def summary(self) -> str:
        return (f"Quỹ phụ cấp {self.unit_code} ({self.tier_label}): {format_decimal(self.coefficient, 2)} × "
                f"{format_money(self.base_salary)} = {format_money(self.monthly)}/tháng.")


@dataclass(frozen=True, slots=True)
class GroupTitles(_Explained):
    titles: tuple[str, ...]
    max_titles: int
    concurrency_encouraged: bool
    encouraged_pairs: tuple[tuple[str, str], ...]
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        text = f"Tối đa {self.max_titles} chức danh: {', '.join(self.titles)}."
        if self.concurrency_encouraged:
            text += " Khuyến khích kiêm nhiệm."
        return text


@dataclass(frozen=True, slots=True)
class Consultation(_Explained):
    level: str
    basis: str
    threshold: float
    comparison: str
    each_unit: bool
    max_rounds: int
    one_form_per_household: bool
    within_days: int | None
    refs: tuple[RuleRef, ...]

    def passes(self, agree: int, total: int) -> bool:
        """Whether ``agree`` out of ``total`` (voters or households, per ``basis``) approve."""
        if total <= 0:
            return False
        ratio = Decimal(agree) / Decimal(total)
        limit = Decimal(str(self.threshold))
        return ratio > limit if self.comparison == ">" else ratio >= limit

    def summary(self) -> str:
        basis = {
            "voters": "cử tri",
            "voters_or_household_representatives": "cử tri hoặc cử tri đại diện hộ gia đình",
            "all_households": "tổng số hộ gia đình",
        }[self.basis]
        cmp_vi = "trên" if self.comparison == ">" else "từ"
        text = f"Được thông qua khi {cmp_vi} {format_pct(self.threshold, 0)} {basis} đồng ý"
        text += " ở từng đơn vị liên quan." if self.each_unit else "."
        if self.max_rounds > 1:
            text += f" Không đạt được tổ chức lại tối đa {self.max_rounds - 1} lần."
        if self.one_form_per_household:
            text += " Mỗi hộ một phiếu."
        if self.within_days:
            text += f" Thời hạn {self.within_days} ngày."
        return text


@dataclass(frozen=True, slots=True)
class CommuneQuota(_Explained):
    unit_code: str
    commune_class: int | None
    ended: bool
    base_quota: int
    extra_population: int
    extra_area: int
    refs: tuple[RuleRef, ...]
    detail: str = ""

    @property
    def extra(self) -> int:
        return self.extra_population + self.extra_area

    @property
    def quota(self) -> int:
        return 0 if self.ended else self.base_quota + self.extra

    def summary(self) -> str:
        if self.ended:
            return f"{self.unit_code}: không còn bố trí người hoạt động không chuyên trách cấp xã."
        text = (f"{self.unit_code} (loại {self.commune_class}): tối đa {self.quota} người hoạt động không "
                f"chuyên trách ({self.base_quota} theo loại")
        if self.extra:
            text += f" + {self.extra_population} theo dân số + {self.extra_area} theo diện tích"
        return text + ")." + (f" {self.detail}" if self.detail else "")


@dataclass(frozen=True, slots=True)
class CommuneFund(_Explained):
    unit_code: str
    ended: bool
    coefficient: Decimal
    extra_persons: int
    per_extra_person: Decimal
    base_salary: int
    monthly: int
    refs: tuple[RuleRef, ...]

    @property
    def total_coefficient(self) -> Decimal:
        return self.coefficient + self.per_extra_person * self.extra_persons

    @property
    def annual(self) -> int:
        return self.monthly * 12

    def summary(self) -> str:
        if self.ended:
            return f"{self.unit_code}: không còn quỹ phụ cấp người hoạt động không chuyên trách cấp xã."
        return (f"Quỹ phụ cấp không chuyên trách {self.unit_code}: ({format_decimal(self.coefficient, 2)} + "
                f"{format_decimal(self.per_extra_person, 2)} × {self.extra_persons}) × "
                f"{format_money(self.base_salary)} = {format_money(self.monthly)}/tháng.")


@dataclass(frozen=True, slots=True)
class ShareSetting(_Explained):
    province_code: str | None
    share: Decimal
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        return (f"Người kiêm nhiệm chức danh thứ hai hưởng {format_pct(self.share, 0)} phụ cấp của "
                f"chức danh kiêm nhiệm.")


@dataclass(frozen=True, slots=True)
class AgeLimit(_Explained):
    """The oldest age at which a person may be given a title, and the rule that says so."""

    title_code: str
    max_age: int
    refs: tuple[RuleRef, ...]

    def allows(self, age: int | None) -> bool:
        """True when a person of AGE may be given the title (an unknown age is not refused here)."""
        return age is None or age <= self.max_age

    def summary(self) -> str:
        return f"Chức danh {self.title_code}: người được bố trí không quá {self.max_age} tuổi."


@dataclass(frozen=True, slots=True)
class ReleaseSupport(_Explained):
    province_code: str | None
    months: Decimal
    monthly_allowance: int
    lump_sum: int
    amount: int
    placeholder: bool
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        text = (f"Hỗ trợ một lần: {format_decimal(self.months, 2)} tháng × {format_money(self.monthly_allowance)}"
                f" + {format_money(self.lump_sum)} = {format_money(self.amount)}.")
        if self.placeholder:
            text += " Mức mặc định chưa được xác nhận (giả định), cần cơ quan có thẩm quyền sửa trong dữ liệu."
        return text


@dataclass(frozen=True, slots=True)
class ProcedureStepAnswer:
    id: str
    name_vi: str
    actor: str
    working_days: int | None
    tag: str


@dataclass(frozen=True, slots=True)
class Procedure(_Explained):
    has_commune_council: bool
    steps: tuple[ProcedureStepAnswer, ...]
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        parts = []
        for i, s in enumerate(self.steps, 1):
            days = f" ({s.working_days} ngày làm việc)" if s.working_days else ""
            parts.append(f"{i}. {s.name_vi} - {s.actor}{days}")
        return "Trình tự: " + "; ".join(parts) + "."


@dataclass(frozen=True, slots=True)
class Governance(_Explained):
    unit_code: str
    has_commune_council: bool
    details: tuple[str, ...]
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        if self.has_commune_council:
            return f"{self.unit_code}: có Hội đồng nhân dân cấp xã."
        return f"{self.unit_code}: không tổ chức Hội đồng nhân dân (chính quyền đô thị)."

    def explain(self) -> str:
        return self.summary() if not self.refs else _Explained.explain(self)


@dataclass(frozen=True, slots=True)
class CommuneStandard(_Explained):
    unit_code: str
    category: str
    population_standard: int
    area_standard_km2: float
    population_pct: float | None
    area_pct: float | None
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        text = (f"Tiêu chuẩn {self.category}: {format_int(self.population_standard)} người, "
                f"{format_decimal(self.area_standard_km2, 2)} km².")
        if self.population_pct is not None:
            text += f" Dân số đạt {format_pct(self.population_pct)}."
        if self.area_pct is not None:
            text += f" Diện tích đạt {format_pct(self.area_pct)}."
        return text


@dataclass(frozen=True, slots=True)
class Arrangement(_Explained):
    unit_code: str
    period: str
    must_arrange: bool
    matched: tuple[str, ...]
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        verdict = "thuộc diện phải sắp xếp" if self.must_arrange else "chưa thuộc diện phải sắp xếp"
        why = f" ({'; '.join(self.matched)})" if self.matched else ""
        return f"{self.unit_code}: {verdict} giai đoạn {self.period}{why}."


@dataclass(frozen=True, slots=True)
class NewCommuneCheck(_Explained):
    unit_code: str
    category: str
    meets: bool
    failures: tuple[str, ...]
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        if self.meets:
            return f"{self.unit_code}: đạt tiêu chuẩn đơn vị hành chính cấp xã mới ({self.category})."
        return f"{self.unit_code}: chưa đạt ({'; '.join(self.failures)})."


@dataclass(frozen=True, slots=True)
class CommuneClassAnswer(_Explained):
    points: float
    commune_class: int
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        label = "đặc biệt" if self.commune_class == 0 else str(self.commune_class)
        return f"{format_decimal(self.points, 1)} điểm: loại {label}."


@dataclass(frozen=True, slots=True)
class SizeMax(_Explained):
    households: int
    refs: tuple[RuleRef, ...]

    def summary(self) -> str:
        return f"Quy mô tối đa: {format_int(self.households)} hộ."


@dataclass(frozen=True, slots=True)
class Notice(_Explained):
    text: str
    refs: tuple[RuleRef, ...] = field(default=())

    def summary(self) -> str:
        return self.text
