"""Allowance funds of thôn / tổ dân phố: ND 34/2019 Art. 2, then ND 33/2023 Art. 34.2, times the base salary."""

import datetime as dt
from decimal import Decimal

from rules_builders import commune, group

from tinhgon.domain.units import Kind


def test_thon_of_350_households_got_5_times_base_in_2020_and_gets_6_times_in_2025(book):
    thon = group(Kind.THON, 350, province="40")
    y2020 = book.group_fund(thon, dt.date(2020, 6, 1))
    y2025 = book.group_fund(thon, dt.date(2025, 3, 1))
    assert (y2020.coefficient, y2020.base_salary, y2020.monthly) == (Decimal("5.0"), 1_490_000, 7_450_000)
    assert (y2025.coefficient, y2025.base_salary, y2025.monthly) == (Decimal("6.0"), 2_340_000, 14_040_000)
    assert y2025.annual == 14_040_000 * 12


def test_tdp_of_500_households_got_3_times_base_in_2022(book):
    tdp = group(Kind.TO_DAN_PHO, 500, province="01")
    ans = book.group_fund(tdp, dt.date(2022, 5, 1))
    assert (ans.coefficient, ans.monthly) == (Decimal("3.0"), 4_470_000)
    assert ans.rule_id == "nd34-2019.group-fund"


def test_tdp_of_500_households_gets_6_times_base_under_nd33(book):
    ans = book.group_fund(group(Kind.TO_DAN_PHO, 500, province="01"), dt.date(2024, 7, 1))
    assert (ans.coefficient, ans.monthly) == (Decimal("6.0"), 14_040_000)


def test_tdp_of_499_households_gets_4_5_times_base_under_nd33(book):
    ans = book.group_fund(group(Kind.TO_DAN_PHO, 499, province="01"), dt.date(2024, 7, 1))
    assert ans.monthly == 10_530_000  # 4.5 × 2,340,000


def test_thon_of_349_households_got_the_general_3_times(book):
    ans = book.group_fund(group(Kind.THON, 349, province="40"), dt.date(2020, 6, 1))
    assert ans.coefficient == Decimal("3.0")


def test_thon_in_border_commune_got_5_times_under_nd34(book):
    c = commune(Kind.XA, province="20", border=True)
    ans = book.group_fund(group(Kind.THON, 80, province="20", parent_id=c.id), dt.date(2021, 1, 1), commune=c)
    assert ans.coefficient == Decimal("5.0")


def test_tdp_in_security_key_ward_got_3_under_nd34_and_gets_6_under_nd33(book):
    c = commune(Kind.PHUONG, province="01", security_key=True)
    tdp = group(Kind.TO_DAN_PHO, 200, province="01", parent_id=c.id)
    assert book.group_fund(tdp, dt.date(2022, 1, 1), commune=c).coefficient == Decimal("3.0")
    assert book.group_fund(tdp, dt.date(2024, 1, 1), commune=c).coefficient == Decimal("6.0")


def test_thon_of_350_that_became_a_tdp_keeps_6(book):
    kept = group(Kind.TO_DAN_PHO, 420, province="40", extra={"formerly_thon_households": "380"})
    plain = group(Kind.TO_DAN_PHO, 420, province="40")
    on = dt.date(2024, 1, 1)
    assert book.group_fund(kept, on).coefficient == Decimal("6.0")
    assert book.group_fund(plain, on).coefficient == Decimal("4.5")


def test_nd33_fund_starts_on_its_assumed_effective_date(book):
    thon = group(Kind.THON, 100, province="40")
    assert book.group_fund(thon, dt.date(2023, 7, 31)).monthly == 5_400_000   # 3.0 × 1,800,000
    assert book.group_fund(thon, dt.date(2023, 8, 1)).monthly == 8_100_000    # 4.5 × 1,800,000
    ref = book.group_fund(thon, dt.date(2023, 8, 1)).ref
    assert ref.date_tag == "M"


def test_fund_explain_names_both_decrees(book):
    text = book.group_fund(group(Kind.THON, 350, province="40", code="T1"), dt.date(2025, 3, 1)).explain()
    assert "6 × 2.340.000 ₫ = 14.040.000 ₫/tháng" in text
    assert "Nghị định 33/2023/NĐ-CP, Điều 34 khoản 2 [C]" in text
    assert "Nghị định 73/2024/NĐ-CP [C]" in text
