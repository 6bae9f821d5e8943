"""Consultation (TT 04/2012 Art. 8, TT 05/2022; ND 54/2018, ND 321/2025) and procedure (TT 04/2012 Art. 8, 8a)."""

import datetime as dt

import pytest
from rules_builders import commune, district

from tinhgon.domain.units import Kind, Level
from tinhgon.rules import RuleError


def test_group_change_needs_more_than_half_in_each_unit_with_one_retry_after_tt05(book):
    ans = book.consultation(Level.RESIDENTIAL_GROUP, dt.date(2023, 1, 1))
    assert (ans.threshold, ans.comparison, ans.each_unit, ans.max_rounds) == (0.5, ">", True, 2)
    assert ans.basis == "voters_or_household_representatives"
    assert ans.passes(51, 100) and not ans.passes(50, 100)
    assert ans.rule_id == "tt05-2022.consultation.group" and ans.tag == "C"


def test_group_change_before_tt05_used_the_2012_rule_tagged_m(book):
    ans = book.consultation(Level.RESIDENTIAL_GROUP, dt.date(2019, 11, 1))
    assert ans.rule_id == "tt04-2012.consultation.group"
    assert ans.tag == "M" and ans.max_rounds == 1
    assert not ans.passes(50, 100)


def test_commune_change_before_2025_12_16_needs_more_than_half_of_voters(book):
    ans = book.consultation(Level.COMMUNE, dt.date(2025, 12, 15))
    assert (ans.basis, ans.comparison) == ("voters", ">")
    assert not ans.passes(50, 100)
    assert ans.tag == "M"


def test_commune_and_province_change_from_2025_12_16_needs_half_of_all_households(book):
    for level in (Level.COMMUNE, Level.PROVINCE, "province"):
        ans = book.consultation(level, dt.date(2025, 12, 16))
        assert (ans.basis, ans.comparison, ans.threshold) == ("all_households", ">=", 0.5)
        assert ans.one_form_per_household and ans.within_days == 60
        assert ans.passes(50, 100) and not ans.passes(49, 100)
        assert ans.tag == "C"


def test_consultation_explain_is_vietnamese(book):
    text = book.consultation(Level.RESIDENTIAL_GROUP, dt.date(2023, 1, 1)).explain()
    assert "trên 50 % cử tri hoặc cử tri đại diện hộ gia đình đồng ý ở từng đơn vị liên quan" in text
    assert "tổ chức lại tối đa 1 lần" in text


def test_district_level_has_no_consultation_rule(book):
    with pytest.raises(RuleError):
        book.consultation(Level.DISTRICT, dt.date(2023, 1, 1))


def test_procedure_with_commune_council_has_district_step_of_5_days(book):
    x = commune(Kind.XA, province="40")
    ans = book.procedure(dt.date(2020, 1, 1), commune=x)
    ids = [s.id for s in ans.steps]
    assert ids == ["scheme", "consultation", "commune-council", "district", "home-affairs", "province-council"]
    days = {s.id: s.working_days for s in ans.steps}
    assert days["district"] == 5 and days["home-affairs"] == 10


def test_procedure_in_ha_noi_urban_ward_during_pilot_skips_council_and_gives_district_10_days(book):
    q = district(Kind.QUAN, province="01")
    ward = commune(Kind.PHUONG, province="01", parent_id=q.id)
    ans = book.procedure(dt.date(2022, 1, 1), commune=ward, commune_parent=q)
    assert not ans.has_commune_council
    assert "commune-council" not in [s.id for s in ans.steps]
    assert {s.id: s.working_days for s in ans.steps}["district"] == 10
    assert "ha-noi.urban-government" in [r.rule_id for r in ans.refs]


def test_procedure_from_2025_07_01_has_no_district_step_and_is_tagged_m(book):
    ans = book.procedure(dt.date(2025, 7, 1), commune=commune(Kind.XA, province="40"))
    assert "district" not in [s.id for s in ans.steps]
    assert ans.rule_id == "lcq2025.procedure.group" and ans.tag == "M"
    assert book.procedure(dt.date(2025, 6, 30)).rule_id == "tt04-2012.procedure.group"
