"""The governance model of a unit over time: which bodies it has on a date.

Defaults come per level from catalogue.yaml (every commune has a People's Council, a People's
Committee, a Front committee and a party committee); dated rows of ``governance_body`` override them
per unit. The Hà Nội urban-government pilot is such rows, computed from the registry (wards under a
Hà Nội ``quan`` or Thị xã Sơn Tây), never typed by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, select

from tinhgon.coordination import tables as t
from tinhgon.coordination.model import BodyState, GovernanceModel, load_catalogue
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s

GB = t.governance_body


def bodies_of(conn: Connection, unit: Unit, on: dt.date) -> GovernanceModel:
    """The bodies UNIT has on ON: the level's defaults, overridden by the unit's dated rows."""
    cat = load_catalogue()
    states: dict[str, BodyState] = {
        code: BodyState(code, cat.bodies[code].name_vi, True, "default")
        for code in cat.default_bodies.get(unit.level, ())
    }
    rows = conn.execute(select(GB).where(GB.c.unit_id == unit.id, repo.in_force_clause(GB, on))
                        .order_by(GB.c.valid_from, GB.c.id)).all()
    for r in rows:
        info = cat.bodies.get(r.body)
        states[r.body] = BodyState(r.body, info.name_vi if info else r.body, bool(r.present), r.source,
                                   r.doc_number, r.tag, r.note, r.valid_from, r.valid_to)
    order = list(cat.bodies)
    ordered = sorted(states.values(), key=lambda b: order.index(b.code) if b.code in order else len(order))
    return GovernanceModel(unit.id, unit.code, unit.name, on, tuple(ordered))


def has_council(conn: Connection, unit: Unit, on: dt.date) -> bool:
    """Whether the unit has a People's Council on ON (a procedure's council step exists only then)."""
    return bodies_of(conn, unit, on).has_council


def governance_history(conn: Connection, unit: Unit) -> list[dict[str, Any]]:
    """The dated rows of a unit (the exceptions to its level's defaults), oldest first."""
    rows = conn.execute(select(GB).where(GB.c.unit_id == unit.id).order_by(GB.c.valid_from, GB.c.id)).all()
    return [{"body": r.body, "present": bool(r.present), "valid_from": r.valid_from, "valid_to": r.valid_to,
             "doc_number": r.doc_number, "issuer": r.issuer, "tag": r.tag, "source": r.source, "note": r.note}
            for r in rows]


def set_body(conn: Connection, unit: Unit, body: str, present: bool, valid_from: dt.date | None,
             valid_to: dt.date | None, *, doc_number: str | None = None, issuer: str | None = None,
             tag: str | None = None, note: str | None = None, source: str = "manual") -> int:
    """Record that UNIT has (or lacks) BODY over [valid_from, valid_to). Overlapping rows are refused."""
    load_catalogue().body(body)
    if valid_from is not None and valid_to is not None and valid_from >= valid_to:
        last = valid_to - dt.timedelta(days=1)
        raise BadInput(f"ngày bắt đầu {valid_from:%d/%m/%Y} sau ngày cuối cùng {last:%d/%m/%Y}", field="--until")
    clash = conn.execute(select(GB.c.id).where(
        GB.c.unit_id == unit.id, GB.c.body == body,
        *_overlap(valid_from, valid_to))).first()
    if clash is not None:
        raise BadInput(f"{unit.name} đã có một dòng về {body} trùng thời gian (dòng {clash[0]})", field="--from")
    res = conn.execute(GB.insert().values(unit_id=unit.id, body=body, present=present, valid_from=valid_from,
                                          valid_to=valid_to, doc_number=doc_number, issuer=issuer, tag=tag,
                                          source=source, note=note))
    return t.new_id(res)


def _overlap(a: dt.date | None, b: dt.date | None) -> list[Any]:
    """SQL conditions: the row's [valid_from, valid_to) overlaps [a, b)."""
    conds: list[Any] = []
    if b is not None:
        conds.append((GB.c.valid_from.is_(None)) | (GB.c.valid_from < b))
    if a is not None:
        conds.append((GB.c.valid_to.is_(None)) | (GB.c.valid_to > a))
    return conds


def pilot_wards(conn: Connection) -> list[tuple[int, dt.date, dt.date | None]]:
    """The wards of the Hà Nội pilot, computed from the registry: (unit id, from, to) clipped to the
    pilot's period and to the time the ward stood under a qualifying district."""
    spec = load_catalogue().pilot
    UV = s.unit_version
    D = UV.alias("d")
    lo, hi = spec.valid_from, spec.valid_to
    q = (select(UV.c.unit_id, UV.c.valid_from, UV.c.valid_to, D.c.valid_from.label("d_from"),
                D.c.valid_to.label("d_to"))
         .join(D, and_(D.c.unit_id == UV.c.parent_id, D.c.level == Level.DISTRICT.value))
         .where(UV.c.level == Level.COMMUNE.value, UV.c.kind.in_(spec.commune_kinds),
                D.c.province_code == spec.province_code,
                D.c.kind.in_(spec.district_kinds) | D.c.name.in_(spec.district_names)))
    out: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for r in conn.execute(q):
        start = max(d for d in (lo, r.valid_from, r.d_from) if d is not None)
        ends = [d for d in (hi, r.valid_to, r.d_to) if d is not None]
        end = min(ends) if ends else None
        if end is None or start < end:
            out.setdefault(int(r.unit_id), []).append((start, end))
    spans: list[tuple[int, dt.date, dt.date | None]] = []
    for uid, parts in out.items():
        parts.sort(key=lambda p: p[0])
        merged: list[list[Any]] = []
        for a, b in parts:  # versions of one ward follow each other: join touching spans
            if merged and merged[-1][1] is not None and a <= merged[-1][1]:
                merged[-1][1] = None if b is None else max(merged[-1][1], b)
            else:
                merged.append([a, b])
        spans.extend((uid, a, b) for a, b in merged)
    return sorted(spans)


def seed_hanoi_pilot(conn: Connection) -> dict[str, int]:
    """Write the pilot's rows (idempotent: rows already written by an earlier run are kept)."""
    spec = load_catalogue().pilot
    have = {(r.unit_id, r.valid_from) for r in conn.execute(
        select(GB.c.unit_id, GB.c.valid_from).where(GB.c.source == spec.source))}
    rows = [{"unit_id": uid, "body": spec.body, "present": False, "valid_from": a, "valid_to": b,
             "doc_number": spec.doc_number, "issuer": spec.issuer, "tag": spec.tag, "source": spec.source,
             "note": spec.note}
            for uid, a, b in pilot_wards(conn) if (uid, a) not in have]
    if rows:
        # another transaction may be seeding at the same moment (two web workers' first pages): the
        # unique index lets one of them write each row, the other skips it
        conn.execute(_insert_ignoring_duplicates(conn), rows)
    return {"added": len(rows), "kept": len(have)}


def _insert_ignoring_duplicates(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(GB).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(GB).on_conflict_do_nothing()


def pilot_seeded(conn: Connection) -> bool:
    spec = load_catalogue().pilot
    return conn.execute(select(GB.c.id).where(GB.c.source == spec.source).limit(1)).first() is not None


def ensure_hanoi_pilot(conn: Connection) -> None:
    """Seed the pilot on first use when the registry holds Hà Nội's legacy districts."""
    if pilot_seeded(conn):
        return
    spec = load_catalogue().pilot
    UV = s.unit_version
    if conn.execute(select(UV.c.id).where(UV.c.level == Level.DISTRICT.value,
                                          UV.c.province_code == spec.province_code).limit(1)).first():
        seed_hanoi_pilot(conn)
