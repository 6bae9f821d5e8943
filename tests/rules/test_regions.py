"""The province → region table covers exactly the GSO province codes shipped by vietnamadminunits."""

import datetime as dt
import importlib.util
import sqlite3
from pathlib import Path

import pytest
import yaml
from rules_builders import PACKS


def _dataset() -> Path | None:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        return None
    db = Path(next(iter(spec.submodule_search_locations))) / "data" / "dataset.db"
    return db if db.exists() else None


def _table(code_set: str) -> dict[str, dict]:
    data = yaml.safe_load((PACKS / "national" / "regions-gso.yaml").read_text(encoding="utf-8"))
    rule = next(r for r in data["rules"] if r["code_set"] == code_set)
    return {p["code"]: p for p in rule["provinces"]}


@pytest.mark.parametrize(("code_set", "table", "count"), [
    ("legacy_63", "admin_units_legacy", 63), ("new_34", "admin_units", 34)])
def test_region_table_matches_the_package_province_list(code_set, table, count):
    db = _dataset()
    if db is None:
        pytest.skip("vietnamadminunits not installed")
    with sqlite3.connect(db) as con:
        rows = dict(con.execute(f"select distinct provinceCode, province from {table}").fetchall())
    mapping = _table(code_set)
    assert len(mapping) == count
    assert {c: p["name"] for c, p in mapping.items()} == rows


def test_six_gso_regions_fold_into_five_rows_for_the_legacy_provinces():
    regions = {c: p["region"] for c, p in _table("legacy_63").items()}
    counts = {r: list(regions.values()).count(r) for r in set(regions.values())}
    assert counts == {"trung_du_mien_nui_phia_bac": 14, "dong_bang_song_hong": 11, "mien_trung": 14,
                      "tay_nguyen": 5, "mien_nam": 19}
    assert (regions["01"], regions["79"], regions["40"]) == ("dong_bang_song_hong", "mien_nam", "mien_trung")


def test_region_answer_cites_the_mapping_as_an_assumption(book):
    from rules_builders import group

    ans = book.region_of(group(province="40"), dt.date(2020, 1, 1))
    assert ans.region == "mien_trung"
    assert ans.tag == "M"


def test_shipped_region_table_is_what_the_generator_writes():
    from tinhgon.rules.gen_regions import OUTPUT, generate

    db = _dataset()
    if db is None:
        pytest.skip("vietnamadminunits not installed")
    assert generate(db) == OUTPUT.read_text(encoding="utf-8")
