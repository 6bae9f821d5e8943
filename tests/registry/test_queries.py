"""Reads that answer in one query what used to take one query per level or per unit: each is checked
against the plain walk it replaces, on the demo and on bad data (a loop, a parent not in force, a self
parent, a chain deeper than the recursive query climbs)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, update
from tests.web.statement_count import counting

from tinhgon.domain.units import Kind, Level, Unit
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s

D = dt.date
OLD, NEW = D(2025, 6, 30), D(2025, 7, 1)


def walk_up(conn: Connection, unit: Unit, on: dt.date) -> list[Unit]:
    """The ancestors, one unit_at() per level (as repo.ancestors did before)."""
    chain: list[Unit] = []
    cur = unit
    seen = {unit.id}
    while cur.parent_id is not None and cur.parent_id not in seen:
        parent = repo.unit_at(conn, cur.parent_id, on)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
        cur = parent
    return chain


def test_ancestors_in_one_query_are_the_walk_one_level_at_a_time(demo_url: str) -> None:
    with db.get_engine(demo_url).connect() as conn:
        for day, levels in ((OLD, 3), (NEW, 2)):  # districts are gone from 2025-07-01
            every = repo.units_at(conn, day)
            groups = [u for u in every if u.level == Level.RESIDENTIAL_GROUP]
            units = every[::40] + groups[:40]  # every level, and the deepest units
            deep = 0
            for u in units:
                with counting(conn.engine) as c:
                    got = repo.ancestors(conn, u, day)
                assert got == walk_up(conn, u, day), (u.code, day)
                assert len(c) == (1 if u.parent_id is not None else 0)
                deep = max(deep, len(got))
            assert deep == levels  # a residential group under its ward, (district) and city


def test_ancestors_on_bad_data_stop_where_the_walk_stops(db_url: str) -> None:
    with db.get_engine().begin() as conn:
        a = repo.add_unit(conn, code="A", name="Tỉnh A", kind=Kind.TINH)
        b = repo.add_unit(conn, code="B", name="Xã B", kind=Kind.XA, parent_id=a)
        c = repo.add_unit(conn, code="C", name="Thôn C", kind=Kind.THON, parent_id=b)
        conn.execute(update(s.unit_version).where(s.unit_version.c.unit_id == a).values(parent_id=c))  # a loop
        gone = repo.add_unit(conn, code="G", name="Tỉnh G", kind=Kind.TINH, valid_to=D(2020, 1, 1))
        orphan = repo.add_unit(conn, code="O", name="Xã O", kind=Kind.XA, parent_id=gone)
        selfish = repo.add_unit(conn, code="S", name="Xã S", kind=Kind.XA)
        conn.execute(update(s.unit_version).where(s.unit_version.c.unit_id == selfish).values(parent_id=selfish))
        # a chain longer than the recursive query climbs: the rest is walked one level at a time
        top = repo.add_unit(conn, code="T0", name="Tỉnh T", kind=Kind.TINH)
        ids = [top]
        for i in range(1, repo.CHAIN_DEPTH + 6):
            ids.append(repo.add_unit(conn, code=f"T{i}", name=f"Xã T{i}", kind=Kind.XA, parent_id=ids[-1]))
        day = D(2025, 1, 1)
        for uid in (a, b, c, orphan, selfish, *ids):
            u = repo.unit_at(conn, uid, day)
            assert u is not None
            assert repo.ancestors(conn, u, day) == walk_up(conn, u, day), u.code
        assert [x.code for x in repo.ancestors(conn, repo.unit_at(conn, c, day), day)] == ["B", "A"]  # type: ignore[arg-type]
        assert repo.ancestors(conn, repo.unit_at(conn, orphan, day), day) == []  # type: ignore[arg-type]
        assert len(repo.ancestors(conn, repo.unit_at(conn, ids[-1], day), day)) == len(ids) - 1  # type: ignore[arg-type]
        # chain_from() of a unit is the unit, then what is above it
        assert [x.id for x in repo.chain_from(conn, b, day)] == [b, a, c]


def test_lineage_and_histories_in_one_query_each_match_the_single_queries(demo_url: str) -> None:
    with db.get_engine(demo_url).connect() as conn:
        ids = sorted({int(r[0]) for r in conn.execute(s.unit_version.select().with_only_columns(
            s.unit_version.c.unit_id))})
        linked = 0
        for uid in ids:
            before, after = repo.lineage(conn, uid)
            assert (before, after) == (repo.predecessors(conn, uid), repo.successors(conn, uid))
            linked += bool(before or after)
        assert linked > 10  # the 2025 reform links the old wards to the new ones
        some = ids[:50] + ids[-50:]
        with counting(conn.engine) as c:
            got = repo.unit_histories(conn, some)
        assert len(c) == 1
        assert got == {u: repo.unit_history(conn, u) for u in some}
        history, versions = repo.unit_history_versions(conn, ids[0])
        assert history == repo.unit_history(conn, ids[0])
        assert versions == repo.row_versions(conn, [v.version_id for v in history])
