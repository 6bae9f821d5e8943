"""Properties that hold for every input: status never falls as households grow; one base salary a day."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_builders import group

from tinhgon.domain.units import Kind
from tinhgon.rules import RuleBook

BOOK = RuleBook.load_default(use_env=False)
ORDER = {"must_merge": 0, "encouraged": 1, "meets": 2}
days = st.dates(min_value=dt.date(2022, 8, 10), max_value=dt.date(2030, 12, 31))
provinces = st.sampled_from(["01", "04", "40", "66", "79", "92", "52", "24"])
kinds = st.sampled_from([Kind.THON, Kind.TO_DAN_PHO, Kind.AP, Kind.KHU_PHO])


@settings(max_examples=150, deadline=None)
@given(a=st.integers(0, 2000), b=st.integers(0, 2000), on=days, province=provinces, kind=kinds)
def test_status_never_falls_as_households_grow(a, b, on, province, kind):
    lo, hi = sorted((a, b))
    s_lo = BOOK.household_standard(group(kind, lo, province=province), on).status
    s_hi = BOOK.household_standard(group(kind, hi, province=province), on).status
    assert ORDER[s_lo.value] <= ORDER[s_hi.value]


@settings(max_examples=150, deadline=None)
@given(on=st.dates(min_value=dt.date(2018, 7, 1), max_value=dt.date(2035, 1, 1)))
def test_exactly_one_base_salary_rule_in_force_each_day(on):
    in_force = [r for r in BOOK.rules_in_force(on) if r.kind == "base_salary"]
    assert len(in_force) == 1
    assert BOOK.base_salary(on).rule_id == in_force[0].rule_id


@settings(max_examples=100, deadline=None)
@given(hh=st.integers(0, 3000), on=st.dates(min_value=dt.date(2019, 7, 1), max_value=dt.date(2030, 1, 1)),
       kind=kinds)
def test_group_fund_is_coefficient_times_base_salary_and_never_falls_with_size(hh, on, kind):
    small = BOOK.group_fund(group(kind, hh, province="40"), on)
    big = BOOK.group_fund(group(kind, hh + 100, province="40"), on)
    assert small.monthly == round(small.coefficient * BOOK.base_salary(on).amount)
    assert small.monthly <= big.monthly
