"""Read models and use cases of the web pages, over the registry (each takes the caller's Connection)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from tinhgon.domain.people import Person, TitleHolding, TitleType
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s
from tinhgon.registry.plans import ConflictError
from tinhgon.reliability import auditlog, dataversion
from tinhgon.web import auth, cache
from tinhgon.web.vntext import fold, person_sort_key

BANDS = (450, 600)
BAND_KEYS = ("lt450", "450to600", "ge600", "unknown")


def band_of(households: int | None) -> str:
    if households is None:
        return "unknown"
    if households < BANDS[0]:
        return "lt450"
    if households < BANDS[1]:
        return "450to600"
    return "ge600"


def parse_at(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise BadInput(f"ngày {text!r} không hợp lệ (dùng dd/mm/yyyy hoặc yyyy-mm-dd)", field="at")


@dataclass
class Dashboard:
    unit: Unit
    ancestors: list[Unit]
    children: list[Unit]
    counts_by_level: dict[str, int]
    bands: dict[str, int]
    groups: list[Unit]
    households: int
    holdings: int
    holders: int
    concurrent: int
    child_households: dict[int, int] = field(default_factory=dict)


def dashboard(conn: Connection, unit: Unit, on: dt.date) -> Dashboard:
    """The figures of a unit's page: read once per data version (the most requested page costs ~10 queries)."""
    return cache.memo(conn, ("dashboard", unit.version_id, on), lambda: _dashboard(conn, unit, on))


def _dashboard(conn: Connection, unit: Unit, on: dt.date) -> Dashboard:
    below = repo.descendants(conn, unit.id, on)
    groups = [u for u in below if u.level == Level.RESIDENTIAL_GROUP]
    if unit.level == Level.RESIDENTIAL_GROUP:
        groups = [unit]
    counts = Counter(u.level.value for u in below)
    bands = Counter(band_of(g.households) for g in groups)
    holdings = repo.holdings_at(conn, on, [unit.id, *[u.id for u in below]])
    kids = repo.children(conn, unit.id, on)
    # households of each child: the sum over its groups (a group is its own figure)
    parent_of = {u.id: u.parent_id for u in below}
    child_ids = {k.id for k in kids}
    per_child: Counter[int] = Counter()
    for g in groups:
        cur: int | None = g.id
        while cur is not None and cur not in child_ids:
            cur = parent_of.get(cur)
        if cur is not None:
            per_child[cur] += g.households or 0
    return Dashboard(
        unit=unit, ancestors=auth.ancestors(conn, unit, on), children=kids,
        counts_by_level={lv.value: counts.get(lv.value, 0) for lv in Level if lv.rank > unit.level.rank},
        bands={k: bands.get(k, 0) for k in BAND_KEYS}, groups=groups,
        households=sum(g.households or 0 for g in groups), holdings=len(holdings),
        holders=len({h.person_id for h in holdings}), concurrent=sum(1 for h in holdings if h.concurrent),
        child_households=dict(per_child),
    )


# --- search ---------------------------------------------------------------------------------------

def _search_rows(conn: Connection, on: dt.date) -> list[tuple[str, str, int]]:
    """Folded names and codes of the units in force on ON (kept while the data stays the same)."""
    def read() -> list[tuple[str, str, int]]:
        UV = s.unit_version
        q = select(UV.c.unit_id, UV.c.code, UV.c.name).where(repo.in_force_clause(UV, on))
        return [(fold(r.name), r.code.lower(), int(r.unit_id)) for r in conn.execute(q)]

    return cache.memo(conn, ("search", on), read)


def search_ids(conn: Connection, query: str, on: dt.date) -> list[int]:
    """Units whose name contains every word of QUERY, accents and case ignored, or whose code starts with it."""
    words = fold(query).split()
    if not words:
        return []
    q = query.strip().lower()
    hits: list[tuple[int, int, str, int]] = []
    for name, code, uid in _search_rows(conn, on):
        if code == q or (len(q) >= 3 and code.startswith(q)) or all(w in name for w in words):
            # exact phrase first, then shorter names
            hits.append((0 if " ".join(words) in name or code == q else 1, len(name), name, uid))
    hits.sort()
    return [h[3] for h in hits]


# --- unit detail ----------------------------------------------------------------------------------

@dataclass
class LineageRow:
    unit_id: int
    name: str
    code: str
    partial: bool
    day: dt.date
    link_day: dt.date  # a day on which the other unit was in force (the day before, for a predecessor)


@dataclass
class UnitDetail:
    unit: Unit
    history: list[Unit]
    predecessors: list[LineageRow]
    successors: list[LineageRow]
    children: list[Unit]
    holdings: list[TitleHolding]
    titles: dict[str, TitleType]
    ancestors: list[Unit]
    row_versions: dict[int | None, int] = field(default_factory=dict)  # version id → its row_version


def _lineage_rows(items: list[tuple[int, bool, dt.date]], histories: dict[int, list[Unit]], *,
                  before: bool) -> list[LineageRow]:
    out = []
    for uid, partial, day in items:
        hist = histories[uid]
        # name it as it was around the event
        v = next((h for h in hist if h.in_force(day)), None) or next(
            (h for h in reversed(hist) if h.valid_to is not None and h.valid_to <= day), None) or hist[-1]
        out.append(LineageRow(uid, v.name, v.code, partial, day, day - dt.timedelta(days=1) if before else day))
    return out


def unit_detail(conn: Connection, unit: Unit, on: dt.date) -> UnitDetail:
    """A unit's page: its versions, lineage both ways, children, holdings (read once per data version)."""
    return cache.memo(conn, ("detail", unit.version_id, on), lambda: _unit_detail(conn, unit, on))


def _unit_detail(conn: Connection, unit: Unit, on: dt.date) -> UnitDetail:
    history, row_versions = repo.unit_history_versions(conn, unit.id)
    before, after = repo.lineage(conn, unit.id)
    # the units on either side of the lineage, every version of each, in one query
    histories = repo.unit_histories(conn, [uid for uid, _p, _d in before + after]) if before or after else {}
    return UnitDetail(
        unit=unit, history=history,
        predecessors=_lineage_rows(before, histories, before=True),
        successors=_lineage_rows(after, histories, before=False),
        children=repo.children(conn, unit.id, on), holdings=repo.holdings_at(conn, on, [unit.id]),
        # shared by every unit (titles) and with the scope checks (ancestors)
        titles=cache.memo(conn, ("title_types",), lambda: repo.title_types(conn)),
        ancestors=auth.ancestors(conn, unit, on), row_versions=row_versions,
    )


# --- edit: a new version from a date, with optimistic locking ------------------------------------

EDITABLE = ("name", "households", "population", "area_km2")
CONFLICT_MESSAGE = ("đơn vị vừa được người khác sửa và lưu; dữ liệu bạn nhập vẫn còn trên biểu mẫu, "
                    "hãy xem bản mới nhất rồi lưu lại")


# the optimistic lock and every check of the edit in one statement: the version is bumped only if it is
# the unit's, still at the row_version the form read, and in force on the day the change starts; what it
# returns is the row before the edit (but for row_version) and after the bump, for the audit log
_UV = s.unit_version
_BUMP = (update(_UV).where(_UV.c.id == bindparam("b_version"), _UV.c.unit_id == bindparam("b_unit"),
                           _UV.c.row_version == bindparam("b_row_version"), repo.in_force_param(_UV))
         .values(row_version=_UV.c.row_version + 1).returning(*_UV.c))


def edit_unit(conn: Connection, unit_id: int, version_id: int, row_version: int, valid_from: dt.date,
              changes: dict[str, Any]) -> int:
    """Apply CHANGES from VALID_FROM on; returns the id of the version now holding them.

    The version read by the form must still have ROW_VERSION: otherwise someone saved in between and
    the edit is refused with ConflictError (the caller keeps what was typed and shows the other edit).
    A refused edit changes nothing. Every UPDATE here returns its row, so the audit log gets the rows
    before and after without reading them again.
    """
    UV = s.unit_version
    changes = {k: v for k, v in changes.items() if k in EDITABLE}
    if not changes:  # an UPDATE with nothing to set is refused by the database: say it plainly instead
        raise BadInput("không có gì để sửa: gửi ít nhất một trong name, households, population, area_km2")
    if "name" in changes and (changes["name"] is None or not str(changes["name"]).strip()):
        raise BadInput("tên đơn vị không được để trống", field="name")
    for key in ("households", "population", "area_km2"):
        if changes.get(key) is not None and float(changes[key]) < 0:
            raise BadInput("số không được âm", field=key)
    noted = dataversion.noted(conn)
    bumped = conn.execute(_BUMP, {"b_version": version_id, "b_unit": unit_id, "b_row_version": row_version,
                                  "on": valid_from}, execution_options=auditlog.CALLER_LOGS).first()
    if bumped is None:
        dataversion.unnote(conn, noted)  # nothing matched, nothing changed
        raise _refusal(conn, unit_id, version_id, row_version, valid_from)
    row = dict(bumped._mapping)
    logged = [({**row, "row_version": row_version}, row)]
    if bumped.valid_from == valid_from:
        after = conn.execute(update(UV).where(UV.c.id == version_id).values(**changes).returning(*UV.c),
                             execution_options=auditlog.CALLER_LOGS).one()
        logged.append((row, dict(after._mapping)))
        auditlog.record_updates(conn, UV, logged)
        return version_id
    values = {k: v for k, v in row.items() if k not in ("id", "unit_id")}
    values.update(changes)
    values.update(valid_from=valid_from, valid_to=bumped.valid_to, row_version=1)
    closed = conn.execute(update(UV).where(UV.c.id == version_id).values(valid_to=valid_from).returning(*UV.c),
                          execution_options=auditlog.CALLER_LOGS).one()
    logged.append((row, dict(closed._mapping)))
    auditlog.record_updates(conn, UV, logged)
    return repo.insert_version(conn, unit_id, **values)


def _refusal(conn: Connection, unit_id: int, version_id: int, row_version: int, valid_from: dt.date) -> Exception:
    """Why the edit's UPDATE matched nothing, said as before it was one statement (in the same order)."""
    UV = s.unit_version
    row = conn.execute(select(UV).where(UV.c.id == version_id, UV.c.unit_id == unit_id)).first()
    if row is None:
        return BadInput("không có phiên bản này của đơn vị", field="version_id")
    if row.row_version != row_version:
        return ConflictError(CONFLICT_MESSAGE)
    if (row.valid_from is not None and valid_from < row.valid_from) or \
            (row.valid_to is not None and valid_from >= row.valid_to):
        return BadInput(f"ngày hiệu lực phải nằm trong thời hạn của phiên bản đang sửa "
                        f"({repo.span_text(row.valid_from, row.valid_to)})", field="valid_from")
    return ConflictError(CONFLICT_MESSAGE)  # changed by someone else between the two statements


def version_row(conn: Connection, version_id: int | None) -> Any:
    return conn.execute(select(s.unit_version).where(s.unit_version.c.id == version_id)).first()


# --- people -----------------------------------------------------------------------------------------

@dataclass
class PersonRow:
    person: Person
    titles: list[tuple[str, str, bool]]  # (title name, unit name, concurrent)


def title_holders(conn: Connection, unit: Unit, on: dt.date, lang: str = "vi") -> list[PersonRow]:
    """Everyone holding a title in UNIT or under it on ON, in Vietnamese name order."""
    below = [unit, *repo.descendants(conn, unit.id, on)]
    names = {u.id: u.name for u in below}
    holdings = repo.holdings_at(conn, on, list(names))
    types = repo.title_types(conn)
    people = repo.people_by_ids(conn, [h.person_id for h in holdings])
    rows: dict[int, PersonRow] = {}
    for h in holdings:
        t = types.get(h.title_code)
        tname = (t.name_en if lang == "en" else t.name_vi) if t else h.title_code
        rows.setdefault(h.person_id, PersonRow(people[h.person_id], [])).titles.append(
            (tname, names.get(h.unit_id, ""), h.concurrent))
    return sorted(rows.values(), key=lambda r: person_sort_key(r.person.full_name))


def household_heads(conn: Connection, unit: Unit, on: dt.date) -> list[tuple[Person, str | None, int]]:
    """Heads of the households living in a residential group on ON: (person, address, members)."""
    if unit.level != Level.RESIDENTIAL_GROUP:
        return []
    hh = repo.households_at(conn, on, [unit.id])
    by_hh = {h.id: h for h in hh}
    P = s.person
    out: list[tuple[Person, str | None, int]] = []
    ids = list(by_hh)
    for i in range(0, len(ids), 900):
        q = select(P).where(P.c.household_id.in_(ids[i:i + 900]), P.c.is_head.is_(True))
        for r in conn.execute(q):
            h = by_hh[r.household_id]
            out.append((repo.row_to_person(r), h.address, h.members))
    out.sort(key=lambda t: person_sort_key(t[0].full_name))
    return out
