"""Carrying out an approved merger plan, in the caller's transaction (one unit of work).

``apply_plan`` creates the new residential groups, closes the old ones, moves households' residence
rows and title holdings, derives the new groups' adjacency, records lineage events with the legal
basis, and keeps an application record of every row it created and every row it closed (with the end
date the row had) so that ``undo_application`` restores the registry exactly until ``finalise``.
Holdings of merged groups go where the staffing decisions (tinhgon.staffing) put them; without a
decision they are closed and listed as awaiting one, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tinhgon.domain.lineage import EventKind, LegalBasis
from tinhgon.domain.plans import Plan, PlanGroup, PlanStatus
from tinhgon.domain.units import KIND_LABEL_VI, Kind, Level, Unit
from tinhgon.errors import BadInput, Failure
from tinhgon.execute.tables import merge_application, merge_pending_title
from tinhgon.registry import plans as plan_store
from tinhgon.registry import repo
from tinhgon.registry import schema as s

UV = s.unit_version
RES = s.household_residence
HOLD = s.title_holding
ADJ = s.adjacency

NAMING_RULES = ("keep-largest", "renumber")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _checkpoint(step: str) -> None:
    """Called between the steps of an application (tests put a failure here)."""


# --- approval and names ------------------------------------------------------------------------------

def approve(conn: Connection, plan_name: str) -> Plan:
    plan = plan_store.load_plan(conn, plan_name)
    if plan.status == PlanStatus.APPROVED:
        return plan
    if plan.status != PlanStatus.DRAFT:
        raise BadInput(f"phương án {plan.name!r} đang ở trạng thái {plan.status.value}; chỉ duyệt được bản nháp",
                       field="--plan")
    plan_store.set_status(conn, plan, PlanStatus.APPROVED)
    return plan


def _group_number(name: str, code: str) -> tuple[int, str]:
    m = re.search(r"(\d+)", name) or re.search(r"(\d+)$", code)
    return (int(m.group(1)) if m else 10**9, code)


def _kind_label(units: Sequence[Unit]) -> str:
    kinds = [u.kind for u in units]
    kind = max(set(kinds), key=kinds.count) if kinds else Kind.TO_DAN_PHO
    return KIND_LABEL_VI.get(kind, "Tổ dân phố")


def propose_names(conn: Connection, plan: Plan, on: dt.date, rule: str,
                  *, overwrite: bool = False) -> dict[str, str]:
    """New names by the ward's rule: 'keep-largest' (the largest member's name, for mergers) or
    'renumber' (every group of the commune numbered 1..N in the order of its members' old numbers)."""
    if rule not in NAMING_RULES:
        raise BadInput(f"quy tắc đặt tên không hợp lệ: {rule!r} (dùng {' hoặc '.join(NAMING_RULES)})",
                       field="--naming")
    members = {u.id: u for u in repo.units_at(conn, on, unit_ids={u for g in plan.groups for u in g.unit_ids})}
    sizes = _sizes(conn, on, list(members))
    names: dict[str, str] = {}
    if rule == "keep-largest":
        for g in plan.groups:
            if not g.is_merger or (g.new_name and not overwrite):
                continue
            us = [members[u] for u in g.unit_ids if u in members]
            if us:
                names[g.label] = max(us, key=lambda u: (sizes.get(u.id, 0), -u.id)).name
        return names
    by_parent: dict[int | None, list[PlanGroup]] = defaultdict(list)
    for g in plan.groups:
        by_parent[g.parent_unit_id].append(g)
    for parent, groups in by_parent.items():
        if parent is not None:
            inside = {u.id for u in repo.children(conn, parent, on) if u.level == Level.RESIDENTIAL_GROUP}
            outside = inside - {u for g in groups for u in g.unit_ids}
            if outside:
                raise BadInput(f"đánh số lại cần mọi tổ của đơn vị cấp xã trong phương án; còn {len(outside)} tổ "
                               "ngoài phương án (dùng --naming keep-largest hoặc sửa tên từng tổ)", field="--naming")

        def order(g: PlanGroup) -> tuple[int, str]:
            return min(_group_number(members[u].name, members[u].code) for u in g.unit_ids if u in members)

        for n, g in enumerate(sorted(groups, key=order), start=1):
            if g.new_name and not overwrite:
                continue
            us = [members[u] for u in g.unit_ids if u in members]
            names[g.label] = f"{_kind_label(us)} số {n}"
    return names


def set_names(conn: Connection, plan: Plan, names: dict[str, str], codes: dict[str, str] | None = None) -> None:
    """Write new names (and codes) of plan groups; refused once the plan is applied."""
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.APPROVED):
        raise BadInput(f"phương án {plan.name!r} đã {plan.status.value}; hoàn tác trước khi đổi tên", field="--plan")
    labels = {g.label: g for g in plan.groups}
    for label in [*names, *(codes or {})]:
        if label not in labels:
            raise BadInput(f"phương án {plan.name!r} không có nhóm {label!r}", field="--group")
    res = conn.execute(update(s.plan).where(s.plan.c.id == plan.id, s.plan.c.row_version == plan.row_version)
                       .values(row_version=plan.row_version + 1))
    if res.rowcount != 1:
        raise plan_store.ConflictError(f"phương án {plan.name!r} vừa được người khác thay đổi; hãy làm lại")
    plan.row_version += 1
    for label, name in names.items():
        name = " ".join(name.split())
        if not name:
            raise BadInput("tên mới không được để trống", field="--name")
        conn.execute(update(s.plan_group).where(s.plan_group.c.id == labels[label].id).values(new_name=name))
        labels[label].new_name = name
    for label, code in (codes or {}).items():
        conn.execute(update(s.plan_group).where(s.plan_group.c.id == labels[label].id).values(new_code=code.strip()))
        labels[label].new_code = code.strip()


def _sizes(conn: Connection, on: dt.date, unit_ids: list[int]) -> dict[int, int]:
    """Households per unit: the residence rows when there are any, else the recorded size."""
    counted = repo.household_counts_at(conn, on, unit_ids) if unit_ids else {}
    out = {}
    for u in repo.units_at(conn, on, unit_ids=unit_ids):
        out[u.id] = counted.get(u.id) or u.households or 0
    return out


# --- applying -----------------------------------------------------------------------------------------

@dataclass
class Record:
    """Every row an application created, and every row it closed with the end date it had before."""

    units_created: list[int] = field(default_factory=list)
    versions_inserted: list[int] = field(default_factory=list)
    versions_closed: list[tuple[int, str | None]] = field(default_factory=list)
    residences_inserted: list[int] = field(default_factory=list)
    residences_closed: list[tuple[int, str | None]] = field(default_factory=list)
    holdings_inserted: list[int] = field(default_factory=list)
    holdings_closed: list[tuple[int, str | None]] = field(default_factory=list)
    adjacency_inserted: list[int] = field(default_factory=list)
    adjacency_closed: list[tuple[int, str | None]] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    new_unit_of: dict[str, int] = field(default_factory=dict)     # old unit id (str, JSON keys) -> new unit id
    renamed: list[int] = field(default_factory=list)              # units that only changed name

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Record:
        data = json.loads(text)
        rec = cls()
        for k, v in data.items():
            if k.endswith("_closed"):
                v = [(int(a), b) for a, b in v]
            setattr(rec, k, v)
        return rec


@dataclass
class ApplySummary:
    plan: str
    effective: dt.date
    mergers: int = 0
    units_closed: int = 0
    units_created: int = 0
    renamed: int = 0
    households_moved: int = 0
    holdings_moved: int = 0
    holdings_awaiting_decision: int = 0
    commune_holdings_closed: int = 0      # commune titles ended as the staffing decisions say
    commune_holdings_added: int = 0       # commune titles given (or re-given, e.g. now concurrent)
    adjacency_pairs: int = 0
    lineage_events: int = 0
    new_units: list[dict[str, Any]] = field(default_factory=list)
    awaiting: list[dict[str, Any]] = field(default_factory=list)
    application_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _date_text(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _parse_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def active_application(conn: Connection, plan_id: int) -> Any:
    A = merge_application
    return conn.execute(select(A).where(A.c.plan_id == plan_id, A.c.status.in_(("applied", "finalised")))
                        .order_by(A.c.id.desc())).first()


def _fresh_code(conn: Connection, base: str, taken: set[str]) -> str:
    used = {r[0] for r in conn.execute(select(UV.c.code).where(UV.c.level == Level.RESIDENTIAL_GROUP.value,
                                                                UV.c.code.like(f"{base}%")))}
    n = 1
    while f"{base}{n:02d}" in used or f"{base}{n:02d}" in taken:
        n += 1
    return f"{base}{n:02d}"


def apply_plan(conn: Connection, plan_name: str, effective: dt.date, basis: LegalBasis,
               *, naming: str = "keep-largest") -> ApplySummary:
    plan = plan_store.load_plan(conn, plan_name)
    if plan.status != PlanStatus.APPROVED:
        raise BadInput(f"phương án {plan.name!r} đang ở trạng thái {plan.status.value}; cần duyệt trước "
                       f"(tinhgon merge approve --plan {plan.name!r})", field="--plan")
    if plan.id is not None and active_application(conn, plan.id) is not None:
        raise BadInput(f"phương án {plan.name!r} đã được thực hiện", field="--plan")
    day_before = effective - dt.timedelta(days=1)
    all_ids = [u for g in plan.groups for u in g.unit_ids]
    units = {u.id: u for u in repo.units_at(conn, day_before, unit_ids=all_ids)}
    missing = [u for u in all_ids if u not in units]
    if missing:
        raise BadInput(f"{len(missing)} đơn vị của phương án không còn hiệu lực ngày {day_before:%d/%m/%Y}",
                       field="--effective")
    on_eff = {u.id: u for u in repo.units_at(conn, effective, unit_ids=all_ids)}
    for uid, u in units.items():
        if u.valid_from is not None and u.valid_from >= effective:
            raise BadInput(f"{u.name} (mã {u.code}) bắt đầu từ {u.valid_from:%d/%m/%Y}, không trước ngày hiệu lực",
                           field="--effective")
        now = on_eff.get(uid)
        if now is None or now.version_id != u.version_id:
            raise BadInput(f"{u.name} (mã {u.code}) đã có thay đổi khác từ ngày {effective:%d/%m/%Y}; "
                           "chọn ngày hiệu lực khác", field="--effective")
        later = conn.execute(select(UV.c.id).where(UV.c.unit_id == uid, UV.c.valid_from > effective)).first()
        if later is not None:
            raise BadInput(f"{u.name} (mã {u.code}) có phiên bản sau ngày hiệu lực; không thực hiện được",
                           field="--effective")
    for g in plan.groups:
        parents = {units[u].parent_id for u in g.unit_ids}
        if g.parent_unit_id is not None and parents != {g.parent_unit_id}:
            raise BadInput(f"nhóm {g.label}: các tổ không còn thuộc cùng đơn vị cấp xã của phương án "
                           f"vào ngày {effective:%d/%m/%Y}", field="--effective")
        if len(parents) != 1:
            raise BadInput(f"nhóm {g.label}: các tổ thuộc nhiều đơn vị cấp xã khác nhau", field="--plan")

    # names: what the plan says, else the ward's rule
    proposed = propose_names(conn, plan, day_before, naming)
    rec = Record()
    summary = ApplySummary(plan=plan.name, effective=effective)
    taken: set[str] = set()

    # 1. new units for the mergers; renamed singletons get a new version
    new_of: dict[int, int] = {}
    for g in plan.groups:
        members = [units[u] for u in g.unit_ids]
        parent = members[0].parent_id
        if not g.is_merger:
            new_name = g.new_name or proposed.get(g.label)
            u = members[0]
            if (new_name and new_name != u.name) or (g.new_code and g.new_code != u.code):
                _new_version(conn, rec, u, effective, name=new_name or u.name, code=g.new_code or u.code)
                rec.renamed.append(u.id)
                summary.renamed += 1
            continue
        name = g.new_name or proposed.get(g.label) or members[0].name
        code = g.new_code
        if code:
            clash = conn.execute(select(UV.c.unit_id).where(
                UV.c.level == Level.RESIDENTIAL_GROUP.value, UV.c.code == code,
                or_(UV.c.valid_to.is_(None), UV.c.valid_to > effective))).first()
            if clash is not None or code in taken:
                raise BadInput(f"mã {code!r} của nhóm {g.label} đang được đơn vị khác dùng", field="new_code")
        else:
            parent_unit = repo.unit_at(conn, parent, effective) if parent is not None else None
            code = _fresh_code(conn, f"{parent_unit.code if parent_unit else 'TDP'}-G", taken)
        taken.add(code)
        uid = _create_group_unit(conn, rec, members, parent, code, name, effective)
        for m in members:
            new_of[m.id] = uid
            _close_version(conn, rec, m, effective)
        summary.mergers += 1
        summary.units_closed += len(members)
        summary.units_created += 1
        summary.new_units.append({"label": g.label, "code": code, "name": name,
                                  "from": [m.code for m in members]})
    rec.new_unit_of = {str(k): v for k, v in new_of.items()}
    _checkpoint("units")

    # 2. lineage with the legal basis
    for g in plan.groups:
        if g.is_merger:
            nid = new_of[g.unit_ids[0]]
            rec.events.append(repo.add_lineage(conn, EventKind.MERGE, effective, basis,
                                               [(u, nid, False, True) for u in g.unit_ids]))
    for uid in rec.renamed:
        rec.events.append(repo.add_lineage(conn, EventKind.RENAME, effective, basis, [(uid, uid, False, True)]))
    summary.lineage_events = len(rec.events)
    _checkpoint("lineage")

    # 3. adjacency of the new units, from the old ones
    summary.adjacency_pairs = _move_adjacency(conn, rec, new_of, effective)
    _checkpoint("adjacency")

    # 4. households (their address names the new group)
    summary.households_moved = _move_households(conn, rec, new_of, set(rec.renamed), effective)
    _checkpoint("households")

    # 5. title holdings: the new groups' as decided (else awaiting a decision), then the commune's own
    assert plan.id is not None
    decisions = _staffing_decisions(conn, plan.id) or []
    moved, awaiting = _move_holdings(conn, rec, plan, new_of, effective, basis, decisions)
    summary.holdings_moved = moved
    summary.holdings_awaiting_decision = len(awaiting)
    _checkpoint("holdings")
    summary.commune_holdings_closed, summary.commune_holdings_added = _apply_commune_decisions(
        conn, rec, decisions, effective, basis)
    _checkpoint("commune_holdings")

    plan_store.set_status(conn, plan, PlanStatus.APPLIED)
    app_id = int(conn.execute(insert(merge_application).values(  # type: ignore[index]
        plan_id=plan.id, effective_date=effective, doc_number=basis.document_number, doc_date=basis.document_date,
        issuer=basis.issuer, status="applied", applied_at=_now(), record=rec.to_json(),
        summary=json.dumps({k: v for k, v in summary.as_dict().items() if k not in ("awaiting", "effective")},
                           ensure_ascii=False, default=str),
    )).inserted_primary_key[0])
    if awaiting:
        conn.execute(insert(merge_pending_title), [{**a, "application_id": app_id, "resolved": False}
                                                   for a in awaiting])
    summary.awaiting = awaiting
    summary.application_id = app_id
    _checkpoint("done")
    return summary


def _version_values(u: Unit) -> dict[str, Any]:
    return {"level": u.level.value, "code": u.code, "name": u.name, "kind": u.kind.value, "parent_id": u.parent_id,
            "households": u.households, "population": u.population, "area_km2": u.area_km2, "lat": u.lat,
            "lon": u.lon, "geometry": u.geometry, "region": u.region.value if u.region else None,
            "province_code": u.province_code, "mountainous": u.mountainous, "border": u.border, "island": u.island,
            "urban": u.urban, "commune_class": u.commune_class, "security_key": u.security_key}


def _close_version(conn: Connection, rec: Record, u: Unit, on: dt.date) -> None:
    assert u.version_id is not None
    rec.versions_closed.append((u.version_id, _date_text(u.valid_to)))
    conn.execute(update(UV).where(UV.c.id == u.version_id).values(valid_to=on))


def _new_version(conn: Connection, rec: Record, u: Unit, on: dt.date, *, name: str, code: str) -> None:
    _close_version(conn, rec, u, on)
    values = {**_version_values(u), "name": name, "code": code}
    rec.versions_inserted.append(repo.insert_version(conn, u.id, valid_from=on, valid_to=u.valid_to, **values))


def _create_group_unit(conn: Connection, rec: Record, members: list[Unit], parent: int | None, code: str,
                       name: str, on: dt.date) -> int:
    lead = max(members, key=lambda u: (u.households or 0, -u.id))

    def total(attr: str) -> Any:
        vals = [getattr(m, attr) for m in members]
        return None if any(v is None for v in vals) else sum(vals)

    lats = [m.lat for m in members if m.lat is not None]
    lons = [m.lon for m in members if m.lon is not None]
    values = {**_version_values(lead), "code": code, "name": name, "parent_id": parent,
              "households": total("households"), "population": total("population"), "area_km2": total("area_km2"),
              "lat": round(sum(lats) / len(lats), 6) if lats else None,
              "lon": round(sum(lons) / len(lons), 6) if lons else None, "geometry": None,
              "mountainous": any(m.mountainous for m in members), "border": any(m.border for m in members),
              "island": any(m.island for m in members), "security_key": any(m.security_key for m in members)}
    uid = repo.insert_unit(conn, Level.RESIDENTIAL_GROUP, None)
    rec.units_created.append(uid)
    rec.versions_inserted.append(repo.insert_version(conn, uid, valid_from=on, valid_to=None, **values))
    return uid


def _move_adjacency(conn: Connection, rec: Record, new_of: dict[int, int], on: dt.date) -> int:
    if not new_of:
        return 0
    olds = list(new_of)
    rows: list[Any] = []
    for i in range(0, len(olds), 900):
        chunk = olds[i:i + 900]
        rows += conn.execute(select(ADJ).where(repo.in_force_clause(ADJ, on),
                                               or_(ADJ.c.a_id.in_(chunk), ADJ.c.b_id.in_(chunk)))).all()
    pairs: set[tuple[int, int]] = set()
    seen_rows: set[int] = set()
    for r in rows:
        if r.id in seen_rows:
            continue
        seen_rows.add(r.id)
        if r.valid_from is not None and r.valid_from >= on:
            raise BadInput("có quan hệ tiếp giáp bắt đầu từ ngày hiệu lực trở đi; chọn ngày khác", field="--effective")
        rec.adjacency_closed.append((int(r.id), _date_text(r.valid_to)))
        conn.execute(update(ADJ).where(ADJ.c.id == r.id).values(valid_to=on))
        a, b = new_of.get(r.a_id, r.a_id), new_of.get(r.b_id, r.b_id)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    if pairs:
        ids = conn.execute(insert(ADJ).returning(ADJ.c.id, sort_by_parameter_order=True),
                           [{"a_id": a, "b_id": b, "valid_from": on, "valid_to": None} for a, b in sorted(pairs)])
        rec.adjacency_inserted += [int(x[0]) for x in ids]
    return len(pairs)


def _address_converter(conn: Connection, on: dt.date) -> Any:
    from tinhgon.execute.address import Converter

    return Converter.from_connection(conn, on)


def _new_address(conv: Any, old: str | None, new_unit: int, on: dt.date) -> str:
    """The household's address naming its new group: converted from the old text when it can be read,
    else written from the registry (group, commune, [district], province)."""
    snap = conv.snap
    if old:
        r = conv.convert(old, None)
        if r.status in ("converted", "unchanged") and r.group and any(
                n["code"] == (snap.at(new_unit, on).code if snap.at(new_unit, on) else None) for n in r.group["new"]):
            return str(r.new_address)
    parts = []
    v = snap.at(new_unit, on)
    while v is not None:
        parts.append(v.name)
        v = snap.at(v.parent_id, on) if v.parent_id is not None else None
    return ", ".join(parts)


def _move_households(conn: Connection, rec: Record, new_of: dict[int, int], renamed: set[int], on: dt.date) -> int:
    targets = {**new_of, **{u: u for u in renamed}}
    if not targets:
        return 0
    rows: list[Any] = []
    olds = list(targets)
    for i in range(0, len(olds), 900):
        rows += conn.execute(select(RES).where(repo.in_force_clause(RES, on), RES.c.unit_id.in_(olds[i:i + 900]))
                             .order_by(RES.c.id)).all()
    if not rows:
        return 0
    if any(r.valid_from is not None and r.valid_from >= on for r in rows):
        raise BadInput("có hộ bắt đầu cư trú từ ngày hiệu lực trở đi trong tổ bị sáp nhập; chọn ngày khác",
                       field="--effective")
    conv = _address_converter(conn, on)
    new_rows = []
    for r in rows:
        rec.residences_closed.append((int(r.id), _date_text(r.valid_to)))
        new_rows.append({"household_id": r.household_id, "unit_id": targets[r.unit_id], "members": r.members,
                         "address": _new_address(conv, r.address, targets[r.unit_id], on),
                         "valid_from": on, "valid_to": r.valid_to})
    ids = [int(r.id) for r in rows]
    for i in range(0, len(ids), 900):
        conn.execute(update(RES).where(RES.c.id.in_(ids[i:i + 900])).values(valid_to=on))
    for i in range(0, len(new_rows), 2000):
        got = conn.execute(insert(RES).returning(RES.c.id, sort_by_parameter_order=True), new_rows[i:i + 2000])
        rec.residences_inserted += [int(x[0]) for x in got]
    return len(rows)


def _staffing_decisions(conn: Connection, plan_id: int) -> list[Any] | None:
    """The colleague's staffing decisions for the plan, or None when the staffing domain is absent."""
    try:
        from tinhgon.staffing.service import decisions_for_plan
    except ImportError:
        return None
    return decisions_for_plan(conn, plan_id)


def _move_holdings(conn: Connection, rec: Record, plan: Plan, new_of: dict[int, int], on: dt.date,
                   basis: LegalBasis, decisions: Sequence[Any]) -> tuple[int, list[dict[str, Any]]]:
    if not new_of:
        return 0, []
    olds = list(new_of)
    rows: list[Any] = []
    for i in range(0, len(olds), 900):
        rows += conn.execute(select(HOLD).where(repo.in_force_clause(HOLD, on), HOLD.c.unit_id.in_(olds[i:i + 900]))
                             .order_by(HOLD.c.id)).all()
    label_unit = {g.label: new_of[g.unit_ids[0]] for g in plan.groups if g.is_merger}
    decided_units = {label_unit[d.group_label] for d in decisions
                     if d.scope.value == "group" and d.group_label in label_unit}
    for r in rows:
        if r.valid_from is not None and r.valid_from >= on:
            raise BadInput("có chức danh bắt đầu từ ngày hiệu lực trở đi ở tổ bị sáp nhập; chọn ngày khác",
                           field="--effective")
        rec.holdings_closed.append((int(r.id), _date_text(r.valid_to)))
    ids = [int(r.id) for r in rows]
    for i in range(0, len(ids), 900):
        conn.execute(update(HOLD).where(HOLD.c.id.in_(ids[i:i + 900])).values(valid_to=on))
    new_rows = [{"person_id": d.person_id, "title_code": d.title_code, "unit_id": label_unit[d.group_label],
                 "concurrent": bool(d.concurrent), "valid_from": on, "valid_to": None,
                 "decision": basis.document_number}
                for d in decisions if d.scope.value == "group" and d.group_label in label_unit
                and d.person_id is not None]
    if new_rows:
        got = conn.execute(insert(HOLD).returning(HOLD.c.id, sort_by_parameter_order=True), new_rows)
        rec.holdings_inserted += [int(x[0]) for x in got]
    awaiting = [{"holding_id": int(r.id), "person_id": int(r.person_id), "title_code": r.title_code,
                 "old_unit_id": int(r.unit_id), "new_unit_id": new_of[r.unit_id], "concurrent": bool(r.concurrent)}
                for r in rows if new_of[r.unit_id] not in decided_units]
    return len(new_rows), awaiting


def _apply_commune_decisions(conn: Connection, rec: Record, decisions: Sequence[Any], on: dt.date,
                             basis: LegalBasis) -> tuple[int, int]:
    """Set the commune-level titles the staffing decisions cover as they say, from ON: a holding that a
    decision keeps (same person, title and concurrency) stays; any other holding of a decided title ends
    on ON; a decided holder who does not hold it so yet is given it from ON (a person now holding it as a
    concurrent title gets a new holding). Titles no decision covers are left alone. Every row closed or
    inserted goes into the record, so undo reverses it exactly. Returns (closed, added)."""
    by_commune: dict[int, list[Any]] = defaultdict(list)
    for d in decisions:
        if d.scope.value == "commune" and d.commune_unit_id is not None:
            by_commune[int(d.commune_unit_id)].append(d)
    if not by_commune:
        return 0, 0
    rows = conn.execute(select(HOLD).where(repo.in_force_clause(HOLD, on), HOLD.c.unit_id.in_(list(by_commune)))
                        .order_by(HOLD.c.id)).all()
    closed: list[Any] = []
    new_rows: list[dict[str, Any]] = []
    for cid, ds in sorted(by_commune.items()):
        titles = {d.title_code for d in ds}
        wanted = {(int(d.person_id), d.title_code, bool(d.concurrent)) for d in ds if d.person_id is not None}
        kept: set[tuple[int, str, bool]] = set()
        for r in rows:
            if r.unit_id != cid or r.title_code not in titles:
                continue
            key = (int(r.person_id), r.title_code, bool(r.concurrent))
            if key in wanted and key not in kept:
                kept.add(key)
                continue
            if r.valid_from is not None and r.valid_from >= on:
                raise BadInput(f"có chức danh cấp xã ({r.title_code}) bắt đầu từ ngày {r.valid_from:%d/%m/%Y}, "
                               f"không trước ngày {on:%d/%m/%Y}; chọn ngày khác", field="--effective")
            closed.append(r)
        new_rows += [{"person_id": p, "title_code": t, "unit_id": cid, "concurrent": c, "valid_from": on,
                      "valid_to": None, "decision": basis.document_number}
                     for p, t, c in sorted(wanted - kept)]
    for r in closed:
        rec.holdings_closed.append((int(r.id), _date_text(r.valid_to)))
    ids = [int(r.id) for r in closed]
    for i in range(0, len(ids), 900):
        conn.execute(update(HOLD).where(HOLD.c.id.in_(ids[i:i + 900])).values(valid_to=on))
    if new_rows:
        got = conn.execute(insert(HOLD).returning(HOLD.c.id, sort_by_parameter_order=True), new_rows)
        rec.holdings_inserted += [int(x[0]) for x in got]
    return len(closed), len(new_rows)


@dataclass
class Settlement:
    """What a staffing decision taken after a merger changed."""

    plan: str
    start: dt.date
    decision: str | None
    resolved: int = 0              # titles that awaited a decision, now settled
    kept: int = 0                  # ... of which the person holds a title in the new unit
    released: int = 0              # ... of which the person holds none there
    holdings_added: int = 0        # titles given in the new groups
    commune_holdings_closed: int = 0
    commune_holdings_added: int = 0
    still_pending: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def apply_staffing_decisions(conn: Connection, plan_name: str, basis: LegalBasis, *, by: str | None,
                             start: dt.date | None = None) -> Settlement:
    """Carry out the plan's stored staffing decisions on a merger already applied (the decisions came
    after it): each new group that had titles awaiting a decision gets its holders from START (default:
    the merger's effective date), the commune's decided titles are set as decided from START, and every
    awaiting title of those groups is marked resolved (kept or released) with who, when and which
    decision. The rows written go into the application's record: undoing the merger reverses them too."""
    from tinhgon.staffing.model import Scope

    plan = plan_store.load_plan(conn, plan_name)
    app = _application(conn, plan)
    start = start or app.effective_date
    if start < app.effective_date:
        raise BadInput(f"ngày bắt đầu {start:%d/%m/%Y} trước ngày hiệu lực của việc sáp nhập "
                       f"({app.effective_date:%d/%m/%Y})", field="--from")
    assert plan.id is not None
    decisions = _staffing_decisions(conn, plan.id) or []
    if not decisions:
        raise BadInput(f"phương án {plan.name!r} chưa có quyết định bố trí; chạy trước: tinhgon staffing propose "
                       f"--plan {plan.name!r}", field="--plan")
    rec = Record.from_json(app.record)
    new_of = {int(k): v for k, v in rec.new_unit_of.items()}
    label_unit = {g.label: new_of[g.unit_ids[0]] for g in plan.groups if g.is_merger and g.unit_ids[0] in new_of}
    P = merge_pending_title
    pending = conn.execute(select(P).where(P.c.application_id == app.id, P.c.resolved.is_(False))
                           .order_by(P.c.id)).all()
    group_decisions = [d for d in decisions if d.scope == Scope.GROUP and d.group_label in label_unit]
    settle_units = {p.new_unit_id for p in pending} & {label_unit[d.group_label] for d in group_decisions}
    out = Settlement(plan=plan.name, start=start, decision=basis.document_number)

    # the new groups' holders, as decided (a holding already there is not given twice)
    wanted = [d for d in group_decisions if label_unit[d.group_label] in settle_units and d.person_id is not None]
    existing = {(int(r.person_id), r.title_code, int(r.unit_id)): int(r.id) for r in conn.execute(
        select(HOLD).where(repo.in_force_clause(HOLD, start), HOLD.c.unit_id.in_(list(settle_units) or [-1])))}
    new_rows = [{"person_id": d.person_id, "title_code": d.title_code, "unit_id": label_unit[d.group_label],
                 "concurrent": bool(d.concurrent), "valid_from": start, "valid_to": None,
                 "decision": basis.document_number}
                for d in wanted if (d.person_id, d.title_code, label_unit[d.group_label]) not in existing]
    given = dict(existing)
    if new_rows:
        got = conn.execute(insert(HOLD).returning(HOLD.c.id, sort_by_parameter_order=True), new_rows)
        ids = [int(x[0]) for x in got]
        rec.holdings_inserted += ids
        given.update({(r["person_id"], r["title_code"], r["unit_id"]): hid for r, hid in zip(new_rows, ids,
                                                                                               strict=True)})
    out.holdings_added = len(new_rows)
    main = {(int(d.person_id), label_unit[d.group_label]): d.title_code for d in wanted if not d.concurrent}
    _checkpoint("settle_groups")

    out.commune_holdings_closed, out.commune_holdings_added = _apply_commune_decisions(
        conn, rec, decisions, start, basis)
    _checkpoint("settle_commune")

    now = _now()
    for p in pending:
        if p.new_unit_id not in settle_units:
            continue
        person, unit = int(p.person_id), int(p.new_unit_id)
        # the holding that settles it: the same title if the person kept it, else their main title there
        hid = given.get((person, p.title_code, unit))
        if hid is None and (person, unit) in main:
            hid = given.get((person, main[(person, unit)], unit))
        if hid is None:
            hid = next((h for (pp, _t, u), h in sorted(given.items()) if pp == person and u == unit), None)
        conn.execute(update(P).where(P.c.id == p.id).values(
            resolved=True, resolution="kept" if hid is not None else "released", resolved_holding_id=hid,
            resolved_at=now, resolved_by=by, resolved_decision=basis.document_number,
            resolved_decision_date=basis.document_date))
        out.resolved += 1
        out.kept += hid is not None
        out.released += hid is None
    out.still_pending = len(pending) - out.resolved
    if not (out.resolved or out.holdings_added or out.commune_holdings_closed or out.commune_holdings_added):
        raise BadInput(f"không có gì để thực hiện: {len(pending)} chức danh chờ quyết định nhưng các quyết định "
                       "đã lưu không bố trí cho tổ nào của chúng, và chức danh cấp xã đã đúng như quyết định",
                       field="--plan")
    conn.execute(update(merge_application).where(merge_application.c.id == app.id).values(record=rec.to_json()))
    _checkpoint("settled")
    return out


# --- undo and finalise --------------------------------------------------------------------------------

def _application(conn: Connection, plan: Plan) -> Any:
    assert plan.id is not None
    row = active_application(conn, plan.id)
    if row is None:
        raise BadInput(f"phương án {plan.name!r} chưa được thực hiện", field="--plan")
    return row


def undo_application(conn: Connection, plan_name: str) -> dict[str, int]:
    """Put back exactly what the application changed; refused once finalised or when later changes
    build on the new units (undo those first)."""
    plan = plan_store.load_plan(conn, plan_name)
    app = _application(conn, plan)
    if app.status != "applied":
        raise BadInput(f"phương án {plan.name!r} đã được chốt; không hoàn tác được", field="--plan")
    rec = Record.from_json(app.record)
    created = rec.units_created
    L = s.lineage_link
    if created:
        later = conn.execute(select(L.c.id).where(L.c.from_unit_id.in_(created),
                                                  L.c.event_id.not_in(rec.events or [-1]))).first()
        changed = conn.execute(select(UV.c.id).where(UV.c.id.in_(rec.versions_inserted),
                                                     UV.c.valid_to.is_not(None))).first()
        if later is not None or changed is not None:
            raise BadInput("các tổ mới đã có thay đổi sau đó (sáp nhập, đổi tên); hoàn tác thay đổi sau trước",
                           field="--plan")
        other = conn.execute(select(s.plan.c.name).join(s.plan_member, s.plan_member.c.plan_id == s.plan.c.id)
                             .where(s.plan_member.c.unit_id.in_(created), s.plan.c.id != plan.id)).first()
        if other is not None:
            raise BadInput(f"phương án {other.name!r} dùng các tổ mới của lần thực hiện này; xóa hoặc sửa phương án "
                           "đó trước khi hoàn tác", field="--plan")
    conn.execute(delete(merge_pending_title).where(merge_pending_title.c.application_id == app.id))
    _delete_ids(conn, L, L.c.event_id, rec.events)
    _delete_ids(conn, s.lineage_event, s.lineage_event.c.id, rec.events)
    _delete_ids(conn, ADJ, ADJ.c.id, rec.adjacency_inserted)
    _delete_ids(conn, HOLD, HOLD.c.id, rec.holdings_inserted)
    _delete_ids(conn, RES, RES.c.id, rec.residences_inserted)
    _delete_ids(conn, UV, UV.c.id, rec.versions_inserted)
    try:
        _delete_ids(conn, s.unit, s.unit.c.id, created)
    except IntegrityError as exc:
        raise BadInput("các tổ mới đã được dùng ở nơi khác (nhân sự, lấy ý kiến, hồ sơ...); gỡ các tham chiếu đó "
                       "trước khi hoàn tác", field="--plan") from exc
    for table, closed in ((UV, rec.versions_closed), (RES, rec.residences_closed), (HOLD, rec.holdings_closed),
                          (ADJ, rec.adjacency_closed)):
        by_end: dict[str | None, list[int]] = defaultdict(list)
        for rid, end in closed:
            by_end[end].append(rid)
        for end, ids in by_end.items():
            for i in range(0, len(ids), 900):
                conn.execute(update(table).where(table.c.id.in_(ids[i:i + 900])).values(valid_to=_parse_date(end)))
    conn.execute(update(merge_application).where(merge_application.c.id == app.id)
                 .values(status="undone", undone_at=_now()))
    plan_store.set_status(conn, plan, PlanStatus.APPROVED)
    return {"units_removed": len(created), "households_restored": len(rec.residences_closed),
            "holdings_restored": len(rec.holdings_closed), "events_removed": len(rec.events)}


def _delete_ids(conn: Connection, table: Any, col: Any, ids: Iterable[int]) -> None:
    ids = list(ids)
    for i in range(0, len(ids), 900):
        conn.execute(delete(table).where(col.in_(ids[i:i + 900])))


def finalise(conn: Connection, plan_name: str) -> None:
    plan = plan_store.load_plan(conn, plan_name)
    app = _application(conn, plan)
    if app.status == "finalised":
        return
    conn.execute(update(merge_application).where(merge_application.c.id == app.id)
                 .values(status="finalised", finalised_at=_now()))


def application_info(conn: Connection, plan_name: str) -> dict[str, Any]:
    plan = plan_store.load_plan(conn, plan_name)
    assert plan.id is not None
    A = merge_application
    rows = conn.execute(select(A).where(A.c.plan_id == plan.id).order_by(A.c.id)).all()
    return {"plan": plan.name, "status": plan.status.value,
            "applications": [{"id": r.id, "effective_date": r.effective_date, "status": r.status,
                              "decision": r.doc_number, "decision_date": r.doc_date, "issuer": r.issuer,
                              "applied_at": r.applied_at, "finalised_at": r.finalised_at, "undone_at": r.undone_at,
                              "summary": json.loads(r.summary or "{}"),
                              "pending": pending_titles(conn, int(r.id))} for r in rows]}


def pending_titles(conn: Connection, application_id: int) -> list[dict[str, Any]]:
    """The titles an application closed without a staffing decision, and how each was settled since
    (codes only: the person's code, not their name)."""
    P = merge_pending_title
    rows = conn.execute(select(P, s.person.c.code.label("person_code"))
                        .join(s.person, s.person.c.id == P.c.person_id)
                        .where(P.c.application_id == application_id).order_by(P.c.id)).all()
    if not rows:
        return []
    ids = {r.old_unit_id for r in rows} | {r.new_unit_id for r in rows}
    code = {int(r.unit_id): r.code for r in conn.execute(
        select(UV.c.unit_id, UV.c.code).where(UV.c.unit_id.in_(ids)).order_by(UV.c.id))}  # the latest code
    return [{"person_code": r.person_code, "title_code": r.title_code, "concurrent": bool(r.concurrent),
             "old_unit_code": code.get(r.old_unit_id, ""), "new_unit_code": code.get(r.new_unit_id, ""),
             "resolved": bool(r.resolved), "resolution": r.resolution, "resolved_at": r.resolved_at,
             "resolved_by": r.resolved_by, "decision": r.resolved_decision,
             "decision_date": r.resolved_decision_date} for r in rows]


# --- lineage both ways --------------------------------------------------------------------------------

def became(conn: Connection, unit_id: int) -> list[tuple[int, dt.date, int]]:
    """Every unit UNIT_ID went into, transitively: (unit id, effective date, step)."""
    return _walk(conn, unit_id, repo.successors)


def made_of(conn: Connection, unit_id: int) -> list[tuple[int, dt.date, int]]:
    """Every unit UNIT_ID was made from, transitively."""
    return _walk(conn, unit_id, repo.predecessors)


def _walk(conn: Connection, start: int, step: Any) -> list[tuple[int, dt.date, int]]:
    out: list[tuple[int, dt.date, int]] = []
    seen = {start}
    frontier = [(start, 0)]
    while frontier:
        nxt = []
        for uid, depth in frontier:
            for other, _partial, day in step(conn, uid):
                if other not in seen:
                    seen.add(other)
                    out.append((other, day, depth + 1))
                    nxt.append((other, depth + 1))
        frontier = nxt
    return out


# --- address changes for police and civil-status offices ----------------------------------------------

def address_changes(conn: Connection, plan_name: str) -> list[dict[str, Any]]:
    """Per household whose address changed: old group, old address, new group, new address."""
    plan = plan_store.load_plan(conn, plan_name)
    app = _application(conn, plan)
    rec = Record.from_json(app.record)
    old_ids = [rid for rid, _ in rec.residences_closed]
    new_ids = rec.residences_inserted
    H = s.household
    old_rows: dict[int, Any] = {}
    for i in range(0, len(old_ids), 900):
        for r in conn.execute(select(RES, H.c.code).join(H, H.c.id == RES.c.household_id)
                              .where(RES.c.id.in_(old_ids[i:i + 900]))):
            old_rows[r.household_id] = r
    new_rows: dict[int, Any] = {}
    for i in range(0, len(new_ids), 900):
        for r in conn.execute(select(RES).where(RES.c.id.in_(new_ids[i:i + 900]))):
            new_rows[r.household_id] = r
    day_before = app.effective_date - dt.timedelta(days=1)
    unit_ids = {r.unit_id for r in old_rows.values()} | {r.unit_id for r in new_rows.values()}
    names = {u.id: u for u in repo.units_at(conn, day_before, unit_ids=unit_ids)}
    names.update({u.id: u for u in repo.units_at(conn, app.effective_date, unit_ids=unit_ids)
                  if u.id not in names or u.id in set(rec.units_created)})
    after = {u.id: u for u in repo.units_at(conn, app.effective_date, unit_ids=unit_ids)}
    out = []
    for hid, old in sorted(old_rows.items(), key=lambda kv: (kv[1].unit_id, kv[1].code)):
        new = new_rows.get(hid)
        if new is None or ((new.address or "") == (old.address or "") and new.unit_id == old.unit_id):
            continue
        ou, nu = names.get(old.unit_id), after.get(new.unit_id)
        out.append({"old_unit_id": old.unit_id, "old_unit_code": ou.code if ou else "",
                    "old_unit_name": ou.name if ou else "", "household_code": old.code,
                    "old_address": old.address or "", "new_unit_code": nu.code if nu else "",
                    "new_unit_name": nu.name if nu else "", "new_address": new.address or "",
                    "effective_date": app.effective_date, "decision": app.doc_number or ""})
    return out


def write_address_changes_xlsx(rows: list[dict[str, Any]], path: Any, plan_name: str) -> int:
    """One sheet per old unit (and a summary sheet), Vietnamese headers; text cells never run as formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from tinhgon.io.templates import inert_csv_text

    wb = Workbook()
    summary = wb.active
    summary.title = "Tổng hợp"
    bold = Font(bold=True)
    summary.append(["Danh sách hộ thay đổi địa chỉ do sáp nhập tổ dân phố"])
    summary["A1"].font = bold
    summary.append(["Phương án", inert_csv_text(plan_name)])
    summary.append([])
    summary.append(["Mã tổ cũ", "Tên tổ cũ", "Số hộ thay đổi địa chỉ", "Tên trang"])
    for c in summary[4]:
        c.font = bold
    by_unit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_unit[r["old_unit_id"]].append(r)
    headers = ["STT", "Mã hộ", "Địa chỉ cũ", "Tổ dân phố cũ", "Địa chỉ mới", "Tổ dân phố mới", "Ngày hiệu lực",
               "Quyết định"]
    used: set[str] = {"Tổng hợp"}
    for uid, items in sorted(by_unit.items(), key=lambda kv: kv[1][0]["old_unit_code"]):
        first = items[0]
        title = re.sub(r"[\[\]\*\?/\\:]", "-", first["old_unit_code"] or str(uid))[:31]
        base, n = title, 2
        while title in used:
            title = f"{base[:28]}-{n}"
            n += 1
        used.add(title)
        summary.append([inert_csv_text(first["old_unit_code"]), inert_csv_text(first["old_unit_name"]), len(items),
                        title])
        ws = wb.create_sheet(title)
        ws.append([f"Tổ cũ: {first['old_unit_name']} (mã {first['old_unit_code']})"])
        ws["A1"].font = bold
        ws.append(headers)
        for c in ws[2]:
            c.font = bold
        for i, r in enumerate(items, start=1):
            ws.append([i, inert_csv_text(r["household_code"]), inert_csv_text(r["old_address"]),
                       inert_csv_text(r["old_unit_name"]), inert_csv_text(r["new_address"]),
                       inert_csv_text(r["new_unit_name"]), r["effective_date"].strftime("%d/%m/%Y"),
                       inert_csv_text(r["decision"])])
        for col, width in zip("ABCDEFGH", (6, 18, 60, 24, 60, 28, 14, 20), strict=True):
            ws.column_dimensions[col].width = width
    for col, width in zip("ABCD", (14, 30, 22, 14), strict=True):
        summary.column_dimensions[col].width = width
    wb.save(path)
    return len(rows)


# --- importing an external plan -----------------------------------------------------------------------

@dataclass
class ImportRow:
    row: int
    old_code: str
    new_code: str
    new_name: str


def import_plan(conn: Connection, rows: list[ImportRow], *, name: str, effective: dt.date, file: str = "",
                naming: str | None = None, created_by: str | None = None) -> Plan:
    """Store a People's Council resolution (old code → new group) as a draft plan, checked like our own:
    every code exists on the day before the effective date, a group's units share one parent, and the
    units of a group are connected when adjacency is recorded for them."""
    import networkx as nx

    if not rows:
        raise BadInput("tệp không có dòng nào", file=file)
    day = effective - dt.timedelta(days=1)
    groups: dict[str, list[ImportRow]] = defaultdict(list)
    seen: dict[str, int] = {}
    for r in rows:
        if not r.old_code:
            raise BadInput("thiếu mã tổ cũ", file=file, row=r.row, field="old_code")
        if r.old_code in seen:
            raise BadInput(f"mã {r.old_code!r} đã có ở dòng {seen[r.old_code]}", file=file, row=r.row,
                           field="old_code")
        seen[r.old_code] = r.row
        label = r.new_code or r.new_name
        if not label:
            raise BadInput("cần new_code hoặc new_name để biết tổ mới", file=file, row=r.row, field="new_code")
        groups[label].append(r)
    unit_of: dict[str, Unit] = {}
    for r in rows:
        found = repo.units_at(conn, day, level=Level.RESIDENTIAL_GROUP, code=r.old_code)
        if not found:
            raise BadInput(f"không có thôn/tổ dân phố mã {r.old_code!r} vào ngày {day:%d/%m/%Y}", file=file,
                           row=r.row, field="old_code")
        unit_of[r.old_code] = found[0]
    plan_groups: list[PlanGroup] = []
    sizes = _sizes(conn, day, [u.id for u in unit_of.values()])
    for label, items in groups.items():
        us = [unit_of[r.old_code] for r in items]
        parents = {u.parent_id for u in us}
        if len(parents) != 1:
            raise BadInput(f"tổ mới {label!r} gộp các tổ thuộc nhiều đơn vị cấp xã khác nhau", file=file,
                           row=items[0].row, field="new_code")
        names = {r.new_name for r in items if r.new_name}
        codes = {r.new_code for r in items if r.new_code}
        if len(names) > 1:
            raise BadInput(f"tổ mới {label!r} có nhiều tên: {', '.join(sorted(names))}", file=file,
                           row=items[0].row, field="new_name")
        ids = [u.id for u in us]
        if len(ids) > 1:
            pairs = repo.adjacency_at(conn, day, ids)
            known = pairs or conn.execute(select(ADJ.c.id).where(
                repo.in_force_clause(ADJ, day), or_(ADJ.c.a_id.in_(ids), ADJ.c.b_id.in_(ids)))).first()
            if known:  # adjacency is recorded for these units: the new group must be in one piece
                g = nx.Graph()
                g.add_nodes_from(ids)
                g.add_edges_from(pairs)
                if not nx.is_connected(g):
                    parts = [sorted(unit_of_id.code for unit_of_id in us if unit_of_id.id in comp)
                             for comp in nx.connected_components(g)]
                    raise BadInput(f"tổ mới {label!r} không liền kề: {' | '.join(', '.join(p) for p in parts)}",
                                   file=file, row=items[0].row, field="old_code")
        plan_groups.append(PlanGroup(label=label[:60], parent_unit_id=parents.pop(), unit_ids=ids,
                                     households=sum(sizes.get(i, 0) for i in ids),
                                     new_name=names.pop() if names else None,
                                     new_code=codes.pop() if codes else None))
    parents = {g.parent_unit_id for g in plan_groups}
    only = parents.pop() if len(parents) == 1 else None
    scope = only if only is not None else _common_ancestor(conn, [g.parent_unit_id for g in plan_groups], day)
    plan = Plan(name=name, scope_unit_id=scope, at=day, groups=plan_groups, mode="imported",
                params={"source": file, "effective": effective.isoformat()},
                metrics={"groups": len(plan_groups), "mergers": sum(1 for g in plan_groups if g.is_merger)})
    plan_store.save_plan(conn, plan, created_by=created_by)
    if naming:
        names_by_rule = propose_names(conn, plan, day, naming)
        if names_by_rule:
            set_names(conn, plan, names_by_rule)
    return plan


def _common_ancestor(conn: Connection, unit_ids: list[int | None], on: dt.date) -> int:
    chains = []
    for uid in unit_ids:
        if uid is None:
            raise BadInput("một tổ không thuộc đơn vị cấp xã nào")
        u = repo.unit_at(conn, uid, on)
        if u is None:
            raise Failure(f"đơn vị {uid} không có hiệu lực ngày {on:%d/%m/%Y}")
        chains.append([uid] + [a.id for a in repo.ancestors(conn, u, on)])
    common = set(chains[0]).intersection(*chains[1:])
    for uid in chains[0]:
        if uid in common:
            return uid
    raise BadInput("các tổ trong tệp không có đơn vị cấp trên chung")
