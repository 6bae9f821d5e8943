import datetime as dt

import pytest

from tinhgon.rules import NoRuleInForce


@pytest.mark.parametrize(("day", "amount", "rule_id"), [
    (dt.date(2019, 6, 30), 1_390_000, "base-salary.2018"),
    (dt.date(2019, 7, 1), 1_490_000, "base-salary.2019"),
    (dt.date(2023, 6, 30), 1_490_000, "base-salary.2019"),
    (dt.date(2023, 7, 1), 1_800_000, "base-salary.2023"),
    (dt.date(2024, 6, 30), 1_800_000, "base-salary.2023"),
    (dt.date(2024, 7, 1), 2_340_000, "base-salary.2024"),
    (dt.date(2026, 11, 22), 2_340_000, "base-salary.2024"),
])
def test_base_salary_changes_on_its_dates_half_open(book, day, amount, rule_id):
    ans = book.base_salary(day)
    assert ans.amount == amount
    assert ans.rule_id == rule_id


def test_base_salary_before_2018_has_no_rule(book):
    with pytest.raises(NoRuleInForce, match="lương cơ sở"):
        book.base_salary(dt.date(2017, 1, 1))


def test_base_salary_explain_cites_decree_and_tag(book):
    text = book.base_salary(dt.date(2020, 1, 1)).explain()
    assert "1.490.000 ₫" in text
    assert "Nghị định 38/2019/NĐ-CP [C]" in text
