"""The national seed: counts equal the package's own, identities and lineage across the 2025 reform."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from sqlalchemy import select

from tinhgon.domain.units import Level
from tinhgon.registry import db, repo, vn_data
from tinhgon.registry import schema as s

BEFORE = dt.date(2025, 6, 30)
AFTER = dt.date(2025, 7, 1)


def _package_counts() -> dict[str, int]:
    """Counted straight from the package's own SQLite file, independently of tinhgon's reader."""
    con = sqlite3.connect(vn_data.data_dir() / "dataset.db")
    legacy = con.execute("SELECT count(DISTINCT provinceCode), count(DISTINCT districtCode), "
                         "count(DISTINCT wardCode) FROM admin_units_legacy").fetchone()
    new = con.execute("SELECT count(DISTINCT provinceCode), count(DISTINCT wardCode), "
                      "sum(wardType='Xã'), sum(wardType='Phường'), sum(wardType='Đặc khu') FROM admin_units").fetchone()
    con.close()
    return {"p_old": legacy[0], "d_old": legacy[1], "c_old": legacy[2], "p_new": new[0], "c_new": new[1],
            "xa": new[2], "phuong": new[3], "dac_khu": new[4]}


def test_seed_counts_equal_the_packages_own_on_both_sides_of_the_reform(seeded_url: str) -> None:
    pkg = _package_counts()
    with db.get_engine().connect() as conn:
        before = repo.counts_by_level(conn, BEFORE)
        after = repo.counts_by_level(conn, AFTER)
        kinds = repo.counts_by_kind(conn, AFTER, Level.COMMUNE)
    assert before == {"province": pkg["p_old"], "district": pkg["d_old"], "commune": pkg["c_old"],
                      "residential_group": 0}
    assert (before["province"], before["district"], before["commune"]) == (63, 696, 10035)
    assert after == {"province": 34, "district": 0, "commune": 3321, "residential_group": 0}
    assert (after["province"], after["commune"]) == (pkg["p_new"], pkg["c_new"])
    assert kinds == {"xa": pkg["xa"], "phuong": pkg["phuong"], "dac_khu": pkg["dac_khu"]} == \
        {"xa": 2621, "phuong": 687, "dac_khu": 13}


def test_a_reused_code_names_a_different_unit_after_the_reform(seeded_url: str) -> None:
    with db.get_engine().connect() as conn:
        old = repo.resolve_unit(conn, "00118", BEFORE)
        new = repo.resolve_unit(conn, "00118", AFTER)
    assert old.name == "Phường Ngọc Thụy"
    assert new.name == "Phường Bồ Đề"
    assert old.id != new.id


def test_a_split_commune_keeps_every_successor_the_package_lists(seeded_url: str) -> None:
    mapping = json.loads((vn_data.data_dir() / "converter_2025.json").read_text(encoding="utf-8"))
    divided = mapping["DICT_PROVINCE_WARD_DIVIDED"]["thanhphohanoi"]
    expected = {item["newWardKey"] for item in divided["thanhphohanoi_quanlongbien_phuongngocthuy"]}
    with db.get_engine().connect() as conn:
        ngoc_thuy = repo.resolve_unit(conn, "00118", BEFORE)
        succ = repo.successors(conn, ngoc_thuy.id)
        names = {vn_data.slug(repo.unit_at(conn, uid, AFTER).name) for uid, _p, _d in succ}  # type: ignore[union-attr]
    assert len(succ) == len(expected) == 2
    assert names == {vn_data.slug(k) for k in expected}
    assert all(partial for _uid, partial, _d in succ)


def test_every_legacy_commune_has_a_successor_and_every_new_commune_a_predecessor(seeded_url: str) -> None:
    with db.get_engine().connect() as conn:
        L = s.lineage_link
        froms = {r[0] for r in conn.execute(select(L.c.from_unit_id))}
        tos = {r[0] for r in conn.execute(select(L.c.to_unit_id))}
        old = repo.units_at(conn, BEFORE, level=Level.COMMUNE)
        new = repo.units_at(conn, AFTER, level=Level.COMMUNE)
    assert all(u.id in froms for u in old)
    assert all(u.id in tos for u in new)


def test_an_untouched_province_keeps_its_identity_and_a_merged_one_is_new(seeded_url: str) -> None:
    with db.get_engine().connect() as conn:
        hn_old = repo.resolve_unit(conn, "01", BEFORE, Level.PROVINCE)
        hn_new = repo.resolve_unit(conn, "01", AFTER, Level.PROVINCE)
        bac_giang = repo.resolve_unit(conn, "24", BEFORE, Level.PROVINCE)
        succ = repo.successors(conn, bac_giang.id)
        new_bn = repo.unit_at(conn, succ[0][0], AFTER)
        preds = repo.predecessors(conn, succ[0][0])
    assert hn_old.id == hn_new.id
    assert new_bn is not None and new_bn.name == "Tỉnh Bắc Ninh"
    assert len(preds) == 2


def test_as_of_queries_walk_the_tree_on_either_date(seeded_url: str) -> None:
    with db.get_engine().connect() as conn:
        hanoi = repo.resolve_unit(conn, "01", BEFORE, Level.PROVINCE)
        before = repo.children(conn, hanoi.id, BEFORE)
        after = repo.children(conn, hanoi.id, AFTER)
        below_before = repo.descendants(conn, hanoi.id, BEFORE)
    con = sqlite3.connect(vn_data.data_dir() / "dataset.db")
    n_dist, n_old = con.execute("SELECT count(DISTINCT districtCode), count(DISTINCT wardCode) "
                                "FROM admin_units_legacy WHERE provinceCode='01'").fetchone()
    n_new = con.execute("SELECT count(*) FROM admin_units WHERE provinceCode='01'").fetchone()[0]
    con.close()
    assert {u.level for u in before} == {Level.DISTRICT} and len(before) == n_dist == 30
    assert {u.level for u in after} == {Level.COMMUNE} and len(after) == n_new == 126
    assert sum(1 for u in below_before if u.level == Level.COMMUNE) == n_old == 526


def test_seeded_registry_keeps_every_invariant(seeded_url: str) -> None:
    with db.get_engine().connect() as conn:
        assert repo.integrity_problems(conn) == []
