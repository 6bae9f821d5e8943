"""Commune-level standards (NQ 1211/2016), arrangement criteria (NQ 35/2023), new communes (NQ 76/2025),
class points (NQ 1211/2016, ND 307/2025)."""

import datetime as dt

import pytest
from rules_builders import commune, district

from tinhgon.domain.units import Kind


@pytest.mark.parametrize(("kind", "parent_kind", "mountainous", "population", "area"), [
    (Kind.XA, Kind.HUYEN, True, 5000, 50),
    (Kind.XA, Kind.HUYEN, False, 8000, 30),
    (Kind.PHUONG, Kind.QUAN, False, 15000, 5.5),
    (Kind.PHUONG, Kind.THANH_PHO_TINH, False, 7000, 5.5),
    (Kind.PHUONG, Kind.THI_XA, False, 5000, 5.5),
])
def test_commune_standard_by_kind(book, kind, parent_kind, mountainous, population, area):
    p = district(parent_kind, province="40")
    c = commune(kind, province="40", parent_id=p.id, mountainous=mountainous)
    ans = book.commune_standard(c, dt.date(2020, 1, 1), parent=p)
    assert (ans.population_standard, ans.area_standard_km2) == (population, area)


def test_arrangement_2023_2025_when_both_below_70_percent(book):
    x = commune(Kind.XA, province="40", population=4000, area_km2=15.0)  # 50 % and 50 %
    ans = book.commune_arrangement(x, dt.date(2024, 1, 1))
    assert ans.must_arrange and ans.period == "2023-2025"


def test_arrangement_2023_2025_when_area_below_20_and_population_below_300_percent(book):
    x = commune(Kind.XA, province="40", population=20000, area_km2=5.0)  # 250 %, 16.7 %
    assert book.commune_arrangement(x, dt.date(2024, 1, 1)).must_arrange


def test_no_arrangement_in_2023_2025_for_a_commune_at_80_percent(book):
    x = commune(Kind.XA, province="40", population=6400, area_km2=24.0)
    assert not book.commune_arrangement(x, dt.date(2024, 1, 1)).must_arrange


def test_arrangement_2026_2030_when_both_below_100_percent(book):
    x = commune(Kind.XA, province="40", population=6400, area_km2=24.0)
    ans = book.commune_arrangement(x, dt.date(2026, 1, 1))
    assert ans.must_arrange and ans.period == "2026-2030"


def test_new_mountain_commune_needs_200_percent_area_and_100_percent_population(book):
    ok = commune(Kind.XA, province="14", mountainous=True, population=5000, area_km2=100.0)
    short = commune(Kind.XA, province="14", mountainous=True, population=5000, area_km2=99.0)
    on = dt.date(2025, 5, 1)
    assert book.new_commune_check(ok, on).meets
    assert not book.new_commune_check(short, on).meets


def test_new_ward_in_central_city_needs_45000_people_and_5_5_km2(book):
    on = dt.date(2025, 5, 1)
    assert book.new_commune_check(commune(Kind.PHUONG, population=45000, area_km2=5.5), on,
                                  context="central_city").meets
    fails = book.new_commune_check(commune(Kind.PHUONG, population=44999, area_km2=5.5), on, context="central_city")
    assert not fails.meets and "dân số dưới 45000" in fails.failures[0]
    assert book.new_commune_check(commune(Kind.PHUONG, population=21000, area_km2=6.0), on).meets


@pytest.mark.parametrize(("day", "points", "cls"), [
    (dt.date(2020, 1, 1), 75, 1), (dt.date(2020, 1, 1), 74.9, 2), (dt.date(2020, 1, 1), 50, 2),
    (dt.date(2020, 1, 1), 49, 3), (dt.date(2025, 11, 27), 90, 0), (dt.date(2025, 11, 27), 60, 2),
    (dt.date(2025, 11, 27), 59.5, 3), (dt.date(2025, 11, 26), 55, 2),
])
def test_commune_class_from_points_before_and_after_nd307(book, day, points, cls):
    assert book.commune_class_from_points(points, day).commune_class == cls
