"""A small registry for consultation tests: one city, two wards, groups of chosen sizes, one head each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Connection, Engine, insert

from tinhgon.consult import service
from tinhgon.demo.builder import ensure_title_types
from tinhgon.domain.units import Kind, Region
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s

SINCE = dt.date(2019, 1, 1)
GROUP_DAY = dt.date(2024, 5, 1)      # TT 05/2022 in force: > 50 % in each group, two rounds
COMMUNE_DAY = dt.date(2026, 1, 10)   # ND 321/2025 in force: >= 50 % of all households

NAMES = ["Nguyễn Văn Đức", "Trần Thị Hà", "Lê Văn Hùng", "Phạm Thị Lan", "Hoàng Văn Nam", "Vũ Thị Mai",
         "Đặng Văn Sơn", "Bùi Thị Thu", "Đỗ Văn Tâm", "Ngô Thị Yến", "Dương Văn Long", "Lý Thị Nga"]


@dataclass
class World:
    city: int
    wards: list[int]
    groups: dict[str, int] = field(default_factory=dict)              # group code -> unit id
    households: dict[str, list[str]] = field(default_factory=dict)     # group code -> household codes
    heads: dict[str, int] = field(default_factory=dict)                # household code -> person id


def build_world(conn: Connection, sizes: dict[str, int]) -> World:
    """SIZES: group code ('P01-01', 'P02-01'...) -> households; the ward is the code's prefix."""
    ensure_title_types(conn)
    city = repo.add_unit(conn, code="T01", name="Thành phố Thử", kind=Kind.THANH_PHO_TW, valid_from=SINCE,
                         province_code="01", region=Region.RED_RIVER_DELTA)
    wards = {}
    for wcode in sorted({c.split("-")[0] for c in sizes}):
        wards[wcode] = repo.add_unit(conn, code=wcode, name=f"Phường {wcode}", kind=Kind.PHUONG, parent_id=city,
                                     valid_from=SINCE, province_code="01", region=Region.RED_RIVER_DELTA)
    world = World(city=city, wards=list(wards.values()))
    person_no = 0
    for code, n in sizes.items():
        gid = repo.add_unit(conn, code=code, name=f"Tổ dân phố {code}", kind=Kind.TO_DAN_PHO,
                            parent_id=wards[code.split("-")[0]], valid_from=SINCE, households=n, province_code="01",
                            region=Region.RED_RIVER_DELTA, urban=True)
        world.groups[code] = gid
        world.households[code] = []
        for k in range(1, n + 1):
            hcode = f"{code}-{k:03d}"
            hid = conn.execute(insert(s.household).values(code=hcode)).inserted_primary_key[0]
            conn.execute(insert(s.household_residence).values(household_id=hid, unit_id=gid, members=3,
                                                              valid_from=SINCE, valid_to=None))
            pid = conn.execute(insert(s.person).values(
                code=f"P{hcode}", full_name=f"{NAMES[person_no % len(NAMES)]} {person_no}", household_id=hid,
                is_head=True, party_member=False)).inserted_primary_key[0]
            # another member who is not the head: never on the roll
            conn.execute(insert(s.person).values(code=f"M{hcode}", full_name=f"Thành viên {person_no}",
                                                 household_id=hid, is_head=False, party_member=False))
            person_no += 1
            world.households[code].append(hcode)
            world.heads[hcode] = int(pid)
    service.add_official(conn, "p01", scope_unit_id=wards.get("P01", city))
    if "P02" in wards:
        service.add_official(conn, "p02", scope_unit_id=wards["P02"])
    service.add_official(conn, "admin", scope_unit_id=None, role="admin")
    return world


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    yield db.get_engine(db_url)


def make_world(engine: Engine, sizes: dict[str, int]) -> World:
    with engine.begin() as conn:
        return build_world(conn, sizes)
