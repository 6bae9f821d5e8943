"""Province settings: concurrent pay share (Hà Nội QĐ 31/2013), release support (default [M]), urban government."""

import datetime as dt
from decimal import Decimal

import pytest
from rules_builders import commune, district

from tinhgon.domain.units import Kind
from tinhgon.rules import NoRuleInForce


def test_ha_noi_concurrent_holder_receives_30_percent(book):
    ans = book.concurrent_pay_share("01", dt.date(2020, 1, 1))
    assert ans.share == Decimal("0.3")
    assert ans.tag == "C"
    assert "Quyết định 31/2013/QĐ-UBND" in ans.explain()
    assert "30 %" in ans.explain()


def test_a_province_without_a_setting_has_no_concurrent_share(book):
    with pytest.raises(NoRuleInForce, match="tỉnh 40"):
        book.concurrent_pay_share("40", dt.date(2020, 1, 1))


def test_release_support_default_is_a_labelled_placeholder(book):
    ans = book.release_support("01", dt.date(2024, 1, 1), monthly_allowance=1_000_000, years_of_service=5)
    assert ans.placeholder and ans.tag == "M"
    assert ans.months == Decimal("5.0") and ans.amount == 5_000_000
    assert "chưa được xác nhận" in ans.explain()
    short = book.release_support("01", dt.date(2024, 1, 1), monthly_allowance=1_000_000, years_of_service=1)
    assert short.amount == 3_000_000  # the default's minimum of 3 months


def test_ha_noi_urban_district_ward_has_no_council_from_2021_07_01_to_2025_06_30(book):
    q = district(Kind.QUAN, province="01")
    ward = commune(Kind.PHUONG, province="01", parent_id=q.id)
    assert book.governance(ward, dt.date(2021, 6, 30), parent=q).has_commune_council
    assert not book.governance(ward, dt.date(2021, 7, 1), parent=q).has_commune_council
    assert book.governance(ward, dt.date(2025, 7, 1), parent=q).has_commune_council


def test_son_tay_wards_are_in_the_pilot_by_district_code(book):
    son_tay = district(Kind.THI_XA, province="01", code="269")
    other_town = district(Kind.THI_XA, province="01", code="999")
    ward = commune(Kind.PHUONG, province="01")
    assert not book.governance(ward, dt.date(2022, 1, 1), parent=son_tay).has_commune_council
    assert book.governance(ward, dt.date(2022, 1, 1), parent=other_town).has_commune_council


def test_rural_commune_in_ha_noi_keeps_its_council(book):
    h = district(Kind.HUYEN, province="01")
    assert book.governance(commune(Kind.XA, province="01"), dt.date(2022, 1, 1), parent=h).has_commune_council
