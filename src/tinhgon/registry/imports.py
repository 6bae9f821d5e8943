"""Writing validated imports into the registry: all-or-nothing, upsert by code, history kept.

The file side (reading, decoding, validation) is tinhgon.io; this module only writes records that
passed it. Rules of the upsert:
- a record identical to what the registry holds on the effective date changes nothing, so importing
  the same file twice changes nothing;
- a changed unit gets a new version from the effective date (or is corrected in place when its
  current version starts that same day): history is never overwritten;
- every import is recorded (who, when, file hash, rows, inserted / updated / unchanged).
Bulk inserts are logged as one change-log entry (the import record); updates are logged row by row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tinhgon.domain.units import Kind, Level, kind_from_name
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s
from tinhgon.registry.import_tables import import_record
from tinhgon.reliability import auditlog

UV = s.unit_version
UNIT_FIELDS = ("name", "kind", "households", "population", "area_km2", "lat", "lon", "valid_to")


@dataclass
class ImportResult:
    kind: str
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    record_id: int | None = None
    notes: list[str] = field(default_factory=list)


def files_sha256(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths, key=str):
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def validation_context(conn: Connection, on: dt.date) -> Any:
    """Registry look-ups for tinhgon.io validation, loaded once (no query per row)."""
    from tinhgon.io.schemas import ValidationContext

    unit_codes = {r[0] for r in conn.execute(select(UV.c.code).where(repo.in_force_clause(UV, on)))}
    household_codes = {r[0] for r in conn.execute(select(s.household.c.code))}
    person_codes = {r[0] for r in conn.execute(select(s.person.c.code).where(s.person.c.code.is_not(None)))}
    return ValidationContext(known_parent_codes=unit_codes.__contains__, known_unit_codes=unit_codes.__contains__,
                             known_household_codes=household_codes.__contains__,
                             known_person_codes=person_codes.__contains__, today=dt.date.today())


def _units_by_code(conn: Connection, on: dt.date, codes: set[str] | None = None) -> dict[str, list[Any]]:
    q = select(UV).where(repo.in_force_clause(UV, on))
    out: dict[str, list[Any]] = {}
    for r in conn.execute(q):
        if codes is None or r.code in codes:
            out.setdefault(r.code, []).append(r)
    return out


def _kind_of(rec: dict[str, Any], default_kind: Kind) -> Kind:
    if rec.get("kind"):
        return Kind(rec["kind"])
    return kind_from_name(rec.get("name") or "") or default_kind


def import_units(conn: Connection, records: list[dict[str, Any]], on: dt.date,
                 default_kind: Kind = Kind.TO_DAN_PHO) -> ImportResult:
    res = ImportResult("units", len(records))
    existing = _units_by_code(conn, on)
    in_file = {r["code"]: r for r in records}
    unit_id: dict[str, int] = {}
    # parents first: a record whose parent is in the file waits for it
    pending = list(records)
    order: list[dict[str, Any]] = []
    placed: set[str] = set()
    while pending:
        progressed = []
        for r in pending:
            parent = r.get("parent_code")
            if not parent or parent not in in_file or parent in placed:
                order.append(r)
                placed.add(r["code"])
            else:
                progressed.append(r)
        if len(progressed) == len(pending):  # validation refuses cycles; this is a safety net
            raise BadInput(f"vòng lặp cấp trên ở mã {progressed[0]['code']}", row=None, field="parent_code")
        pending = progressed
    province_of: dict[int, str | None] = {}  # unit id -> the province code its rules are read under
    for r in order:
        kind = _kind_of(r, default_kind)
        parent_id = None
        parent_province: str | None = None
        if r.get("parent_code"):
            parent_code = r["parent_code"]
            if parent_code in unit_id:
                parent_id = unit_id[parent_code]
                parent_province = province_of.get(parent_id)
            else:
                cands = existing.get(parent_code, [])
                higher = [c for c in cands if Level(c.level).rank < kind.level.rank]
                if len(higher) != 1:
                    raise BadInput(f"không xác định được đơn vị cấp trên mã {parent_code!r} vào ngày "
                                   f"{on:%d/%m/%Y}", field="parent_code")
                parent_id = higher[0].unit_id
                parent_province = higher[0].province_code
        same_level = [c for c in existing.get(r["code"], []) if c.level == kind.level.value]
        values = {"name": r.get("name") or r["code"], "kind": kind.value, "households": r.get("households"),
                  "population": r.get("population"), "area_km2": r.get("area_km2"), "lat": r.get("lat"),
                  "lon": r.get("lon"), "valid_to": r.get("valid_to")}
        if not same_level:
            if parent_id is not None:
                _check_within_parent(conn, r, parent_id)
            uid = repo.insert_unit(conn, kind.level)
            province = r["code"] if kind.level == Level.PROVINCE else parent_province
            repo.insert_version(conn, uid, level=kind.level.value, code=r["code"], parent_id=parent_id,
                                valid_from=r.get("valid_from"), province_code=province,
                                urban=kind in (Kind.PHUONG, Kind.THI_TRAN, Kind.QUAN) or kind.is_urban_group,
                                **values)
            unit_id[r["code"]] = uid
            province_of[uid] = province
            res.inserted += 1
            continue
        cur = same_level[0]
        unit_id[r["code"]] = cur.unit_id
        province_of[cur.unit_id] = cur.province_code
        if kind.level != Level.RESIDENTIAL_GROUP and cur.households is None and values["households"] == 0:
            values["households"] = None  # the form's 0 above group level means "not recorded" (see exports)
        changed = {k: v for k, v in values.items() if getattr(cur, k) != v and not (k == "valid_to" and v is None)}
        if parent_id is not None and cur.parent_id != parent_id:
            changed["parent_id"] = parent_id
        if not changed:
            res.unchanged += 1
            continue
        start = r.get("valid_from") or on
        if cur.valid_from == start:  # a same-day correction: in place (the change log keeps the old row)
            conn.execute(update(UV).where(UV.c.id == cur.id).values(**changed, row_version=cur.row_version + 1))
        else:
            repo.close_version(conn, cur.id, start)
            row = {c.name: getattr(cur, c.name) for c in UV.columns if c.name not in ("id", "unit_id")}
            row.update(changed)
            row.update({"valid_from": start, "valid_to": values["valid_to"] or cur.valid_to, "row_version": 1})
            repo.insert_version(conn, cur.unit_id, **row)
        res.updated += 1
    return res


def _check_within_parent(conn: Connection, rec: dict[str, Any], parent_id: int) -> None:
    """A unit cannot outlive the unit it belongs to: refuse with the parent's last day."""
    from tinhgon.domain.units import period_within

    versions = repo.unit_history(conn, parent_id)
    lo = None if any(v.valid_from is None for v in versions) else min(v.valid_from for v in versions)  # type: ignore[type-var]
    hi = None if any(v.valid_to is None for v in versions) else max(v.valid_to for v in versions)  # type: ignore[type-var]
    if not period_within(rec.get("valid_from"), rec.get("valid_to"), lo, hi):
        last = f"đến hết {(hi - dt.timedelta(days=1)):%d/%m/%Y}" if hi else "đến nay"
        first = f"từ {lo:%d/%m/%Y}" if lo else "từ trước"
        raise BadInput(f"đơn vị {rec['code']!r}: đơn vị cấp trên {rec.get('parent_code')!r} chỉ có hiệu lực {first} "
                       f"{last}; ghi cột valid_to / valid_from cho phù hợp", field="valid_to")


def import_adjacency(conn: Connection, records: list[dict[str, Any]], on: dt.date) -> ImportResult:
    res = ImportResult("adjacency", len(records))
    units = _units_by_code(conn, on)

    def uid(code: str) -> int:
        cands = units.get(code, [])
        if len(cands) != 1:
            raise BadInput(f"mã {code!r} không chỉ đúng một đơn vị vào ngày {on:%d/%m/%Y}", field="a")
        return int(cands[0].unit_id)

    pairs = {(min(uid(r["a"]), uid(r["b"])), max(uid(r["a"]), uid(r["b"]))) for r in records}
    have = set(repo.adjacency_at(conn, on, {x for p in pairs for x in p}))
    new = [p for p in pairs if p not in have]
    repo.add_adjacency(conn, new, valid_from=None)
    res.inserted, res.unchanged = len(new), len(records) - len(new)
    return res


def import_households(conn: Connection, records: list[dict[str, Any]], on: dt.date) -> ImportResult:
    res = ImportResult("households", len(records))
    units = _units_by_code(conn, on, {r["unit_code"] for r in records})
    unit_of: dict[str, int] = {}
    for code, cands in units.items():
        groups = [c for c in cands if c.level == Level.RESIDENTIAL_GROUP.value] or cands
        if len(groups) == 1:
            unit_of[code] = groups[0].unit_id
    missing = sorted({r["unit_code"] for r in records} - set(unit_of))
    if missing:
        raise BadInput(f"mã tổ dân phố / thôn không có vào ngày {on:%d/%m/%Y}: {', '.join(missing[:10])}",
                       field="unit_code")
    H, R = s.household, s.household_residence
    known = {code: hid for hid, code in conn.execute(select(H.c.id, H.c.code))}
    current = {r.household_id: r for r in conn.execute(select(R).where(repo.in_force_clause(R, on)))}
    next_hh = int(conn.execute(select(H.c.id).order_by(H.c.id.desc()).limit(1)).scalar() or 0) + 1
    next_person = int(conn.execute(select(s.person.c.id).order_by(s.person.c.id.desc()).limit(1)).scalar() or 0) + 1
    new_h, new_r, new_p = [], [], []
    for rec in records:
        uid = unit_of[rec["unit_code"]]
        members = rec.get("members") or 1
        hid = known.get(rec["code"])
        if hid is None:
            hid = next_hh
            next_hh += 1
            new_h.append({"id": hid, "code": rec["code"]})
            new_r.append({"household_id": hid, "unit_id": uid, "address": rec.get("address"), "members": members,
                          "valid_from": rec.get("valid_from"), "valid_to": rec.get("valid_to")})
            if rec.get("head_name"):
                new_p.append({"id": next_person, "code": f"{rec['code']}-CH", "full_name": rec["head_name"],
                              "household_id": hid, "is_head": True, "party_member": False})
                next_person += 1
            res.inserted += 1
            continue
        cur = current.get(hid)
        if cur is not None and cur.unit_id == uid and cur.address == rec.get("address") and cur.members == members:
            res.unchanged += 1
            continue
        start = rec.get("valid_from") or on
        if cur is not None:
            conn.execute(update(R).where(R.c.id == cur.id).values(valid_to=start))
        conn.execute(insert(R).values(household_id=hid, unit_id=uid, address=rec.get("address"), members=members,
                                      valid_from=start, valid_to=rec.get("valid_to")))
        res.updated += 1
    with auditlog.suspended():  # one summary entry (the import record) instead of a row per household
        for table, rows in ((H, new_h), (s.person, new_p), (R, new_r)):
            bulk_insert(conn, table, rows)
    return res


def bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the caller's transaction: COPY on PostgreSQL (a statement per row through the
    driver is several times slower), executemany in chunks on SQLite. Rows given with explicit ids move
    the table's id sequence past them, so later inserts never collide."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        for i in range(0, len(rows), 20000):
            conn.execute(insert(table), rows[i:i + 20000])
        return
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if "id" not in columns and "id" in table.c:
            # ids come from the sequence: make sure it is past every id already there (rows written
            # with explicit ids by another path, e.g. the demo builder, do not move it)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                           f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)")
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(tuple(r.get(c) for c in columns))
        if "id" in columns:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                           f"(SELECT max(id) FROM {table.name}))")
    finally:
        cursor.close()


def import_people(conn: Connection, records: list[dict[str, Any]], on: dt.date) -> ImportResult:
    res = ImportResult("people", len(records))
    P = s.person
    hh = {code: hid for hid, code in conn.execute(select(s.household.c.id, s.household.c.code))}
    cur = {r.code: r for r in conn.execute(select(P).where(P.c.code.in_([r["code"] for r in records])))} \
        if len(records) < 900 else {r.code: r for r in conn.execute(select(P).where(P.c.code.is_not(None)))}
    new = []
    for rec in records:
        values = {"full_name": rec["full_name"], "birth_date": rec.get("birth_date"), "gender": rec.get("gender"),
                  "party_member": bool(rec.get("party_member")),
                  "household_id": hh.get(rec.get("household_code") or ""), "phone": rec.get("phone")}
        old = cur.get(rec["code"])
        if old is None:
            new.append({"code": rec["code"], "is_head": False, **values})
            res.inserted += 1
        elif any(getattr(old, k) != v for k, v in values.items()):
            conn.execute(update(P).where(P.c.id == old.id).values(**values))  # logged before/after
            res.updated += 1
        else:
            res.unchanged += 1
    with auditlog.suspended():
        bulk_insert(conn, P, new)
    return res


def import_holdings(conn: Connection, records: list[dict[str, Any]], on: dt.date) -> ImportResult:
    res = ImportResult("holdings", len(records))
    people = {code: pid for pid, code in conn.execute(select(s.person.c.id, s.person.c.code))}
    H = s.title_holding
    # units in force on each start date, read once per distinct date (not once per row)
    codes = {r["unit_code"] for r in records}
    by_date: dict[dt.date, dict[str, list[Any]]] = {}
    for rec in records:
        start = rec.get("valid_from") or on
        if start not in by_date:
            by_date[start] = _units_by_code(conn, start, codes)
        cands = by_date[start].get(rec["unit_code"], [])
        if len(cands) != 1:
            raise BadInput(f"mã đơn vị {rec['unit_code']!r} không chỉ đúng một đơn vị vào ngày {start:%d/%m/%Y}",
                           field="unit_code")
        pid = people.get(rec["person_code"])
        if pid is None:
            raise BadInput(f"không có người mang mã {rec['person_code']!r}", field="person_code")
        same = conn.execute(select(H).where(H.c.person_id == pid, H.c.title_code == rec["title_code"],
                                            H.c.unit_id == cands[0].unit_id, H.c.valid_from == start)).first()
        values = {"concurrent": bool(rec.get("concurrent")), "valid_to": rec.get("valid_to"),
                  "decision": rec.get("decision")}
        if same is None:
            conn.execute(insert(H).values(person_id=pid, title_code=rec["title_code"], unit_id=cands[0].unit_id,
                                          valid_from=start, **values))
            res.inserted += 1
        elif any(getattr(same, k) != v for k, v in values.items()):
            conn.execute(update(H).where(H.c.id == same.id).values(**values))
            res.updated += 1
        else:
            res.unchanged += 1
    return res


WRITERS: dict[str, Callable[..., ImportResult]] = {
    "units": import_units, "adjacency": import_adjacency, "households": import_households,
    "people": import_people, "holdings": import_holdings,
}


def run_import(conn: Connection, kind: str, paths: Sequence[Path], on: dt.date, *, dry_run: bool = False,
               actor: str | None = None, default_kind: Kind = Kind.TO_DAN_PHO) -> ImportResult:
    """Validate the whole input, then write it in the caller's transaction (rolled back on dry run)."""
    from tinhgon.io.schemas import load

    if kind not in WRITERS:
        raise BadInput(f"loại dữ liệu {kind!r} không nhập được bằng lệnh này"
                       + (" (dùng tinhgon consult import-ballots)" if kind == "ballots" else ""), field="KIND")
    batch = load(kind, list(paths), validation_context(conn, on))
    writer = WRITERS[kind]
    result = writer(conn, batch.records, on, default_kind) if kind == "units" else writer(conn, batch.records, on)
    result.dry_run = dry_run
    digest = files_sha256(list(paths))
    rec_id = repo.new_id(conn.execute(insert(import_record).values(
        at=dt.datetime.now(dt.UTC).replace(tzinfo=None), actor=actor or auditlog.current_actor(), kind=kind,
        files=";".join(str(p) for p in paths), sha256=digest, rows=result.rows, inserted=result.inserted,
        updated=result.updated, unchanged=result.unchanged)))
    result.record_id = rec_id
    return result


def import_geometry(conn: Connection, path: Path, on: dt.date, *, code_property: str | None = None,
                    rule: str = "rook") -> ImportResult:
    """Shapes for units already in the registry (GeoJSON or Shapefile, a code property per feature):
    each unit's geometry and representative point are set on its version in force, and adjacency is
    computed from shared boundaries. Every code must name exactly one unit on the date."""
    from tinhgon.io.geo import adjacency, load_geometries

    shapes = load_geometries(path, code_property=code_property)
    res = ImportResult("geometry", len(shapes))
    units = _units_by_code(conn, on, {g.code for g in shapes})
    unknown = sorted(g.code for g in shapes if len(units.get(g.code, [])) != 1)
    if unknown:
        raise BadInput(f"mã không chỉ đúng một đơn vị vào ngày {on:%d/%m/%Y}: {', '.join(unknown[:10])}",
                       file=str(path), field="code")
    for g in shapes:
        cur = units[g.code][0]
        if cur.geometry == g.geometry and cur.lat == g.lat and cur.lon == g.lon:
            res.unchanged += 1
            continue
        conn.execute(update(UV).where(UV.c.id == cur.id).values(geometry=g.geometry, lat=g.lat, lon=g.lon,
                                                                 row_version=cur.row_version + 1))
        res.updated += 1
    uid = {g.code: units[g.code][0].unit_id for g in shapes}
    pairs = {(min(uid[a], uid[b]), max(uid[a], uid[b])) for a, b in adjacency(shapes, rule=rule,  # type: ignore[arg-type]
                                                                            file=str(path))}
    have = set(repo.adjacency_at(conn, on, set(uid.values())))
    new = [p for p in pairs if p not in have]
    repo.add_adjacency(conn, new)
    res.inserted = len(new)
    res.notes.append(f"{len(pairs)} cặp liền kề từ ranh giới ({rule}); {len(new)} cặp mới")
    return res
