"""Domain types of the staffing step. Pure: nothing from the database or the web."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Scope(StrEnum):
    GROUP = "group"        # a new residential group of the plan
    COMMUNE = "commune"    # a commune-level unit (part-time workers of the ward / commune)


class Reason(StrEnum):
    """Why a title went to a person (or stayed vacant). The Vietnamese text is in :data:`REASON_VI`."""

    PINNED = "pinned"
    SAME_TITLE = "same_title"              # held this title in one of the merged units
    OTHER_TITLE = "other_title"            # held another group / commune title there
    OTHER_ROLE = "other_role"              # held another role there (e.g. tổ phó)
    CONCURRENT_ENCOURAGED = "concurrent_encouraged"   # a pair the rule pack encourages (bí thư kiêm tổ trưởng)
    VACANT_NO_ELIGIBLE = "vacant_no_eligible"
    VACANT_TAKEN = "vacant_taken"          # eligible people exist but hold other titles / the quota is used


REASON_VI: dict[Reason, str] = {
    Reason.PINNED: "do cán bộ chỉ định (ghim)",
    Reason.SAME_TITLE: "tiếp tục chức danh đang đảm nhiệm",
    Reason.OTHER_TITLE: "chuyển từ chức danh khác đang đảm nhiệm",
    Reason.OTHER_ROLE: "chuyển từ vai trò khác ở tổ cũ (không hưởng phụ cấp)",
    Reason.CONCURRENT_ENCOURAGED: "kiêm nhiệm theo khuyến khích của quy định",
    Reason.VACANT_NO_ELIGIBLE: "để trống: không có người đủ điều kiện",
    Reason.VACANT_TAKEN: "để trống: người đủ điều kiện đã được bố trí chức danh khác hoặc đã đủ định mức",
}


@dataclass(slots=True, frozen=True)
class Decision:
    """One title in one new group (or commune) and who holds it; ``person_id`` None means vacant."""

    plan_id: int
    scope: Scope
    group_label: str | None        # scope GROUP: the plan group's label
    commune_unit_id: int | None    # scope COMMUNE: the commune's unit id
    title_code: str
    person_id: int | None
    concurrent: bool               # True: held in addition to the person's main title here
    reason_code: Reason
    reason: str                    # Vietnamese, for people
    pinned: bool = False

    @property
    def vacant(self) -> bool:
        return self.person_id is None

    @property
    def scope_key(self) -> str:
        return str(self.group_label) if self.scope == Scope.GROUP else f"commune:{self.commune_unit_id}"


@dataclass(slots=True, frozen=True)
class Pin:
    scope: Scope
    group_label: str | None
    commune_unit_id: int | None
    title_code: str
    person_id: int

    @property
    def slot(self) -> tuple[str, str]:
        key = self.group_label if self.scope == Scope.GROUP else f"commune:{self.commune_unit_id}"
        return (str(key), self.title_code)


@dataclass(slots=True)
class Candidate:
    """A person who may fill titles in one scope, with what they held there before."""

    person_id: int
    held: dict[str, bool] = field(default_factory=dict)   # title code -> held as concurrent
    ineligible: dict[str, list[str]] = field(default_factory=dict)  # title code -> reasons (Vietnamese)

    def eligible(self, title: str) -> bool:
        return not self.ineligible.get(title)


@dataclass(slots=True)
class ScopeProblem:
    """The titles of one new group or commune and the people who may fill them."""

    key: str                       # group label, or "commune:<unit id>"
    scope: Scope
    titles: list[str]              # in sort order: the first a person holds is their main title
    candidates: list[Candidate]
    max_people: int | None = None  # a commune's quota; None: no cap beyond the titles
    max_titles_per_person: int = 2
    encouraged_pairs: list[tuple[str, str]] = field(default_factory=list)
    merger: bool = True            # concurrency is sought only where units merge; elsewhere: least change


@dataclass(slots=True, frozen=True)
class Surplus:
    """A person who held an allowance title before and holds none in the proposal."""

    person_id: int
    person_code: str | None
    full_name: str
    titles_before: tuple[str, ...]     # "bi_thu_chi_bo@00115-03"
    years_of_service: float
    start_known: bool
    monthly_allowance: int             # of the main title before, for the release support
    support: int
    support_placeholder: bool
    reason: str


@dataclass(slots=True)
class Effect:
    """The figures of an article-003 kind and the budget, all at the effective date."""

    effective: dt.date
    base_salary: int
    groups_before: int
    groups_after: int
    group_workers_before: int
    group_workers_after: int
    commune_workers_before: int
    commune_workers_after: int
    group_fund_before: int
    group_fund_after: int
    commune_fund_before: int
    commune_fund_after: int
    paid_before: int                   # allowances paid to people inside the funds (concurrent share applied)
    paid_after: int
    concurrent_share: float | None
    support_total: int
    notes: list[str] = field(default_factory=list)

    @property
    def groups_reduced(self) -> int:
        return self.groups_before - self.groups_after

    @property
    def group_workers_reduced(self) -> int:
        return self.group_workers_before - self.group_workers_after

    @property
    def commune_workers_reduced(self) -> int:
        return self.commune_workers_before - self.commune_workers_after

    @property
    def monthly_saving(self) -> int:
        return (self.group_fund_before + self.commune_fund_before) - (self.group_fund_after + self.commune_fund_after)

    @property
    def yearly_saving(self) -> int:
        return 12 * self.monthly_saving

    @property
    def first_year_net(self) -> int:
        return self.yearly_saving - self.support_total

    @property
    def payback_months(self) -> int | None:
        """Whole months until the savings cover the one-off support; None when they never do."""
        if self.support_total <= 0:
            return 0
        if self.monthly_saving <= 0:
            return None
        return -(-self.support_total // self.monthly_saving)

    @property
    def payback_date(self) -> dt.date | None:
        months = self.payback_months
        if months is None:
            return None
        return add_months(self.effective, months)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day MONTHS later (the last day of a shorter month when it has no such day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise AssertionError("unreachable")
