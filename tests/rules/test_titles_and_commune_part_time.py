"""Group titles (ND 33/2023 Art. 33.6-8), commune part-time quotas and funds (ND 34/2019, ND 33/2023), and
their end from 2025-08-01 (letter 03/CV-BCĐ)."""

import datetime as dt
from decimal import Decimal

import pytest
from rules_builders import PACKS, commune, district, group

from tinhgon.domain.units import Kind
from tinhgon.rules import MissingUnitData, RuleBook


def test_group_may_have_three_titles_and_concurrency_is_encouraged(book):
    ans = book.group_titles(group(), dt.date(2024, 1, 1))
    assert ans.titles == ("bi_thu_chi_bo", "to_truong", "truong_ban_ctmt")
    assert ans.max_titles == 3
    assert ans.concurrency_encouraged
    assert ("bi_thu_chi_bo", "to_truong") in ans.encouraged_pairs
    assert ans.rule_id == "nd33-2023.group-titles" and ans.tag == "C"


def test_group_titles_before_nd33_are_tagged_m(book):
    ans = book.group_titles(group(), dt.date(2020, 1, 1))
    assert ans.max_titles == 3 and ans.tag == "M"


@pytest.mark.parametrize(("cls", "quota"), [(1, 14), (2, 12), (3, 10)])
def test_commune_part_time_quota_by_class(book, cls, quota):
    c = commune(Kind.XA, province="40", commune_class=cls)
    assert book.commune_part_time_quota(c, dt.date(2021, 1, 1)).quota == quota


@pytest.mark.parametrize(("cls", "coef", "monthly"), [
    (1, Decimal("16.0"), 23_840_000), (2, Decimal("13.7"), 20_413_000), (3, Decimal("11.4"), 16_986_000)])
def test_commune_part_time_fund_by_class_under_nd34(book, cls, coef, monthly):
    c = commune(Kind.XA, province="40", commune_class=cls)
    ans = book.commune_part_time_fund(c, dt.date(2021, 1, 1))
    assert (ans.coefficient, ans.monthly) == (coef, monthly)


@pytest.mark.parametrize(("cls", "monthly"), [(1, 49_140_000), (2, 42_120_000), (3, 35_100_000)])
def test_commune_part_time_fund_by_class_under_nd33(book, cls, monthly):
    # no population or area given: no extra persons; 21.0 / 18.0 / 15.0 × 2,340,000
    c = commune(Kind.XA, province="40", commune_class=cls)
    assert book.commune_part_time_fund(c, dt.date(2025, 1, 1)).monthly == monthly


def test_ward_of_urban_district_gets_one_more_per_full_third_of_population_above_standard(book):
    q = district(Kind.QUAN, province="01")
    ward = commune(Kind.PHUONG, province="01", commune_class=1, parent_id=q.id, population=40_000, area_km2=6.0)
    ans = book.commune_part_time_quota(ward, dt.date(2024, 1, 1), parent=q)
    # standard 15,000; 25,000 above = 5 full thirds (5,000 each); area 6.0 < 2 × 5.5
    assert (ans.base_quota, ans.extra_population, ans.extra_area, ans.quota) == (14, 5, 0, 19)


def test_other_commune_gets_one_more_per_full_half_and_one_per_full_100_percent_of_area(book):
    x = commune(Kind.XA, province="40", commune_class=2, population=20_000, area_km2=95.0)
    ans = book.commune_part_time_quota(x, dt.date(2024, 1, 1))
    # standard 8,000 people, 30 km²: 12,000 above = 3 full halves; 65 km² above = 2 full 100 %
    assert (ans.extra_population, ans.extra_area, ans.quota) == (3, 2, 17)
    fund = book.commune_part_time_fund(x, dt.date(2024, 1, 1))
    assert fund.total_coefficient == Decimal("25.5")          # 18.0 + 1.5 × 5
    assert fund.monthly == 45_900_000                          # 25.5 × 1,800,000 (before 2024-07-01)


def test_extras_are_not_counted_under_nd34(book):
    x = commune(Kind.XA, province="40", commune_class=2, population=20_000, area_km2=95.0)
    assert book.commune_part_time_quota(x, dt.date(2022, 1, 1)).quota == 12


def test_ward_without_known_district_gets_no_extras_and_says_why(book):
    ward = commune(Kind.PHUONG, province="01", commune_class=1, population=40_000)
    ans = book.commune_part_time_quota(ward, dt.date(2024, 1, 1))
    assert ans.quota == 14
    assert "Chưa tính số tăng thêm" in ans.detail


def test_commune_part_time_workers_end_on_2025_08_01(book):
    c = commune(Kind.XA, province="40", commune_class=1)
    assert book.commune_part_time_quota(c, dt.date(2025, 7, 31)).quota == 14
    ended = book.commune_part_time_quota(c, dt.date(2025, 8, 1))
    assert ended.ended and ended.quota == 0
    assert ended.rule_id == "cv03-2025.commune-part-time-end"
    fund = book.commune_part_time_fund(c, dt.date(2025, 8, 1))
    assert fund.ended and fund.monthly == 0


def test_a_province_pack_can_keep_commune_part_time_workers_until_2026_05_31(tmp_path):
    (tmp_path / "40-nghe-an.yaml").write_text("""
pack:
  id: province-40-test
  title: Nghệ An giữ người hoạt động không chuyên trách
  scope: province
  province_code: "40"
  document: {document: Nghị quyết HĐND tỉnh (thử)}
rules:
  - id: nghe-an.keep-quota
    kind: commune_part_time_quota
    by_class: {1: 8, 2: 7, 3: 6}
    tag: M
    valid_from: 2025-08-01
    valid_to: 2026-05-31
  - id: nghe-an.keep-fund
    kind: commune_part_time_fund
    by_class: {1: 10.0, 2: 9.0, 3: 8.0}
    per_extra_person: 0
    tag: M
    valid_from: 2025-08-01
    valid_to: 2026-05-31
""", encoding="utf-8")
    book = RuleBook.load([PACKS / "national", PACKS / "provinces", tmp_path])
    c = commune(Kind.XA, province="40", commune_class=2)
    assert book.commune_part_time_quota(c, dt.date(2026, 1, 1)).quota == 7
    assert book.commune_part_time_fund(c, dt.date(2026, 1, 1)).monthly == 9 * 2_340_000
    assert book.commune_part_time_quota(c, dt.date(2026, 5, 31)).ended
    other = commune(Kind.XA, province="38", commune_class=2)
    assert book.commune_part_time_quota(other, dt.date(2026, 1, 1)).ended


def test_commune_without_class_is_refused_with_missing_data(book):
    with pytest.raises(MissingUnitData, match="commune_class"):
        book.commune_part_time_quota(commune(Kind.XA, commune_class=None), dt.date(2024, 1, 1))
