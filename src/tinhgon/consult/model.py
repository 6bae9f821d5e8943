"""Consultations as domain objects: choices, the approval rule, decisions. Pure: no database, no web.

The denominator is the whole roll (every household or voter listed), never the ballots cast: an
absent household and an invalid ballot both count against approval.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from tinhgon.errors import BadInput


class Choice(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    INVALID = "invalid"
    WITHDRAWN = "withdrawn"   # a correction saying the paper was entered by mistake: counts as absent
    VOTE = "vote"             # election: a vote for the candidate on the ballot

    @property
    def label_vi(self) -> str:
        return _CHOICE_VI[self]


_CHOICE_VI = {
    Choice.AGREE: "đồng ý",
    Choice.DISAGREE: "không đồng ý",
    Choice.INVALID: "không hợp lệ",
    Choice.WITHDRAWN: "hủy (nhập nhầm)",
    Choice.VOTE: "bầu",
}


def fold(text: str) -> str:
    """Lower case without accents or repeated spaces: "Nguyễn  Văn Đức" -> "nguyen van duc"."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    kept = kept.replace("đ", "d").replace("Đ", "D")
    return " ".join(kept.casefold().split())


_CHOICE_WORDS: dict[str, Choice] = {
    "agree": Choice.AGREE, "dong y": Choice.AGREE, "co": Choice.AGREE, "yes": Choice.AGREE, "y": Choice.AGREE,
    "1": Choice.AGREE,
    "disagree": Choice.DISAGREE, "khong dong y": Choice.DISAGREE, "khong": Choice.DISAGREE, "no": Choice.DISAGREE,
    "n": Choice.DISAGREE, "0": Choice.DISAGREE,
    "invalid": Choice.INVALID, "khong hop le": Choice.INVALID, "hong": Choice.INVALID, "phieu hong": Choice.INVALID,
    "x": Choice.INVALID,
}


def parse_choice(text: object, *, allow_withdrawn: bool = False) -> Choice:
    """A choice written in English or Vietnamese, with or without accents: "Đồng ý", "khong dong y"."""
    key = fold(str(text if text is not None else ""))
    if allow_withdrawn and key in ("withdrawn", "huy", "nhap nham", "rut"):
        return Choice.WITHDRAWN
    try:
        return _CHOICE_WORDS[key]
    except KeyError:
        words = "agree/đồng ý, disagree/không đồng ý, invalid/không hợp lệ"
        if allow_withdrawn:
            words += ", withdrawn/hủy"
        raise BadInput(f"ý kiến không hợp lệ: {text!r} (dùng {words})", field="--choice") from None


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING = "pending"

    @property
    def label_vi(self) -> str:
        return {"approved": "đạt (tán thành)", "rejected": "không đạt", "pending": "chưa xong"}[self.value]


@dataclass(frozen=True, slots=True)
class ApprovalRule:
    """The rule copied onto a consultation: share of the roll that must agree, and how it is compared."""

    rule_id: str
    citation: str
    tag: str
    basis: str                  # voters | voters_or_household_representatives | all_households
    threshold: Decimal
    comparison: str             # ">" or ">="
    each_unit: bool
    max_rounds: int
    summary: str = ""

    def passes(self, agree: int, total: int) -> bool:
        if total <= 0:
            return False
        ratio = Decimal(agree) / Decimal(total)
        return ratio > self.threshold if self.comparison == ">" else ratio >= self.threshold

    def decide(self, agree: int, roll: int, cast: int, *, closed: bool) -> Decision:
        """Final when closed; while open, approved once reached and rejected once out of reach."""
        if closed:
            return Decision.APPROVED if self.passes(agree, roll) else Decision.REJECTED
        if self.passes(agree, roll):
            return Decision.APPROVED
        if not self.passes(agree + max(roll - cast, 0), roll):
            return Decision.REJECTED
        return Decision.PENDING


# The customary rule of a hội nghị cử tri electing a group head when no pack has one [M]: more than half
# of the representatives present (everyone who handed in a ballot, valid or not).
CUSTOMARY_ELECTION_RULE = ApprovalRule(
    rule_id="customary.election.group-head", citation="Tập quán hội nghị cử tri (chưa có quy định trong bộ quy tắc)",
    tag="M", basis="representatives_present", threshold=Decimal("0.5"), comparison=">", each_unit=True,
    max_rounds=2, summary="Người trúng cử được trên 50 % số đại diện hộ có mặt bầu [M].")


@dataclass(slots=True)
class UnitCount:
    """One unit's figures in one round."""

    unit_id: int
    code: str
    name: str
    roll: int                   # households (or voters) on the roll: the denominator
    agree: int = 0
    disagree: int = 0
    invalid: int = 0
    declared: int | None = None  # paper ballots counted by hand, if declared
    decision: Decision = Decision.PENDING
    group_label: str | None = None
    votes: dict[int, int] = field(default_factory=dict)   # election: candidate id -> votes
    winner: int | None = None

    @property
    def cast(self) -> int:
        return self.agree + self.disagree + self.invalid + sum(self.votes.values())

    @property
    def absent(self) -> int:
        return max(self.roll - self.cast, 0)

    @property
    def agree_share(self) -> Decimal:
        return Decimal(self.agree) / Decimal(self.roll) if self.roll else Decimal(0)


def election_winner(votes: dict[int, int], present: int, rule: ApprovalRule) -> int | None:
    """The candidate with the most votes if they pass the rule against those present; a tie has none."""
    if not votes or present <= 0:
        return None
    best = max(votes.values())
    top = [c for c, v in votes.items() if v == best]
    if len(top) != 1:
        return None
    return top[0] if rule.passes(best, present) else None


@dataclass(slots=True)
class Tally:
    consultation_id: int
    name: str
    kind: str
    held_on: dt.date
    round_number: int
    round_status: str
    rule: ApprovalRule
    units: list[UnitCount]
    overall: Decision
    warnings: list[str] = field(default_factory=list)
    candidates: dict[int, str] = field(default_factory=dict)

    @property
    def roll(self) -> int:
        return sum(u.roll for u in self.units)

    @property
    def agree(self) -> int:
        return sum(u.agree for u in self.units)

    @property
    def cast(self) -> int:
        return sum(u.cast for u in self.units)
