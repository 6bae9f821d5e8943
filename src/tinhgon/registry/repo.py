"""Dated queries and writes over the registry tables. Functions take a Connection (the unit of work
is the caller's transaction) and return domain objects.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Date, Integer, and_, bindparam, cast, func, literal_column, or_, select

from tinhgon.domain.lineage import EventKind, LegalBasis, LineageEvent
from tinhgon.domain.people import Gender, Household, Person, TitleGroup, TitleHolding, TitleType
from tinhgon.domain.units import Kind, Level, Region, Unit, period_within, periods_overlap
from tinhgon.errors import BadInput
from tinhgon.registry import schema as s

UV = s.unit_version


def in_force_clause(table: Any, on: dt.date) -> Any:
    """SQL for the half-open validity test on a dated table."""
    return and_(
        or_(table.c.valid_from.is_(None), table.c.valid_from <= on),
        or_(table.c.valid_to.is_(None), table.c.valid_to > on),
    )


def row_to_unit(r: Any) -> Unit:
    return Unit(
        id=r.unit_id,
        code=r.code,
        name=r.name,
        level=Level(r.level),
        kind=Kind(r.kind),
        parent_id=r.parent_id,
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        households=r.households,
        population=r.population,
        area_km2=r.area_km2,
        lat=r.lat,
        lon=r.lon,
        geometry=r.geometry,
        region=Region(r.region) if r.region else None,
        province_code=r.province_code,
        mountainous=bool(r.mountainous),
        border=bool(r.border),
        island=bool(r.island),
        urban=r.urban,
        commune_class=r.commune_class,
        security_key=bool(r.security_key),
        version_id=r.id,
    )


def in_force_param(table: Any) -> Any:
    """The validity test against a bound parameter :on, for statements built once and reused."""
    on = bindparam("on", type_=Date)
    return and_(or_(table.c.valid_from.is_(None), table.c.valid_from <= on),
                or_(table.c.valid_to.is_(None), table.c.valid_to > on))


# units_at's statements, one per combination of filters, built once: building a SELECT costs more
# than running it on a page's worth of rows (every web request asks several times)
_UNITS_AT: dict[tuple[bool, bool, bool, bool], Any] = {}


def _units_at_stmt(level: bool, parents: bool, ids: bool, code: bool) -> Any:
    key = (level, parents, ids, code)
    stmt = _UNITS_AT.get(key)
    if stmt is None:
        q = select(UV).where(in_force_param(UV))
        if level:
            q = q.where(UV.c.level == bindparam("level"))
        if parents:
            q = q.where(UV.c.parent_id.in_(bindparam("parent_ids", expanding=True)))
        if ids:
            q = q.where(UV.c.unit_id.in_(bindparam("unit_ids", expanding=True)))
        if code:
            q = q.where(UV.c.code == bindparam("code"))
        stmt = _UNITS_AT[key] = q.order_by(UV.c.level, UV.c.code)
    return stmt


def units_at(conn: Connection, on: dt.date, *, level: Level | None = None,
             parent_ids: Iterable[int] | None = None, unit_ids: Iterable[int] | None = None,
             code: str | None = None) -> list[Unit]:
    params: dict[str, Any] = {"on": on}
    if level is not None:
        params["level"] = level.value
    if parent_ids is not None:
        params["parent_ids"] = list(parent_ids)
        if not params["parent_ids"]:
            return []
    if unit_ids is not None:
        params["unit_ids"] = list(unit_ids)
        if not params["unit_ids"]:
            return []
    if code is not None:
        params["code"] = code
    stmt = _units_at_stmt(level is not None, parent_ids is not None, unit_ids is not None, code is not None)
    return [row_to_unit(r) for r in conn.execute(stmt, params)]


def unit_at(conn: Connection, unit_id: int, on: dt.date) -> Unit | None:
    found = units_at(conn, on, unit_ids=[unit_id])
    return found[0] if found else None


_HISTORY = select(UV).where(UV.c.unit_id == bindparam("unit_id")).order_by(UV.c.valid_from)


def unit_history(conn: Connection, unit_id: int) -> list[Unit]:
    return [row_to_unit(r) for r in conn.execute(_HISTORY, {"unit_id": unit_id})]


def unit_history_versions(conn: Connection, unit_id: int) -> tuple[list[Unit], dict[int | None, int]]:
    """unit_history() and the optimistic-locking counter of each version (version id → row_version), in
    one query."""
    rows = conn.execute(_HISTORY, {"unit_id": unit_id}).all()
    return [row_to_unit(r) for r in rows], {int(r.id): int(r.row_version) for r in rows}


_HISTORIES = (select(UV).where(UV.c.unit_id.in_(bindparam("unit_ids", expanding=True)))
              .order_by(UV.c.unit_id, UV.c.valid_from))


def unit_histories(conn: Connection, unit_ids: Iterable[int]) -> dict[int, list[Unit]]:
    """unit_history() of each of UNIT_IDS, in one query per 900 units."""
    ids = list(set(unit_ids))
    out: dict[int, list[Unit]] = {u: [] for u in ids}
    for i in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        for r in conn.execute(_HISTORIES, {"unit_ids": ids[i:i + 900]}):
            out[int(r.unit_id)].append(row_to_unit(r))
    return out


_ROW_VERSIONS = select(UV.c.id, UV.c.row_version).where(UV.c.id.in_(bindparam("ids", expanding=True)))


def row_versions(conn: Connection, version_ids: Iterable[int | None]) -> dict[int | None, int]:
    """The optimistic-locking counter of each unit version (id → row_version)."""
    ids = list({v for v in version_ids if v is not None})
    return {int(r[0]): int(r[1]) for r in conn.execute(_ROW_VERSIONS, {"ids": ids})} if ids else {}


def resolve_unit(conn: Connection, code: str, on: dt.date, level: Level | None = None) -> Unit:
    """The unit that CODE names on date ON. A code names different units at different dates."""
    code = code.strip()
    found = units_at(conn, on, level=level, code=code)
    if not found:
        other = conn.execute(
            select(UV.c.name, UV.c.valid_from, UV.c.valid_to).where(UV.c.code == code).limit(3)
        ).all()
        hint = ""
        if other:
            spans = "; ".join(f"{o.name} ({span_text(o.valid_from, o.valid_to)})" for o in other)
            hint = f" Mã này có hiệu lực vào thời điểm khác: {spans}."
        raise BadInput(f"không có đơn vị nào mang mã {code!r} vào ngày {on:%d/%m/%Y}.{hint}", field="--unit")
    if len(found) > 1:
        names = "; ".join(f"{u.name} ({u.level.label_vi})" for u in found)
        raise BadInput(f"mã {code!r} chỉ nhiều đơn vị vào ngày {on:%d/%m/%Y}: {names}. Hãy chỉ rõ --level.",
                       field="--unit")
    return found[0]


def span_text(a: dt.date | None, b: dt.date | None) -> str:
    left = f"từ {a:%d/%m/%Y}" if a else "trước đây"
    right = f"đến hết {(b - dt.timedelta(days=1)):%d/%m/%Y}" if b else "đến nay"
    return f"{left} {right}"


def children(conn: Connection, unit_id: int, on: dt.date) -> list[Unit]:
    return units_at(conn, on, parent_ids=[unit_id])


def descendants(conn: Connection, unit_id: int, on: dt.date) -> list[Unit]:
    """Every unit under UNIT_ID on date ON, level by level (breadth first)."""
    out: list[Unit] = []
    frontier = [unit_id]
    seen = {unit_id}
    while frontier:
        kids = [u for u in units_at(conn, on, parent_ids=frontier) if u.id not in seen]
        seen.update(u.id for u in kids)
        out.extend(kids)
        frontier = [u.id for u in kids]
    return out


def _chain_stmt() -> Any:
    """Every version in force on :on of :pid and of the units above it, with its distance from :pid, in
    one recursive query (the tree has 4 levels; bad data with a cycle stops at CHAIN_DEPTH)."""
    up = select(cast(bindparam("pid"), Integer).label("unit_id"), literal_column("0", Integer).label("depth")) \
        .cte("up", recursive=True)
    up = up.union_all(select(UV.c.parent_id, up.c.depth + 1)
                      .where(UV.c.unit_id == up.c.unit_id, in_force_param(UV), UV.c.parent_id.is_not(None),
                             up.c.depth < CHAIN_DEPTH))
    return (select(UV, up.c.depth.label("chain_depth")).join(up, UV.c.unit_id == up.c.unit_id)
            .where(in_force_param(UV)).order_by(up.c.depth, UV.c.level, UV.c.code))


CHAIN_DEPTH = 16
_CHAIN = _chain_stmt()


def chain_from(conn: Connection, unit_id: int, on: dt.date) -> list[Unit]:
    """UNIT_ID as in force on ON, then its parent, and so on up to the top: what walking up one unit_at()
    per level finds (the first version by level and code when two are in force; stops at a unit not in
    force or at one already met), in one query."""
    by_depth: dict[int, list[Any]] = defaultdict(list)
    for r in conn.execute(_CHAIN, {"pid": unit_id, "on": on}):
        by_depth[int(r.chain_depth)].append(r)
    chain: list[Unit] = []
    seen: set[int] = set()
    want: int | None = unit_id
    depth = 0
    while want is not None and want not in seen:
        if depth > CHAIN_DEPTH:  # deeper than the query climbs (only bad data): one level at a time
            found = unit_at(conn, want, on)
        else:
            row = next((r for r in by_depth.get(depth, ()) if r.unit_id == want), None)
            found = row_to_unit(row) if row is not None else None
        if found is None:
            break
        chain.append(found)
        seen.add(found.id)
        want = found.parent_id
        depth += 1
    return chain


def ancestors_in(chain: Sequence[Unit], unit: Unit) -> list[Unit]:
    """UNIT's ancestors out of CHAIN, the chain_from() its parent: up to UNIT itself if the chain loops
    back to it (as walking up from UNIT stops there)."""
    for i, u in enumerate(chain):
        if u.id == unit.id:
            return list(chain[:i])
    return list(chain)


def ancestors(conn: Connection, unit: Unit, on: dt.date) -> list[Unit]:
    """The units above UNIT on ON, its parent first."""
    if unit.parent_id is None:
        return []
    return ancestors_in(chain_from(conn, unit.parent_id, on), unit)


def counts_by_level(conn: Connection, on: dt.date) -> dict[str, int]:
    rows = conn.execute(
        select(UV.c.level, func.count(func.distinct(UV.c.unit_id)))
        .where(in_force_clause(UV, on)).group_by(UV.c.level)
    ).all()
    got = {r[0]: int(r[1]) for r in rows}
    return {lv.value: got.get(lv.value, 0) for lv in Level}


def counts_by_kind(conn: Connection, on: dt.date, level: Level) -> dict[str, int]:
    rows = conn.execute(
        select(UV.c.kind, func.count()).where(in_force_clause(UV, on), UV.c.level == level.value)
        .group_by(UV.c.kind)
    ).all()
    return {r[0]: int(r[1]) for r in rows}


# --- writes -------------------------------------------------------------------------------------

def new_id(result: Any) -> int:
    """The primary key an INSERT of one row produced."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


def insert_unit(conn: Connection, level: Level, source_id: int | None = None) -> int:
    return new_id(conn.execute(s.unit.insert().values(level=level.value, source_id=source_id)))


def insert_version(conn: Connection, unit_id: int, **values: Any) -> int:
    values.setdefault("mountainous", False)
    values.setdefault("border", False)
    values.setdefault("island", False)
    values.setdefault("security_key", False)
    values.setdefault("row_version", 1)
    for key in ("level", "kind", "region"):
        if hasattr(values.get(key), "value"):
            values[key] = values[key].value
    return new_id(conn.execute(UV.insert().values(unit_id=unit_id, **values)))


def add_unit(conn: Connection, *, code: str, name: str, kind: Kind, parent_id: int | None = None,
             valid_from: dt.date | None = None, valid_to: dt.date | None = None,
             source_id: int | None = None, **attrs: Any) -> int:
    """Create a unit identity with its first version; returns the unit id."""
    unit_id = insert_unit(conn, kind.level, source_id)
    insert_version(conn, unit_id, level=kind.level.value, code=code, name=name, kind=kind.value,
                   parent_id=parent_id, valid_from=valid_from, valid_to=valid_to, **attrs)
    return unit_id


def close_version(conn: Connection, version_id: int, on: dt.date) -> None:
    conn.execute(UV.update().where(UV.c.id == version_id).values(valid_to=on))


def add_adjacency(conn: Connection, pairs: Iterable[tuple[int, int]], valid_from: dt.date | None = None,
                  valid_to: dt.date | None = None) -> int:
    rows = [{"a_id": min(a, b), "b_id": max(a, b), "valid_from": valid_from, "valid_to": valid_to}
            for a, b in {(min(a, b), max(a, b)) for a, b in pairs if a != b}]
    if rows:
        conn.execute(s.adjacency.insert(), rows)
    return len(rows)


def adjacency_at(conn: Connection, on: dt.date, unit_ids: Iterable[int]) -> list[tuple[int, int]]:
    ids = list(unit_ids)
    if not ids:
        return []
    A = s.adjacency
    q = select(A.c.a_id, A.c.b_id).where(in_force_clause(A, on), A.c.a_id.in_(ids), A.c.b_id.in_(ids))
    return [(int(a), int(b)) for a, b in conn.execute(q)]


def add_lineage(conn: Connection, kind: EventKind, effective: dt.date, basis: LegalBasis,
                links: Sequence[tuple[int | None, int | None, bool, bool]], source_id: int | None = None) -> int:
    """Record an event with links (from, to, partial, primary)."""
    ev = new_id(conn.execute(s.lineage_event.insert().values(
        kind=kind.value, effective_date=effective, doc_number=basis.document_number,
        doc_date=basis.document_date, issuer=basis.issuer, note=basis.note, source_id=source_id,
    )))
    if links:
        conn.execute(s.lineage_link.insert(), [
            {"event_id": ev, "from_unit_id": f, "to_unit_id": t, "partial": p, "primary_successor": pr}
            for f, t, p, pr in links
        ])
    return int(ev)


# --- lineage queries ----------------------------------------------------------------------------

def _lineage_stmt(here: Any, other: Any) -> Any:
    E = s.lineage_event
    uid: Any = bindparam("unit_id")
    return (select(other, s.lineage_link.c.partial, E.c.effective_date)
            .join(E, E.c.id == s.lineage_link.c.event_id)
            .where(here == uid, other.is_not(None), other != uid)
            .order_by(E.c.effective_date, other))


_SUCCESSORS = _lineage_stmt(s.lineage_link.c.from_unit_id, s.lineage_link.c.to_unit_id)
_PREDECESSORS = _lineage_stmt(s.lineage_link.c.to_unit_id, s.lineage_link.c.from_unit_id)


def successors(conn: Connection, unit_id: int) -> list[tuple[int, bool, dt.date]]:
    """Units that UNIT_ID went into: (unit id, partial, effective date)."""
    return [(int(r[0]), bool(r[1]), r[2]) for r in conn.execute(_SUCCESSORS, {"unit_id": unit_id})]


def predecessors(conn: Connection, unit_id: int) -> list[tuple[int, bool, dt.date]]:
    """Units that went into UNIT_ID: (unit id, partial, effective date)."""
    return [(int(r[0]), bool(r[1]), r[2]) for r in conn.execute(_PREDECESSORS, {"unit_id": unit_id})]


_LINEAGE = (select(s.lineage_link.c.from_unit_id, s.lineage_link.c.to_unit_id, s.lineage_link.c.partial,
                   s.lineage_event.c.effective_date)
            .join(s.lineage_event, s.lineage_event.c.id == s.lineage_link.c.event_id)
            .where(or_(s.lineage_link.c.from_unit_id == bindparam("unit_id"),
                       s.lineage_link.c.to_unit_id == bindparam("unit_id")))
            .order_by(s.lineage_event.c.effective_date))

Lineage = list[tuple[int, bool, dt.date]]


def lineage(conn: Connection, unit_id: int) -> tuple[Lineage, Lineage]:
    """(predecessors(), successors()) of UNIT_ID, in one query."""
    before: Lineage = []
    after: Lineage = []
    for src, dst, partial, day in conn.execute(_LINEAGE, {"unit_id": unit_id}):
        if dst == unit_id and src is not None and src != unit_id:
            before.append((int(src), bool(partial), day))
        if src == unit_id and dst is not None and dst != unit_id:
            after.append((int(dst), bool(partial), day))
    # as the two queries order them: by date, then by the other unit
    before.sort(key=lambda x: (x[2], x[0]))
    after.sort(key=lambda x: (x[2], x[0]))
    return before, after


def lineage_events_for(conn: Connection, unit_id: int) -> list[LineageEvent]:
    L, E = s.lineage_link, s.lineage_event
    ev_ids = select(L.c.event_id).where(or_(L.c.from_unit_id == unit_id, L.c.to_unit_id == unit_id))
    events = conn.execute(select(E).where(E.c.id.in_(ev_ids)).order_by(E.c.effective_date)).all()
    links = defaultdict(list)
    for r in conn.execute(select(L).where(L.c.event_id.in_([e.id for e in events]))):
        links[r.event_id].append(r)
    out = []
    for e in events:
        out.append(LineageEvent(
            id=e.id, kind=EventKind(e.kind), effective_date=e.effective_date,
            basis=LegalBasis(e.doc_number, e.doc_date, e.issuer, e.note),
            predecessors=sorted({r.from_unit_id for r in links[e.id] if r.from_unit_id is not None}),
            successors=sorted({r.to_unit_id for r in links[e.id] if r.to_unit_id is not None}),
        ))
    return out


# --- people and titles --------------------------------------------------------------------------

_TITLE_TYPES = select(s.title_type).order_by(s.title_type.c.sort_order)


def title_types(conn: Connection) -> dict[str, TitleType]:
    out = {}
    for r in conn.execute(_TITLE_TYPES):
        out[r.code] = TitleType(code=r.code, name_vi=r.name_vi, name_en=r.name_en, level=Level(r.level),
                                group=TitleGroup(r.grp), requires_party_member=bool(r.requires_party_member),
                                sort_order=r.sort_order)
    return out


def holdings_at(conn: Connection, on: dt.date, unit_ids: Iterable[int] | None = None,
                person_ids: Iterable[int] | None = None) -> list[TitleHolding]:
    H = s.title_holding
    params: dict[str, Any] = {"on": on}
    if unit_ids is not None:
        params["unit_ids"] = list(unit_ids)
    if person_ids is not None:
        params["person_ids"] = list(person_ids)
    if not all(params.get(k, True) for k in ("unit_ids", "person_ids")):
        return []
    key = (unit_ids is not None, person_ids is not None)
    q = _HOLDINGS_AT.get(key)
    if q is None:
        q = select(H).where(in_force_param(H))
        if unit_ids is not None:
            q = q.where(H.c.unit_id.in_(bindparam("unit_ids", expanding=True)))
        if person_ids is not None:
            q = q.where(H.c.person_id.in_(bindparam("person_ids", expanding=True)))
        q = _HOLDINGS_AT[key] = q.order_by(H.c.unit_id, H.c.id)
    return [TitleHolding(id=r.id, person_id=r.person_id, title_code=r.title_code, unit_id=r.unit_id,
                         concurrent=bool(r.concurrent), valid_from=r.valid_from, valid_to=r.valid_to,
                         decision=r.decision) for r in conn.execute(q, params)]


_HOLDINGS_AT: dict[tuple[bool, bool], Any] = {}


def holdings_history(conn: Connection, unit_id: int) -> list[TitleHolding]:
    H = s.title_holding
    return [TitleHolding(id=r.id, person_id=r.person_id, title_code=r.title_code, unit_id=r.unit_id,
                         concurrent=bool(r.concurrent), valid_from=r.valid_from, valid_to=r.valid_to,
                         decision=r.decision)
            for r in conn.execute(select(H).where(H.c.unit_id == unit_id).order_by(H.c.valid_from, H.c.id))]


_PEOPLE = select(s.person).where(s.person.c.id.in_(bindparam("ids", expanding=True)))


def people_by_ids(conn: Connection, ids: Iterable[int]) -> dict[int, Person]:
    idl = list(set(ids))
    out: dict[int, Person] = {}
    for i in range(0, len(idl), 900):  # stay under SQLite's bound-parameter limit
        for r in conn.execute(_PEOPLE, {"ids": idl[i:i + 900]}):
            out[r.id] = row_to_person(r)
    return out


def row_to_person(r: Any) -> Person:
    return Person(id=r.id, full_name=r.full_name, birth_date=r.birth_date,
                  gender=Gender(r.gender) if r.gender else None, party_member=bool(r.party_member),
                  household_id=r.household_id, is_head=bool(r.is_head), phone=r.phone)


def households_at(conn: Connection, on: dt.date, unit_ids: Iterable[int]) -> list[Household]:
    R, H = s.household_residence, s.household
    q = (select(R, H.c.code).join(H, H.c.id == R.c.household_id)
         .where(in_force_clause(R, on), R.c.unit_id.in_(list(unit_ids))).order_by(R.c.unit_id, H.c.code))
    return [Household(id=r.household_id, code=r.code, unit_id=r.unit_id, address=r.address, members=r.members,
                      valid_from=r.valid_from, valid_to=r.valid_to) for r in conn.execute(q)]


def household_counts_at(conn: Connection, on: dt.date, unit_ids: Iterable[int]) -> dict[int, int]:
    R = s.household_residence
    q = (select(R.c.unit_id, func.count()).where(in_force_clause(R, on), R.c.unit_id.in_(list(unit_ids)))
         .group_by(R.c.unit_id))
    return {int(u): int(n) for u, n in conn.execute(q)}


# --- integrity ----------------------------------------------------------------------------------

def integrity_problems(conn: Connection) -> list[str]:
    """Invariants the registry must keep at every date; an empty list means all hold."""
    problems: list[str] = []
    versions = conn.execute(select(UV.c.id, UV.c.unit_id, UV.c.level, UV.c.code, UV.c.parent_id,
                                   UV.c.valid_from, UV.c.valid_to)).all()
    by_unit: dict[int, list[Any]] = defaultdict(list)
    for v in versions:
        by_unit[v.unit_id].append(v)

    # one version at a time per unit
    for uid, vs in by_unit.items():
        vs_sorted = sorted(vs, key=lambda v: v.valid_from or dt.date.min)
        for a, b in itertools.pairwise(vs_sorted):
            if periods_overlap(a.valid_from, a.valid_to, b.valid_from, b.valid_to):
                problems.append(f"unit {uid}: versions {a.id} and {b.id} overlap")

    # codes unique within a level at any date (different units)
    by_code: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for v in versions:
        by_code[(v.level, v.code)].append(v)
    for (level, code), vs in by_code.items():
        if len(vs) < 2:
            continue
        vs_sorted = sorted(vs, key=lambda v: v.valid_from or dt.date.min)
        for i, a in enumerate(vs_sorted):
            for b in vs_sorted[i + 1:]:
                if a.unit_id != b.unit_id and periods_overlap(a.valid_from, a.valid_to, b.valid_from, b.valid_to):
                    problems.append(f"code {code} ({level}) names units {a.unit_id} and {b.unit_id} at once")

    # a version lies within its parent's existence, one level up at most... and no cycles
    def existence(uid: int) -> tuple[dt.date | None, dt.date | None]:
        vs = by_unit[uid]
        lo = None if any(v.valid_from is None for v in vs) else min(v.valid_from for v in vs)
        hi = None if any(v.valid_to is None for v in vs) else max(v.valid_to for v in vs)
        return lo, hi

    rank = {lv.value: lv.rank for lv in Level}
    for v in versions:
        if v.parent_id is None:
            continue
        if v.parent_id == v.unit_id:
            problems.append(f"unit {v.unit_id} is its own parent")
            continue
        parent_versions = [p for p in by_unit.get(v.parent_id, [])
                           if periods_overlap(p.valid_from, p.valid_to, v.valid_from, v.valid_to)]
        if not by_unit.get(v.parent_id):
            problems.append(f"version {v.id}: parent {v.parent_id} does not exist")
            continue
        lo, hi = existence(v.parent_id)
        if not period_within(v.valid_from, v.valid_to, lo, hi):
            problems.append(f"version {v.id} of unit {v.unit_id} outlives its parent {v.parent_id}")
        for p in parent_versions:
            if rank[p.level] >= rank[v.level]:
                problems.append(f"version {v.id}: parent {v.parent_id} is not at a higher level")
    # cycles: walk parent links per date boundary
    boundaries = sorted({d for v in versions for d in (v.valid_from, v.valid_to) if d is not None})
    for day in [dt.date(1900, 1, 1), *boundaries]:
        parent_of = {v.unit_id: v.parent_id for v in versions
                     if (v.valid_from is None or v.valid_from <= day) and (v.valid_to is None or day < v.valid_to)}
        state: dict[int, int] = {}
        for start in parent_of:
            path = []
            cur: int | None = start
            while cur is not None and state.get(cur) is None:
                state[cur] = 1
                path.append(cur)
                cur = parent_of.get(cur)
                if cur is not None and state.get(cur) == 1:
                    problems.append(f"cycle in the hierarchy on {day}: unit {cur}")
                    break
            for p in path:
                state[p] = 2

    # holdings within their unit's existence
    H = s.title_holding
    for h in conn.execute(select(H.c.id, H.c.unit_id, H.c.valid_from, H.c.valid_to)):
        if h.unit_id not in by_unit:
            problems.append(f"holding {h.id}: unit {h.unit_id} missing")
            continue
        lo, hi = existence(h.unit_id)
        if not period_within(h.valid_from, h.valid_to, lo, hi):
            problems.append(f"holding {h.id} lies outside its unit's dates")
    return problems
