"""Pydantic v2 models of a rule pack file (strict, unknown keys refused).

A pack is one YAML file, ideally one legal document. Every rule carries its citation, its confidence
tag (C / C-2 / M, as in RULES.md) and its half-open validity [valid_from, valid_to).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Tag = Literal["C", "C-2", "M"]
RegionCode = Literal[
    "trung_du_mien_nui_phia_bac", "dong_bang_song_hong", "mien_trung", "mien_nam", "tay_nguyen",
]
GroupType = Literal["thon", "to_dan_pho"]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.\-]*$", min_length=3, max_length=120)]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
PositiveFloat = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegInt = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Citation(_Strict):
    document: NonEmpty                    # "Nghị định 33/2023/NĐ-CP"
    article: str | None = None            # "Điều 34 khoản 2"
    url: str | None = None

    def text(self) -> str:
        return f"{self.document}, {self.article}" if self.article else self.document


class PackInfo(_Strict):
    id: RuleId
    title: NonEmpty
    scope: Literal["national", "province"]
    province_code: ProvinceCode | None = None
    enabled: bool = True
    example: bool = False                 # an illustration, never law: shown as such in every answer
    document: Citation                    # default citation of the pack's rules
    description: str | None = None

    @model_validator(mode="after")
    def _province_needs_code(self) -> PackInfo:
        if self.scope == "province" and self.province_code is None:
            raise ValueError("pack.province_code: bắt buộc khi scope = province (required for a province pack)")
        if self.scope == "national" and self.province_code is not None:
            raise ValueError("pack.province_code: chỉ dùng khi scope = province (only for a province pack)")
        return self


class RuleBase(_Strict):
    id: RuleId
    citation: Citation | None = None      # None: the pack's document
    tag: Tag                              # confidence in the figure
    date_tag: Tag | None = None           # confidence in the dates, when lower than the figure's
    valid_from: dt.date | None            # required key: null means "since records began"
    valid_to: dt.date | None = None
    supersedes: list[RuleId] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _dates_ordered(self) -> RuleBase:
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError("valid_to phải sau valid_from (valid_to must be after valid_from)")
        if self.supersedes and self.valid_from is None:
            raise ValueError("supersedes cần valid_from (a superseding rule needs valid_from)")
        return self

    def key(self) -> tuple[str, ...]:
        """Rules with the same key in one layer must not overlap in time."""
        return (self.kind,)  # type: ignore[attr-defined]


# --- residential groups ---------------------------------------------------------------------------

class HouseholdStandardRule(RuleBase):
    kind: Literal["household_standard"]
    area: RegionCode | Literal["border_island"]
    group_type: GroupType
    households: PositiveInt

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.area, self.group_type)


class MergeBandsRule(RuleBase):
    kind: Literal["merge_bands"]
    must_merge_below: Annotated[float, Field(gt=0, le=1)]
    encouraged_below: Annotated[float, Field(gt=0)]

    @model_validator(mode="after")
    def _ordered(self) -> MergeBandsRule:
        if self.encouraged_below < self.must_merge_below:
            raise ValueError("encouraged_below phải ≥ must_merge_below (must not be below must_merge_below)")
        return self


class GroupSizeMaxRule(RuleBase):
    kind: Literal["group_size_max"]
    group_type: GroupType | Literal["any"]
    households: PositiveInt

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.group_type)


class GroupTitlesRule(RuleBase):
    kind: Literal["group_titles"]
    titles: Annotated[list[NonEmpty], Field(min_length=1)]
    max_titles: PositiveInt
    concurrency_encouraged: bool
    encouraged_pairs: list[Annotated[list[NonEmpty], Field(min_length=2, max_length=2)]] = Field(
        default_factory=list)


class FundCondition(_Strict):
    """All fields given must hold; the unit's flags include those of its commune."""

    group_type: GroupType | None = None
    min_households: PositiveInt | None = None
    security_key: bool | None = None
    border_or_island: bool | None = None
    formerly_thon_min_households: PositiveInt | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> FundCondition:
        if all(v is None for v in self.__dict__.values()):
            raise ValueError("điều kiện rỗng (empty condition): bỏ any_of để áp dụng cho mọi đơn vị")
        return self


class FundTier(_Strict):
    id: RuleId
    label: NonEmpty
    coefficient: PositiveFloat
    any_of: list[FundCondition] = Field(default_factory=list)  # empty: every unit


class GroupFundRule(RuleBase):
    kind: Literal["group_fund"]
    tiers: Annotated[list[FundTier], Field(min_length=1)]

    @model_validator(mode="after")
    def _catch_all_last(self) -> GroupFundRule:
        if self.tiers[-1].any_of:
            raise ValueError("bậc cuối (last tier) phải không có điều kiện (must have no any_of: it is the default)")
        return self


class NoticeRule(RuleBase):
    kind: Literal["notice"]
    level: Literal["residential_group", "commune", "province"]
    text: NonEmpty

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.id)


# --- commune part-time workers --------------------------------------------------------------------

class QuotaExtras(_Strict):
    """One more person per full 1/divisor of the standard population (urban-district ward vs others),
    and one more per full 1/area_divisor of the standard area, above the standard."""

    urban_ward_population_divisor: PositiveInt
    other_population_divisor: PositiveInt
    area_divisor: PositiveInt


class CommunePartTimeQuotaRule(RuleBase):
    kind: Literal["commune_part_time_quota"]
    by_class: dict[Annotated[int, Field(ge=0, le=3)], NonNegInt]
    extras: QuotaExtras | None = None


class CommunePartTimeFundRule(RuleBase):
    kind: Literal["commune_part_time_fund"]
    by_class: dict[Annotated[int, Field(ge=0, le=3)], PositiveFloat]
    per_extra_person: Annotated[float, Field(ge=0)]


class CommunePartTimeEndRule(RuleBase):
    kind: Literal["commune_part_time_end"]
    province_may_keep_until: dt.date | None = None


# --- money ----------------------------------------------------------------------------------------

class BaseSalaryRule(RuleBase):
    kind: Literal["base_salary"]
    amount: PositiveInt


# --- consultation and procedure -------------------------------------------------------------------

class ConsultationRule(RuleBase):
    kind: Literal["consultation"]
    level: Literal["residential_group", "commune", "province"]
    basis: Literal["voters", "voters_or_household_representatives", "all_households"]
    threshold: Share
    comparison: Literal[">", ">="]
    each_unit: bool
    max_rounds: PositiveInt = 1
    one_form_per_household: bool = False
    within_days: PositiveInt | None = None

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.level)


class ProcedureStep(_Strict):
    id: RuleId
    name_vi: NonEmpty
    actor: NonEmpty
    working_days: PositiveInt | None = None
    working_days_without_commune_council: PositiveInt | None = None
    requires_commune_council: bool = False  # skipped where the commune has no People's Council
    tag: Tag | None = None                  # when lower than the rule's


class ProcedureRule(RuleBase):
    kind: Literal["procedure"]
    level: Literal["residential_group"]
    steps: Annotated[list[ProcedureStep], Field(min_length=1)]

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.level)


class GovernanceScope(_Strict):
    commune_kinds: list[NonEmpty] = Field(default_factory=list)
    parent_kinds: list[NonEmpty] = Field(default_factory=list)
    parent_codes: list[NonEmpty] = Field(default_factory=list)


class GovernanceRule(RuleBase):
    kind: Literal["governance"]
    setting: Literal["no_commune_peoples_council"]
    applies_to: GovernanceScope
    details: list[NonEmpty] = Field(default_factory=list)

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.setting)


# --- commune-level units --------------------------------------------------------------------------

CommuneCategory = Literal["xa_mien_nui", "xa", "phuong_quan", "phuong_thanh_pho", "phuong_thi_xa"]


class CommuneStandardRule(RuleBase):
    kind: Literal["commune_standard"]
    category: CommuneCategory
    population: PositiveInt
    area_km2: PositiveFloat

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.category)


class PctCondition(_Strict):
    area_below_pct: PositiveFloat | None = None
    population_below_pct: PositiveFloat | None = None


class CommuneArrangementRule(RuleBase):
    kind: Literal["commune_arrangement"]
    period: NonEmpty
    any_of: Annotated[list[PctCondition], Field(min_length=1)]


class NewCommuneCriteriaRule(RuleBase):
    kind: Literal["new_commune_criteria"]
    category: Literal["xa_mien_nui", "xa", "phuong"]
    context: Literal["any", "central_city", "mountain_highland_border", "other"] = "any"
    min_area_pct: PositiveFloat | None = None
    min_population_pct: PositiveFloat | None = None
    min_area_km2: PositiveFloat | None = None
    min_population: PositiveInt | None = None

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.category, self.context)


class ClassThreshold(_Strict):
    commune_class: Annotated[int, Field(ge=0, le=3)]
    min_points: Annotated[float, Field(ge=0)]


class CommuneClassPointsRule(RuleBase):
    kind: Literal["commune_class_points"]
    thresholds: Annotated[list[ClassThreshold], Field(min_length=1)]


# --- province settings ----------------------------------------------------------------------------

class ConcurrentPayShareRule(RuleBase):
    kind: Literal["concurrent_pay_share"]
    share: Share


class ReleaseSupportRule(RuleBase):
    kind: Literal["release_support"]
    months_of_allowance_per_year: Annotated[float, Field(ge=0)]
    min_months: Annotated[float, Field(ge=0)] = 0
    lump_sum_base_salary: Annotated[float, Field(ge=0)] = 0
    placeholder: bool = False   # a default nobody has confirmed: every answer says so


class TitleAgeLimitRule(RuleBase):
    """The oldest age at which a person may be given one of ``titles`` (age on the day the title is
    given). Several titles may share a rule; within one layer, one rule per title on any day."""

    kind: Literal["title_age_limit"]
    titles: Annotated[list[NonEmpty], Field(min_length=1)]
    max_age: Annotated[int, Field(gt=0, le=120)]

    def key(self) -> tuple[str, ...]:
        return (self.kind, *sorted(self.titles))


class ProvinceEntry(_Strict):
    code: ProvinceCode
    name: NonEmpty
    region: RegionCode
    note: str | None = None


class ProvinceRegionsRule(RuleBase):
    kind: Literal["province_regions"]
    code_set: Literal["legacy_63", "new_34"]
    provinces: Annotated[list[ProvinceEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_codes(self) -> ProvinceRegionsRule:
        seen: set[str] = set()
        for p in self.provinces:
            if p.code in seen:
                raise ValueError(f"mã tỉnh {p.code} lặp lại (duplicate province code)")
            seen.add(p.code)
        return self

    def key(self) -> tuple[str, ...]:
        return (self.kind, self.code_set)


Rule = Annotated[
    HouseholdStandardRule | MergeBandsRule | GroupSizeMaxRule | GroupTitlesRule | GroupFundRule
    | NoticeRule | CommunePartTimeQuotaRule | CommunePartTimeFundRule | CommunePartTimeEndRule
    | BaseSalaryRule | ConsultationRule | ProcedureRule | GovernanceRule | CommuneStandardRule
    | CommuneArrangementRule | NewCommuneCriteriaRule | CommuneClassPointsRule | ConcurrentPayShareRule
    | ReleaseSupportRule | ProvinceRegionsRule | TitleAgeLimitRule,
    Field(discriminator="kind"),
]

RULE_KINDS: tuple[str, ...] = (
    "household_standard", "merge_bands", "group_size_max", "group_titles", "group_fund", "notice",
    "commune_part_time_quota", "commune_part_time_fund", "commune_part_time_end", "base_salary",
    "consultation", "procedure", "governance", "commune_standard", "commune_arrangement",
    "new_commune_criteria", "commune_class_points", "concurrent_pay_share", "release_support",
    "province_regions", "title_age_limit",
)


class PackFile(_Strict):
    pack: PackInfo
    rules: Annotated[list[Rule], Field(min_length=1)]


class TitleEntry(BaseModel):
    # titles.yaml is shared with the registry, which may add fields: ignore what we do not use.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)
    code: NonEmpty
    name_vi: NonEmpty
    name_en: NonEmpty
    level: NonEmpty
    group: NonEmpty
    requires_party_member: bool = False
    sort_order: int = 0


class TitleCatalogue(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)
    titles: list[TitleEntry]
