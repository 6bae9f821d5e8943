"""A small registry for dossier tests: Hà Nội before and after 2025-07-01.

Before the reform: a quận with a ward (no ward People's Council under Hà Nội's urban-government pilot) and
a huyện with a xã (which has one). After: a new ward directly under the city. Each commune has four groups:
two small ones to merge and two others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Connection, Engine

from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.domain.units import Kind, Region
from tinhgon.registry import db, repo
from tinhgon.registry.plans import save_plan

SINCE = dt.date(2019, 1, 1)
REFORM = dt.date(2025, 7, 1)


@dataclass
class World:
    engine: Engine
    communes: dict[str, int] = field(default_factory=dict)
    groups: dict[str, list[int]] = field(default_factory=dict)


def _groups(conn: Connection, commune_id: int, prefix: str, kind: Kind, valid_from: dt.date, valid_to: dt.date | None,
            sizes: list[int]) -> list[int]:
    ids = []
    for n, hh in enumerate(sizes, 1):
        ids.append(repo.add_unit(conn, code=f"{prefix}-{n:02d}", name=f"{kind.label_vi} số {n}", kind=kind,
                                 parent_id=commune_id, valid_from=valid_from, valid_to=valid_to, households=hh,
                                 region=Region.RED_RIVER_DELTA, province_code="01",
                                 lat=21.03 + 0.004 * n, lon=105.88 + 0.003 * (n % 2)))
    return ids


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    engine = db.get_engine(db_url)
    w = World(engine)
    with engine.begin() as conn:
        city = repo.add_unit(conn, code="01", name="Thành phố Hà Nội", kind=Kind.THANH_PHO_TW, valid_from=SINCE,
                             province_code="01", region=Region.RED_RIVER_DELTA)
        quan = repo.add_unit(conn, code="004", name="Quận Thử", kind=Kind.QUAN, parent_id=city, valid_from=SINCE,
                             valid_to=REFORM, province_code="01")
        huyen = repo.add_unit(conn, code="017", name="Huyện Thử", kind=Kind.HUYEN, parent_id=city,
                              valid_from=SINCE, valid_to=REFORM, province_code="01")
        for key, code, name, kind, parent, frm, to in [
                ("ward", "00100", "Phường Cũ", Kind.PHUONG, quan, SINCE, REFORM),
                ("xa", "00500", "Xã Thử", Kind.XA, huyen, SINCE, REFORM),
                ("new", "00900", "Phường Mới", Kind.PHUONG, city, REFORM, None)]:
            cid = repo.add_unit(conn, code=code, name=name, kind=kind, parent_id=parent, valid_from=frm, valid_to=to,
                                province_code="01", region=Region.RED_RIVER_DELTA, lat=21.03, lon=105.88)
            w.communes[key] = cid
            gkind = Kind.THON if kind == Kind.XA else Kind.TO_DAN_PHO
            w.groups[key] = _groups(conn, cid, code, gkind, frm, to, [120, 140, 500, 480])
    yield w


def make_plan(w: World, key: str, name: str, at: dt.date) -> str:
    g = w.groups[key]
    c = w.communes[key]
    with w.engine.begin() as conn:
        save_plan(conn, Plan(name=name, scope_unit_id=c, at=at, groups=[
            PlanGroup(label="N1", parent_unit_id=c, unit_ids=[g[0], g[1]], households=260, new_name="Tổ mới số 1"),
            PlanGroup(label="N2", parent_unit_id=c, unit_ids=[g[2]], households=500),
            PlanGroup(label="N3", parent_unit_id=c, unit_ids=[g[3]], households=480)]))
    return name
