"""Ballot entry and the tally read in fewer statements: each merged read is checked against the reads it
replaces (the official and the web account of a name, the scope walk, the consultation with its units,
the tally given what the caller read), and every refusal of an entry still says what it said."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, Engine, insert, select, update
from tests.web.statement_count import counting

from tinhgon.consult import service
from tinhgon.consult import tables as t
from tinhgon.errors import BadInput
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s

from .conftest import GROUP_DAY, make_world

OLD, NEW = dt.date(2025, 6, 30), dt.date(2025, 7, 1)


def walk_scope(conn: Connection, official: service.Official, unit_ids: set[int], on: dt.date) -> set[int]:
    """The scope check one level at a time, as _allowed_units did before (one query per level)."""
    UV = s.unit_version
    if official.role == "admin" and official.scope_unit_id is None:
        return set(unit_ids)
    scope = official.scope_unit_id
    allowed = {u for u in unit_ids if u == scope}
    frontier = {u: u for u in unit_ids if u != scope}
    for _ in range(6):
        if not frontier:
            break
        parents = dict(conn.execute(select(UV.c.unit_id, UV.c.parent_id).where(
            repo.in_force_clause(UV, on), UV.c.unit_id.in_(list(set(frontier.values()))))).all())
        nxt = {}
        for start, cur in frontier.items():
            p = parents.get(cur)
            if p is None:
                continue
            if p == scope:
                allowed.add(start)
            else:
                nxt[start] = p
        frontier = nxt
    return allowed


def test_the_scope_of_an_official_in_one_query_is_the_walk_level_by_level(demo_url: str) -> None:
    engine = db.get_engine(demo_url)
    with engine.connect() as conn:
        for day in (OLD, NEW):
            every = repo.units_at(conn, day)
            groups = [u for u in every if u.level.value == "residential_group"]
            units = {u.id for u in groups[:300] + every[::50]}
            above = [a.id for a in repo.ancestors(conn, groups[0], day)]  # ward, (district,) city
            assert len(above) >= 2
            scopes = [u.id for u in every[::400]] + above + [groups[0].id, 10**9]
            found_some = False
            for scope in scopes:
                official = service.Official(None, "thu", scope, "counter")
                with counting(engine) as c:
                    got = service._allowed_units(conn, official, units, day)
                assert got == walk_scope(conn, official, units, day), (scope, day)
                assert len(c) <= 1
                found_some |= len(got) > 1
            assert found_some
            top = service.Official(None, "thu", above[-1], "counter")  # groups three or two levels down
            assert groups[0].id in service._allowed_units(conn, top, units, day)
            admin = service.Official(None, "admin", None, "admin")
            assert service._allowed_units(conn, admin, units, day) == units


def test_a_consultation_and_its_units_come_in_one_query(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 2, "P01-02": 2, "P02-01": 1})
    with engine.begin() as conn:
        ids = [world.groups["P02-01"], world.groups["P01-02"], world.groups["P01-01"]]
        cid = service.create_consultation(conn, unit_ids=ids, on=GROUP_DAY, name="Thử")
    with engine.connect() as conn:
        with counting(engine) as c:
            row, unit_ids = service.consultation_with_units(conn, cid)
        assert len(c) == 1
        alone = service.find_consultation(conn, cid)
        assert {k: getattr(row, k) for k in alone._mapping} == dict(alone._mapping)
        assert unit_ids == sorted(service.unit_ids_of(conn, cid)) == sorted(ids)
        assert service.consultation_with_units(conn, cid + 1) == (None, [])


def test_a_tally_given_what_the_caller_read_is_the_tally_it_reads_itself(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 4, "P01-02": 4})
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=list(world.groups.values()), on=GROUP_DAY, name="Thử")
        official = service.get_official(conn, "p01")
        for i, h in enumerate(world.households["P01-01"][:3] + world.households["P01-02"][:1]):
            service.cast_ballot(conn, cid, official, household=h, choice="disagree" if i == 2 else "agree")
    for close in (False, True):
        with engine.begin() as conn:
            if close:
                service.close_round(conn, cid, by="p01")
            row, ids = service.consultation_with_units(conn, cid)
            units = {u.id: u for u in repo.units_at(conn, GROUP_DAY, unit_ids=ids)}
            with counting(engine) as full:
                alone = service.tally(conn, cid)
            with counting(engine) as given:
                told = service.tally(conn, cid, consultation=row, units=units)
            # a units map that lacks one: the tally reads them itself
            partial = service.tally(conn, cid, consultation=row, units={world.groups["P01-01"]: units[
                world.groups["P01-01"]]})
        assert told == alone == partial
        assert len(given) == len(full) - 2  # neither the consultation nor the units read again
        assert [(u.code, u.agree, u.disagree, u.roll) for u in told.units] == [("P01-01", 2, 1, 4),
                                                                                ("P01-02", 1, 0, 4)]
    with engine.connect() as conn, pytest.raises(ValueError):
        service.tally(conn, cid + 1, consultation=row)


def test_an_official_and_a_web_account_of_one_name_are_read_together_the_official_first(engine: Engine) -> None:
    web_user = s.metadata.tables.get("web_user")
    if web_user is None:
        pytest.skip("no web accounts table in this build")
    world = make_world(engine, {"P01-01": 2, "P02-01": 2})
    with engine.begin() as conn:
        for name, role in (("p02", "commune_officer"), ("web.p01", "commune_officer"), ("web.xem", "viewer"),
                           ("web.off", "commune_officer")):
            conn.execute(insert(web_user).values(username=name, password_hash="x", role=role,
                                                 scope_unit_id=world.wards[0], active=name != "web.off",
                                                 created_at=dt.datetime(2024, 1, 1)))
        service.add_official(conn, "tam.nghi", scope_unit_id=world.wards[0])
        conn.execute(update(t.official).where(t.official.c.username == "tam.nghi").values(active=False))
        conn.execute(insert(web_user).values(username="tam.nghi", password_hash="x", role="commune_officer",
                                             scope_unit_id=world.wards[0], active=True,
                                             created_at=dt.datetime(2024, 1, 1)))
    with engine.connect() as conn:
        with counting(engine) as c:
            p02 = service.get_official(conn, " p02 ")
        assert len(c) == 1
        # the official's row wins over the web account of the same name (another scope here)
        assert (p02.username, p02.scope_unit_id, p02.role) == ("p02", world.wards[1], "counter")
        assert p02.id is not None
        web = service.get_official(conn, "web.p01")
        assert (web.id, web.scope_unit_id, web.role) == (None, world.wards[0], "web:commune_officer")
        with pytest.raises(BadInput, match="chỉ được xem"):
            service.get_official(conn, "web.xem")
        for refused in ("web.off", "tam.nghi", "khong.co"):  # inactive web account, inactive official, nobody
            with pytest.raises(BadInput, match="không có tài khoản cán bộ"):
                service.get_official(conn, refused)


def test_every_refusal_of_an_entry_says_what_it_said(engine: Engine) -> None:
    world = make_world(engine, {"P01-01": 3, "P01-02": 3, "P02-01": 2})
    with engine.begin() as conn:
        cid = service.create_consultation(conn, unit_ids=list(world.groups.values()), on=GROUP_DAY, name="Thử")
    h1, h2 = world.households["P01-01"][:2]

    def vote(household: str, user: str = "p01", **kw: object) -> None:
        with engine.begin() as conn:
            c = service.find_consultation(conn, cid) if kw.pop("given", False) else None
            service.cast_ballot(conn, cid, service.get_official(conn, user), household=household,
                                choice="agree", consultation=c, **kw)  # type: ignore[arg-type]

    for given in (False, True):
        with pytest.raises(BadInput, match="không có hộ/cử tri mã 'X-1' trong danh sách"):
            vote("X-1", given=given)
        with pytest.raises(BadInput, match="không thuộc đơn vị mà tài khoản 'p01' phụ trách"):
            vote(world.households["P02-01"][0], given=given)
        with pytest.raises(BadInput, match="không có vòng 2"):
            vote(h1, round_number=2, given=given)
    vote(h1)
    with pytest.raises(BadInput, match=r"đã có phiếu ở vòng 1 \(nhập bởi p01 lúc .*\); mỗi hộ chỉ một phiếu"):
        vote(h1, given=True)
    vote(f" {h2} ", given=True)  # the code is trimmed
    # a round closed under the entry: refused, by number and as the latest
    with engine.begin() as conn:
        service.close_round(conn, cid, by="p01")
        service.open_round2(conn, cid, by="p01")
    with pytest.raises(BadInput, match="vòng 1 đã khóa"):
        vote(world.households["P01-01"][2], round_number=1, given=True)
    with pytest.raises(BadInput, match="vòng 2 chỉ dành cho đơn vị chưa đạt"):
        vote(h1, given=True)  # P01-01 passed round 1: not in round 2
    with engine.begin() as conn:
        service.close_round(conn, cid, by="p01", round_number=2)
    with pytest.raises(BadInput, match="vòng 2 đã khóa"):
        vote(world.households["P01-02"][0], given=True)
    with engine.connect() as conn:
        ballots = conn.execute(select(t.ballot.c.roll_entry_id)).all()
    assert len(ballots) == 2
