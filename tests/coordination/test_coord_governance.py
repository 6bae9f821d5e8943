"""The governance model: defaults per level, the Hà Nội urban-government pilot computed from the
registry, and what it changes (a council step, signing between bodies)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, and_, select

from tinhgon.coordination import service
from tinhgon.coordination.governance import bodies_of, has_council, pilot_wards, seed_hanoi_pilot, set_body
from tinhgon.coordination.model import Party, PartyKind
from tinhgon.domain.units import Level
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s

BEFORE, START, LAST, AFTER = dt.date(2021, 6, 30), dt.date(2021, 7, 1), dt.date(2025, 6, 30), dt.date(2025, 7, 1)


def test_a_long_bien_ward_has_no_council_from_2021_07_01_until_the_2025_reform(seeded_conn: Connection) -> None:
    seed_hanoi_pilot(seeded_conn)
    ward = repo.resolve_unit(seeded_conn, "00130", BEFORE)  # Phường Gia Thụy
    assert bodies_of(seeded_conn, ward, BEFORE).present == ("dang_uy", "hdnd", "ubnd", "ubmttq")
    on_start = bodies_of(seeded_conn, ward, START)
    assert not on_start.has_council and on_start.has("ubnd") and on_start.has("ubmttq")
    hdnd = next(b for b in on_start.bodies if b.code == "hdnd")
    assert hdnd.source == "hanoi-urban-pilot" and "32/2021" in (hdnd.doc_number or "") and hdnd.tag == "C"
    assert not has_council(seeded_conn, ward, LAST)


def test_a_non_pilot_rural_commune_keeps_its_council_before_and_after_2021_07_01(seeded_conn: Connection) -> None:
    seed_hanoi_pilot(seeded_conn)
    commune = repo.resolve_unit(seeded_conn, "00529", BEFORE)  # Xã Yên Thường, Huyện Gia Lâm
    assert commune.name.startswith("Xã")
    for day in (BEFORE, START, dt.date(2023, 5, 1)):
        assert has_council(seeded_conn, commune, day)


def test_communes_have_councils_again_from_2025_07_01(seeded_conn: Connection) -> None:
    seed_hanoi_pilot(seeded_conn)
    for u in repo.units_at(seeded_conn, AFTER, level=Level.COMMUNE, code="00145"):  # a Long Biên ward code
        assert has_council(seeded_conn, u, AFTER)
    # every pilot row ends on the reform day at the latest
    rows = seeded_conn.execute(select(s.metadata.tables["governance_body"].c.valid_to)).all()
    assert rows and all(r[0] is not None and r[0] <= AFTER for r in rows)


def test_pilot_wards_equal_an_independent_query_of_the_registry(seeded_conn: Connection) -> None:
    uv = s.unit_version
    d = uv.alias("d")
    expected = {int(r[0]) for r in seeded_conn.execute(
        select(uv.c.unit_id).join(d, and_(d.c.unit_id == uv.c.parent_id, d.c.level == "district"))
        .where(uv.c.level == "commune", uv.c.kind == "phuong", d.c.province_code == "01",
               (d.c.kind == "quan") | (d.c.name == "Thị xã Sơn Tây"),
               (uv.c.valid_to.is_(None)) | (uv.c.valid_to > START)))}
    got = {uid for uid, _a, _b in pilot_wards(seeded_conn)}
    assert got == expected and len(got) > 100
    res = seed_hanoi_pilot(seeded_conn)
    assert res["added"] == len(expected)
    assert seed_hanoi_pilot(seeded_conn) == {"added": 0, "kept": len(expected)}  # idempotent


def test_the_model_agrees_with_the_rule_book_on_hanoi_communes(seeded_conn: Connection) -> None:
    from tinhgon.rules.book import RuleBook

    seed_hanoi_pilot(seeded_conn)
    book = RuleBook.load_default(use_env=False)
    hanoi = repo.resolve_unit(seeded_conn, "01", START, Level.PROVINCE)
    checked = 0
    for district in repo.children(seeded_conn, hanoi.id, START):
        for commune in repo.children(seeded_conn, district.id, START)[:3]:
            for day in (BEFORE, START):
                ours = has_council(seeded_conn, commune, day)
                theirs = book.governance(commune, day, parent=district).has_commune_council
                assert ours == theirs, (commune.name, day)
                checked += 1
    assert checked > 100


def test_a_coordination_rule_between_council_and_committee_cannot_be_signed_where_there_is_no_council(
        seeded_conn: Connection) -> None:
    seed_hanoi_pilot(seeded_conn)
    ward = repo.resolve_unit(seeded_conn, "00130", START)
    service.create_rule(seeded_conn, code="QC-HDND-UBND", name="Quy chế phối hợp HĐND - UBND",
                        party_a=Party(PartyKind.BODY, "hdnd"), party_b=Party(PartyKind.BODY, "ubnd"),
                        unit_level=Level.COMMUNE, adopted_on=dt.date(2021, 1, 1), duties=["Phối hợp"])
    with pytest.raises(BadInput, match="Hội đồng nhân dân"):
        service.sign(seeded_conn, "QC-HDND-UBND", [ward], dt.date(2021, 8, 1))


def test_a_manual_row_overrides_the_default_and_overlaps_are_refused(seeded_conn: Connection) -> None:
    commune = repo.resolve_unit(seeded_conn, "00529", BEFORE)
    set_body(seeded_conn, commune, "hdnd", False, dt.date(2022, 1, 1), dt.date(2023, 1, 1), tag="M")
    assert not has_council(seeded_conn, commune, dt.date(2022, 6, 1))
    assert has_council(seeded_conn, commune, dt.date(2023, 1, 1))
    with pytest.raises(BadInput):
        set_body(seeded_conn, commune, "hdnd", True, dt.date(2022, 6, 1), None)
    with pytest.raises(BadInput):
        set_body(seeded_conn, commune, "hdnd", False, dt.date(2024, 6, 1), dt.date(2024, 1, 1))
