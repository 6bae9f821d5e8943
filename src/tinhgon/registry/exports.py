"""Rows of the registry in the import templates' shape, for `tinhgon export` (a round trip is exact)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, select

from tinhgon.domain.units import Level
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s


def _scope_units(conn: Connection, on: dt.date, scope_code: str | None) -> list[Any]:
    if scope_code is None:
        return repo.units_at(conn, on)
    root = repo.resolve_unit(conn, scope_code, on)
    return [root, *repo.descendants(conn, root.id, on)]


def export_rows(conn: Connection, kind: str, on: dt.date, scope_code: str | None = None) -> Iterator[dict[str, Any]]:
    units = _scope_units(conn, on, scope_code)
    code_of = {u.id: u.code for u in units}
    if kind == "units":
        for u in units:
            yield {"code": u.code, "name": u.name, "kind": u.kind.value, "parent_code": code_of.get(u.parent_id or -1)
                   if u.parent_id in code_of else (repo.unit_at(conn, u.parent_id, on).code  # type: ignore[union-attr]
                                                   if u.parent_id else None),
                   # the form requires a figure; above group level an unrecorded count is written 0
                   "households": u.households if u.households is not None else 0, "population": u.population,
                   "area_km2": u.area_km2, "lat": u.lat, "lon": u.lon, "valid_from": u.valid_from,
                   "valid_to": u.valid_to}
    elif kind == "adjacency":
        for a, b in sorted(repo.adjacency_at(conn, on, code_of)):
            yield {"a": code_of[a], "b": code_of[b]}
    elif kind == "households":
        groups = [u.id for u in units if u.level == Level.RESIDENTIAL_GROUP]
        heads = {r.household_id: r.full_name for r in conn.execute(
            select(s.person.c.household_id, s.person.c.full_name).where(s.person.c.is_head.is_(True)))}
        for hh_row in repo.households_at(conn, on, groups):
            yield {"code": hh_row.code, "unit_code": code_of[hh_row.unit_id], "head_name": heads.get(hh_row.id),
                   "address": hh_row.address, "members": hh_row.members, "valid_from": hh_row.valid_from,
                   "valid_to": hh_row.valid_to}
    elif kind == "people":
        groups = [u.id for u in units if u.level == Level.RESIDENTIAL_GROUP]
        hh = {x.id: x.code for x in repo.households_at(conn, on, groups)}
        P = s.person
        ids = list(hh)
        for i in range(0, len(ids), 900):
            for p in conn.execute(select(P).where(P.c.household_id.in_(ids[i:i + 900])).order_by(P.c.id)):
                yield {"code": p.code, "full_name": p.full_name, "birth_date": p.birth_date, "gender": p.gender,
                       "party_member": bool(p.party_member), "household_code": hh.get(p.household_id),
                       "phone": p.phone}
    elif kind == "holdings":
        holdings = repo.holdings_at(conn, on, list(code_of))
        people = {p.id: p for p in conn.execute(select(s.person.c.id, s.person.c.code)
                                                .where(s.person.c.id.in_({h.person_id for h in holdings})))}
        for h in holdings:
            yield {"person_code": people[h.person_id].code, "title_code": h.title_code,
                   "unit_code": code_of[h.unit_id], "concurrent": h.concurrent, "valid_from": h.valid_from,
                   "valid_to": h.valid_to, "decision": h.decision}
    else:
        raise BadInput(f"loại dữ liệu không xuất được: {kind!r}", field="KIND")
