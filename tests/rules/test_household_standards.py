"""Household standards (TT 04/2012 Art. 7.1 as amended by TT 14/2018) and merge bands (TT 05/2022 Art. 7a)."""

import datetime as dt

import pytest
from rules_builders import commune, group

from tinhgon.domain.units import Kind, Region
from tinhgon.rules import RuleError, Status

D2023 = dt.date(2023, 1, 1)


def test_ha_noi_tdp_of_200_households_must_merge(book):
    ans = book.household_standard(group(Kind.TO_DAN_PHO, 200, province="01"), D2023)
    assert ans.standard == 450
    assert ans.status is Status.MUST_MERGE
    assert ans.rule_id == "ha-noi.hh.tdp"


def test_ha_noi_tdp_of_300_households_is_encouraged_to_merge(book):
    ans = book.household_standard(group(Kind.TO_DAN_PHO, 300, province="01"), D2023)
    assert ans.status is Status.ENCOURAGED
    assert "tt05-2022.merge-bands" in [r.rule_id for r in ans.refs]


def test_exactly_half_the_standard_is_encouraged_not_must_merge(book):
    assert book.household_standard(group(Kind.TO_DAN_PHO, 225, province="01"), D2023).status is Status.ENCOURAGED


def test_exactly_the_standard_meets_it(book):
    assert book.household_standard(group(Kind.TO_DAN_PHO, 450, province="01"), D2023).status is Status.MEETS
    assert book.household_standard(group(Kind.TO_DAN_PHO, 449, province="01"), D2023).status is Status.ENCOURAGED


def test_ha_noi_applied_the_bands_in_2019_through_its_own_schemes_tagged_m(book):
    ans = book.household_standard(group(Kind.TO_DAN_PHO, 200, province="01"), dt.date(2019, 11, 1))
    assert ans.status is Status.MUST_MERGE
    bands = next(r for r in ans.refs if r.kind == "merge_bands")
    assert bands.rule_id == "ha-noi.merge-bands.2019"
    assert bands.tag == "M"


def test_other_provinces_have_no_merge_band_before_tt05_2022(book):
    ans = book.household_standard(group(Kind.TO_DAN_PHO, 100, province="27"), dt.date(2020, 1, 1))
    assert ans.standard == 350
    assert ans.status is None
    assert "Chưa có quy định ngưỡng" in ans.explain()


@pytest.mark.parametrize(("province", "kind", "standard"), [
    ("04", Kind.TO_DAN_PHO, 200),   # Cao Bằng: Trung du và miền núi phía Bắc
    ("02", Kind.THON, 150),
    ("27", Kind.TO_DAN_PHO, 350),   # Bắc Ninh: Đồng bằng sông Hồng, not Hà Nội
    ("01", Kind.THON, 300),         # Hà Nội overrides only the tổ dân phố column
    ("40", Kind.THON, 250),         # Nghệ An: Miền Trung
    ("40", Kind.TO_DAN_PHO, 300),
    ("66", Kind.THON, 200),         # Đắk Lắk: Tây Nguyên [M]
    ("66", Kind.TO_DAN_PHO, 250),
    ("92", Kind.THON, 350),         # Cần Thơ: Miền Nam
    ("92", Kind.KHU_PHO, 400),      # khu phố counts as a tổ dân phố
    ("79", Kind.TO_DAN_PHO, 500),   # TP HCM override [M]
    ("79", Kind.AP, 350),
])
def test_standard_by_region_of_the_province(book, province, kind, standard):
    assert book.household_standard(group(kind, 100, province=province), D2023).standard == standard


def test_ho_chi_minh_tdp_standard_is_tagged_m(book):
    ans = book.household_standard(group(Kind.TO_DAN_PHO, 400, province="79"), D2023)
    assert ans.rule_id == "ho-chi-minh.hh.tdp"
    assert ans.tag == "M"
    assert ans.status is Status.ENCOURAGED


def test_border_commune_thon_standard_is_100_even_in_a_province_with_an_override(book):
    c = commune(Kind.XA, province="79", border=True)
    thon = group(Kind.THON, 60, province="79", parent_id=c.id)
    ans = book.household_standard(thon, D2023, commune=c)
    assert ans.standard == 100
    assert ans.area == "border_island"
    assert ans.status is Status.ENCOURAGED


def test_island_flag_on_the_group_itself_counts(book):
    ans = book.household_standard(group(Kind.TO_DAN_PHO, 100, province="79", island=True), D2023)
    assert ans.standard == 150
    assert ans.tag == "M"


def test_unit_region_wins_over_the_province_mapping(book):
    ans = book.household_standard(group(Kind.THON, 100, province="40", region=Region.SOUTH), D2023)
    assert ans.standard == 350


def test_region_mapping_switches_to_the_34_provinces_on_2025_07_01(book):
    # "52" was Bình Định (Miền Trung) and is Gia Lai (Tây Nguyên, after the merger) from 2025-07-01
    before = book.household_standard(group(Kind.THON, 100, province="52"), dt.date(2025, 6, 30))
    after = book.household_standard(group(Kind.THON, 100, province="52"), dt.date(2025, 7, 1))
    assert (before.area, before.standard) == ("mien_trung", 250)
    assert (after.area, after.standard) == ("tay_nguyen", 200)


def test_groups_are_kept_as_they_are_from_2025_12_09_notice(book):
    before = book.household_standard(group(Kind.TO_DAN_PHO, 200), dt.date(2025, 12, 8))
    after = book.household_standard(group(Kind.TO_DAN_PHO, 200), dt.date(2025, 12, 9))
    assert before.notices == ()
    assert "11776/BNV-CQĐP" in after.notices[0]
    assert "cv11776-2025.keep-groups" in [r.rule_id for r in after.refs]


def test_before_tt14_2018_there_is_no_standard(book):
    with pytest.raises(RuleError, match="tiêu chuẩn số hộ"):
        book.household_standard(group(Kind.THON, 100, province="40"), dt.date(2018, 6, 1))


def test_a_commune_is_not_a_residential_group(book):
    with pytest.raises(RuleError, match="không phải thôn"):
        book.household_standard(commune(), D2023)


def test_unknown_households_give_the_standard_without_status(book):
    ans = book.household_standard(group(Kind.THON, None, province="40"), D2023)
    assert ans.standard == 250
    assert ans.status is None


def test_explain_cites_circular_article_and_tags(book):
    text = book.household_standard(group(Kind.TO_DAN_PHO, 200, province="01", code="TDP7"), D2023).explain()
    assert "TDP7: 200 hộ = 44,4 %, phải sáp nhập" in text
    assert "Thông tư 04/2012/TT-BNV" in text and "Điều 7 khoản 1 [C]" in text
    assert "Điều 7a [C-2]" in text
