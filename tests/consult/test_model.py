"""The approval rule and the election rule, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tinhgon.consult.model import (
    CUSTOMARY_ELECTION_RULE,
    ApprovalRule,
    Choice,
    Decision,
    election_winner,
    parse_choice,
)
from tinhgon.errors import BadInput

GROUP = ApprovalRule("g", "TT 05/2022", "C", "voters_or_household_representatives", Decimal("0.5"), ">", True, 2)
COMMUNE = ApprovalRule("c", "NĐ 321/2025", "C", "all_households", Decimal("0.5"), ">=", False, 1)


def test_group_rule_exactly_half_is_rejected_and_one_more_is_approved() -> None:
    assert GROUP.decide(50, 100, 100, closed=True) == Decision.REJECTED
    assert GROUP.decide(51, 100, 100, closed=True) == Decision.APPROVED
    assert GROUP.decide(5, 11, 11, closed=True) == Decision.REJECTED    # 45 %
    assert GROUP.decide(6, 11, 11, closed=True) == Decision.APPROVED    # 54,5 %


def test_commune_rule_under_nd321_exactly_half_is_approved_one_less_rejected() -> None:
    assert COMMUNE.decide(50, 100, 100, closed=True) == Decision.APPROVED
    assert COMMUNE.decide(49, 100, 100, closed=True) == Decision.REJECTED


def test_denominator_is_the_roll_not_the_ballots_cast() -> None:
    # 40 of 41 ballots agree, but the roll has 100 households: not approved
    assert GROUP.decide(40, 100, 41, closed=True) == Decision.REJECTED


def test_open_round_is_pending_until_reached_or_out_of_reach() -> None:
    assert GROUP.decide(30, 100, 40, closed=False) == Decision.PENDING
    assert GROUP.decide(51, 100, 60, closed=False) == Decision.APPROVED
    # 10 agree, 45 others cast: even if all 45 absent agree, 55 > 50 → still reachable
    assert GROUP.decide(10, 100, 55, closed=False) == Decision.PENDING
    # 10 agree, 60 cast: at most 10 + 40 = 50, not more than half → out of reach
    assert GROUP.decide(10, 100, 60, closed=False) == Decision.REJECTED


def test_empty_roll_never_approves() -> None:
    assert GROUP.decide(0, 0, 0, closed=True) == Decision.REJECTED
    assert COMMUNE.decide(0, 0, 0, closed=True) == Decision.REJECTED


@pytest.mark.parametrize(("text", "choice"), [
    ("đồng ý", Choice.AGREE), ("Đồng Ý", Choice.AGREE), ("dong y", Choice.AGREE), ("agree", Choice.AGREE),
    ("không đồng ý", Choice.DISAGREE), ("khong dong y", Choice.DISAGREE), ("disagree", Choice.DISAGREE),
    ("không hợp lệ", Choice.INVALID), ("invalid", Choice.INVALID),
])
def test_choices_are_read_in_vietnamese_or_english_with_or_without_accents(text: str, choice: Choice) -> None:
    assert parse_choice(text) == choice


def test_unknown_choice_and_withdrawal_outside_corrections_are_refused() -> None:
    with pytest.raises(BadInput):
        parse_choice("có lẽ")
    with pytest.raises(BadInput):
        parse_choice("hủy")
    assert parse_choice("hủy", allow_withdrawn=True) == Choice.WITHDRAWN


def test_election_winner_needs_more_than_half_of_those_present_and_no_tie() -> None:
    rule = CUSTOMARY_ELECTION_RULE
    assert election_winner({1: 6, 2: 4}, 10, rule) == 1
    assert election_winner({1: 5, 2: 4}, 10, rule) is None      # 5 of 10 present is not more than half
    assert election_winner({1: 5, 2: 5}, 10, rule) is None      # tie
    assert election_winner({1: 6, 2: 3}, 12, rule) is None      # 3 invalid ballots count as present
    assert rule.tag == "M"
