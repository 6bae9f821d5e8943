"""Use cases of consultations and group-head elections. Every function takes a Connection and works
inside the caller's transaction (the unit of work); a BadInput raised here means nothing is written
once the caller rolls back.

Concurrency: every entry first bumps its round's ``entries`` counter WHERE the round is open. That is
a write lock on the round row: closing a round (an UPDATE of the same row) waits for entries in
flight and entries after it see the round closed, on PostgreSQL (row lock) and SQLite (one writer).
The UNIQUE constraints of ``ballot`` are the last guard against a double entry.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from tinhgon.consult import tables as t
from tinhgon.consult.model import (
    CUSTOMARY_ELECTION_RULE,
    ApprovalRule,
    Choice,
    Decision,
    Tally,
    UnitCount,
    election_winner,
    fold,
    parse_choice,
)
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput, Failure
from tinhgon.registry import repo
from tinhgon.registry import schema as s
from tinhgon.registry.plans import load_plan

CHUNK = 10_000
HEAD_TITLE = "to_truong"


def _auditlog() -> Any:
    """The registry's change capture, when installed with the summary API; None otherwise."""
    try:
        from tinhgon.reliability import auditlog
    except ImportError:
        return None
    return auditlog if hasattr(auditlog, "suspended") and hasattr(auditlog, "record_system") else None


def _new_id(result: Any) -> int:
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- officials ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Official:
    id: int | None                 # None: a web account (web_user), not a row of ``official``
    username: str
    scope_unit_id: int | None
    role: str


def add_official(conn: Connection, username: str, *, scope_unit_id: int | None, role: str = "counter",
                 full_name: str | None = None) -> int:
    username = username.strip()
    if not username:
        raise BadInput("thiếu tên đăng nhập", field="--username")
    if role not in ("counter", "supervisor", "admin"):
        raise BadInput(f"vai trò không hợp lệ: {role!r} (counter, supervisor, admin)", field="--role")
    if scope_unit_id is None and role != "admin":
        raise BadInput("người nhập phiếu phải có phạm vi (đơn vị) phụ trách", field="--scope")
    if conn.execute(select(t.official.c.id).where(t.official.c.username == username)).first():
        raise BadInput(f"đã có tài khoản {username!r}", field="--username")
    web_user = s.metadata.tables.get("web_user")
    if web_user is not None and conn.execute(select(web_user.c.id).where(web_user.c.username == username)).first():
        raise BadInput(f"{username!r} đã là tài khoản của ứng dụng web; dùng luôn tài khoản đó với --as",
                       field="--username")
    return _new_id(conn.execute(insert(t.official).values(
        username=username, full_name=full_name, scope_unit_id=scope_unit_id, role=role, active=True,
    )))


# The statements of ballot entry and the live tally, built once: during a consultation they run for
# every ballot and every refresh of the tally, and building a SELECT costs more than running it.
_P = bindparam
_OFFICIAL = select(t.official).where(t.official.c.username == _P("name"))
_CONSULTATION = select(t.consultation).where(t.consultation.c.id == _P("cid"))
_LATEST_ROUND = (select(t.consultation_round).where(t.consultation_round.c.consultation_id == _P("cid"))
                 .order_by(t.consultation_round.c.number.desc()).limit(1))
_ROUND_UNITS = (select(t.consultation_round_unit.c.unit_id)
                .where(t.consultation_round_unit.c.round_id == _P("round_id")).order_by(t.consultation_round_unit.c.id))
_LOCK_ROUND = (update(t.consultation_round)
               .where(t.consultation_round.c.id == _P("round_id"), t.consultation_round.c.status == "open")
               .values(entries=t.consultation_round.c.entries + 1))
_VOTER_BY_CODE = select(t.roll_entry).where(t.roll_entry.c.consultation_id == _P("cid"),
                                            t.roll_entry.c.voter_code == _P("code"))
_PRIOR_BALLOT = (select(t.ballot.c.version, t.ballot.c.entered_by, t.ballot.c.entered_at)
                 .where(t.ballot.c.round_id == _P("round_id"), t.ballot.c.roll_entry_id == _P("entry_id"))
                 .order_by(t.ballot.c.version.desc()).limit(1))
_UNIT_IDS = (select(t.consultation_unit.c.unit_id).where(t.consultation_unit.c.consultation_id == _P("cid"))
             .order_by(t.consultation_unit.c.id))
# the round's units with their consultation rows (roll size, group label) beside them, in one query
_ROUND_UNIT_ROWS = (select(t.consultation_round_unit, t.consultation_unit.c.unit_id.label("cu_unit_id"),
                           t.consultation_unit.c.roll_size.label("cu_roll_size"),
                           t.consultation_unit.c.group_label.label("cu_group_label"))
                    .outerjoin(t.consultation_unit,
                               and_(t.consultation_unit.c.consultation_id == _P("cid"),
                                    t.consultation_unit.c.unit_id == t.consultation_round_unit.c.unit_id))
                    .where(t.consultation_round_unit.c.round_id == _P("round_id"))
                    .order_by(t.consultation_round_unit.c.id))
# the consultation and the ids of its units (as text: "3,5,8"), in one query
_CONSULTATION_WITH_UNITS = select(
    t.consultation,
    select(func.aggregate_strings(cast(t.consultation_unit.c.unit_id, String), ","))
    .where(t.consultation_unit.c.consultation_id == t.consultation.c.id).scalar_subquery().label("unit_id_list"),
).where(t.consultation.c.id == _P("cid"))


def _lock_round_stmt(latest: bool) -> Any:
    """The entry's write lock taken on the round it names (the latest, or by number) while it is open,
    returning the round: one statement for what was a SELECT and an UPDATE."""
    CR = t.consultation_round
    which = (select(CR.c.id).where(CR.c.consultation_id == _P("cid")).order_by(CR.c.number.desc()).limit(1)
             if latest else select(CR.c.id).where(CR.c.consultation_id == _P("cid"), CR.c.number == _P("round_number")))
    return (update(CR).where(CR.c.id == which.scalar_subquery(), CR.c.status == "open")
            .values(entries=CR.c.entries + 1).returning(*CR.c))


_LOCK_LATEST, _LOCK_NUMBERED = _lock_round_stmt(True), _lock_round_stmt(False)


def _voter_for_entry() -> Any:
    """A household's roll entry by its code, whether its unit is in the round, and the round's latest
    ballot for it (version, by whom, when), in one query."""
    RE, RU, B = t.roll_entry, t.consultation_round_unit, t.ballot

    def prior(col: Any) -> Any:
        return (select(col).where(B.c.round_id == _P("round_id"), B.c.roll_entry_id == RE.c.id)
                .order_by(B.c.version.desc()).limit(1).scalar_subquery())

    in_round = select(RU.c.id).where(RU.c.round_id == _P("round_id"), RU.c.unit_id == RE.c.unit_id).exists()
    return select(RE, in_round.label("in_round"), prior(B.c.version).label("prior_version"),
                  prior(B.c.entered_by).label("prior_by"), prior(B.c.entered_at).label("prior_at")) \
        .where(RE.c.consultation_id == _P("cid"), RE.c.voter_code == _P("code"))


_VOTER_FOR_ENTRY = _voter_for_entry()
_LIVE_COUNTS = (select(t.ballot.c.unit_id, t.ballot.c.choice, t.ballot.c.candidate_id, func.count())
                .where(t.ballot.c.round_id == _P("round_id"), t.ballot.c.is_current)
                .group_by(t.ballot.c.unit_id, t.ballot.c.choice, t.ballot.c.candidate_id))


_OFFICIAL_OR_WEB: Any = None


def _official_or_web(web_user: Any) -> Any:
    """The official and the web account of one name, in one statement (the official's row first)."""
    global _OFFICIAL_OR_WEB
    if _OFFICIAL_OR_WEB is None:
        off = t.official
        _OFFICIAL_OR_WEB = union_all(
            select(literal_column("0").label("web"), off.c.id, off.c.username, off.c.scope_unit_id, off.c.role,
                   off.c.active).where(off.c.username == _P("name")),
            select(literal_column("1").label("web"), null().label("id"), web_user.c.username,
                   web_user.c.scope_unit_id, web_user.c.role, web_user.c.active)
            .where(web_user.c.username == _P("name")))
    return _OFFICIAL_OR_WEB


def get_official(conn: Connection, username: str) -> Official:
    name = username.strip()
    web_user = s.metadata.tables.get("web_user")
    w: Any = None
    if web_user is None:
        row = conn.execute(_OFFICIAL, {"name": name}).first()
    else:
        both = conn.execute(_official_or_web(web_user), {"name": name}).all()
        row = next((r for r in both if not int(r.web)), None)
        w = next((r for r in both if int(r.web)), None)
    if row is not None and row.active:
        return Official(row.id, row.username, row.scope_unit_id, row.role)
    # the web application's accounts carry a scope too: accept them, a viewer only reads
    if row is None and w is not None and w.active:
        if w.role == "viewer":
            raise BadInput(f"tài khoản {name!r} chỉ được xem, không được nhập phiếu", field="--as")
        return Official(None, w.username, w.scope_unit_id, f"web:{w.role}")
    raise BadInput(f"không có tài khoản cán bộ {username!r} (tạo bằng: tinhgon consult official-add)",
                   field="--as")


def _scope_walk() -> Any:
    """The units among :ids with :scope at most 6 levels above them on :on (the ids of the start units)."""
    UV = s.unit_version
    up = (select(UV.c.unit_id.label("start"), UV.c.parent_id.label("unit_id"), literal_column("1", Integer)
                 .label("depth"))
          .where(repo.in_force_param(UV), UV.c.unit_id.in_(_P("ids", expanding=True)))
          .cte("up", recursive=True))
    up = up.union_all(select(up.c.start, UV.c.parent_id, up.c.depth + 1)
                      .where(UV.c.unit_id == up.c.unit_id, repo.in_force_param(UV), UV.c.parent_id.is_not(None),
                             up.c.depth < 6))
    return select(up.c.start).where(up.c.unit_id == _P("scope")).distinct()


_SCOPE_WALK = _scope_walk()


def _allowed_units(conn: Connection, official: Official, unit_ids: Iterable[int], on: dt.date) -> set[int]:
    """The units among UNIT_IDS that lie in the official's scope (the scope unit or under it) on ON."""
    ids = set(unit_ids)
    if official.role == "admin" and official.scope_unit_id is None:
        return ids
    scope = official.scope_unit_id
    allowed = {u for u in ids if u == scope}
    # walk up from every unit at once, every level in one query (six at most, as the tree has four)
    rest = list(ids - allowed)
    if rest:
        allowed.update(int(r[0]) for r in conn.execute(_SCOPE_WALK, {"on": on, "ids": rest, "scope": scope}))
    return allowed


# --- creating a consultation ----------------------------------------------------------------------

def _rule_from_book(level: str, on: dt.date, province_code: str | None, book: Any = None) -> ApprovalRule:
    from tinhgon.rules.book import RuleBook

    book = book or RuleBook.load_default()
    ans = book.consultation(level, on, province_code)
    ref = ans.refs[0]
    return ApprovalRule(rule_id=ref.rule_id, citation=ref.cite(), tag=ref.tag, basis=ans.basis,
                        threshold=Decimal(str(ans.threshold)), comparison=ans.comparison, each_unit=ans.each_unit,
                        max_rounds=ans.max_rounds, summary=ans.summary())


def _units(conn: Connection, unit_ids: Sequence[int], on: dt.date) -> list[Unit]:
    found = {u.id: u for u in repo.units_at(conn, on, unit_ids=unit_ids)}
    missing = [u for u in unit_ids if u not in found]
    if missing:
        raise BadInput(f"{len(missing)} đơn vị không tồn tại vào ngày {on:%d/%m/%Y} (mã nội bộ {missing[:5]})",
                       field="--date")
    return [found[u] for u in unit_ids]


def create_consultation(conn: Connection, *, unit_ids: Sequence[int], on: dt.date, name: str,
                        kind: str = "merger", plan_id: int | None = None,
                        group_labels: dict[int, str] | None = None, roll_kind: str = "households",
                        created_by: str | None = None, book: Any = None,
                        rule: ApprovalRule | None = None) -> int:
    """A consultation of UNIT_IDS held on ON, with round 1 open and (for households) the roll frozen."""
    if not unit_ids:
        raise BadInput("không có đơn vị nào để lấy ý kiến", field="--unit")
    if len(set(unit_ids)) != len(unit_ids):
        raise BadInput("một đơn vị được nêu hai lần", field="--unit")
    if roll_kind not in ("households", "voters"):
        raise BadInput(f"loại danh sách không hợp lệ: {roll_kind!r} (households, voters)", field="--roll")
    units = _units(conn, unit_ids, on)
    levels = {u.level for u in units}
    if len(levels) != 1:
        raise BadInput("các đơn vị lấy ý kiến phải cùng một cấp", field="--unit")
    level = levels.pop()
    if rule is None:
        if kind == "election":
            rule = CUSTOMARY_ELECTION_RULE
        else:
            rule = _rule_from_book(level.value, on, units[0].province_code, book)
    if rule.basis == "all_households" and roll_kind != "households":
        raise BadInput(f"quy tắc {rule.rule_id} tính trên tổng số hộ: danh sách phải là các hộ", field="--roll")
    cid = _new_id(conn.execute(insert(t.consultation).values(
        name=name, kind=kind, plan_id=plan_id, level=level.value, held_on=on, roll_kind=roll_kind,
        rule_id=rule.rule_id, rule_citation=rule.citation, rule_tag=rule.tag, rule_basis=rule.basis,
        rule_threshold=str(rule.threshold), rule_comparison=rule.comparison, rule_each_unit=rule.each_unit,
        rule_max_rounds=rule.max_rounds, rule_summary=rule.summary, created_at=_now(), created_by=created_by,
    )))
    labels = group_labels or {}
    conn.execute(insert(t.consultation_unit), [
        {"consultation_id": cid, "unit_id": u.id, "group_label": labels.get(u.id), "roll_size": 0} for u in units])
    rid = _new_id(conn.execute(insert(t.consultation_round).values(
        consultation_id=cid, number=1, status="open", opened_at=_now(), opened_by=created_by, entries=0,
    )))
    conn.execute(insert(t.consultation_round_unit), [{"round_id": rid, "unit_id": u.id} for u in units])
    if roll_kind == "households":
        _household_roll(conn, cid, [u.id for u in units], on)
    return cid


def create_from_plan(conn: Connection, plan_name: str, *, on: dt.date | None = None, name: str | None = None,
                     created_by: str | None = None, book: Any = None, roll_kind: str = "households") -> int:
    """A consultation of every unit that a stored plan merges (groups with more than one member)."""
    plan = load_plan(conn, plan_name)
    mergers = plan.mergers
    if not mergers:
        raise BadInput(f"phương án {plan_name!r} không sáp nhập đơn vị nào", field="--plan")
    labels = {u: g.label for g in mergers for u in g.unit_ids}
    day = on or plan.at
    return create_consultation(conn, unit_ids=list(labels), on=day, name=name or f"Lấy ý kiến: {plan_name}",
                               plan_id=plan.id, group_labels=labels, created_by=created_by, book=book,
                               roll_kind=roll_kind)


def _household_roll(conn: Connection, cid: int, unit_ids: list[int], on: dt.date) -> None:
    """One entry per household living in the units on ON (for a commune or province: in any unit under
    it), represented by its head (chủ hộ)."""
    R, H, P = s.household_residence, s.household, s.person
    owner = {u: u for u in unit_ids}
    for u in unit_ids:
        for d in repo.descendants(conn, u, on):
            owner.setdefault(d.id, u)
    q = (select(R.c.unit_id, H.c.id, H.c.code, P.c.id.label("pid"), P.c.full_name)
         .join(H, H.c.id == R.c.household_id)
         .outerjoin(P, and_(P.c.household_id == H.c.id, P.c.is_head))
         .where(repo.in_force_clause(R, on), R.c.unit_id.in_(list(owner)))
         .order_by(H.c.code, P.c.id))
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    sizes: dict[int, int] = defaultdict(int)
    for res_unit, hid, code, pid, full_name in conn.execute(q):
        unit_id = owner[res_unit]
        if hid in seen:   # two heads recorded: the first represents the household
            continue
        seen.add(hid)
        sizes[unit_id] += 1
        rows.append({"consultation_id": cid, "unit_id": unit_id, "voter_code": code, "household_id": hid,
                     "person_id": pid, "display_name": full_name, "name_key": fold(full_name) if full_name else None})
    for i in range(0, len(rows), CHUNK):
        conn.execute(insert(t.roll_entry), rows[i:i + CHUNK])
    _set_roll_sizes(conn, cid, sizes)


def _set_roll_sizes(conn: Connection, cid: int, sizes: dict[int, int]) -> None:
    CU = t.consultation_unit
    for unit_id in [r[0] for r in conn.execute(select(CU.c.unit_id).where(CU.c.consultation_id == cid))]:
        conn.execute(update(CU).where(CU.c.consultation_id == cid, CU.c.unit_id == unit_id)
                     .values(roll_size=sizes.get(unit_id, 0)))


def import_voter_roll(conn: Connection, cid: int, rows: Sequence[tuple[int, str, str | None, str]],
                      *, file: str | None = None) -> dict[int, int]:
    """Replace the roll of a voters' consultation: rows (row number, voter code, name, unit code)."""
    c = _consultation(conn, cid)
    if c.roll_kind != "voters":
        raise BadInput("cuộc lấy ý kiến này dùng danh sách hộ từ sổ đăng ký; không nhập danh sách cử tri",
                       file=file)
    if conn.execute(select(func.count()).select_from(t.ballot).join(
            t.consultation_round, t.consultation_round.c.id == t.ballot.c.round_id)
            .where(t.consultation_round.c.consultation_id == cid)).scalar_one():
        raise BadInput("đã có phiếu được nhập: không thay danh sách cử tri được nữa", file=file)
    if _any_round_closed(conn, cid):
        raise BadInput("đã có vòng được khóa: không thay danh sách cử tri được nữa", file=file)
    units = {u.code: u.id for u in _units(conn, _unit_ids(conn, cid), c.held_on)}
    errors: list[str] = []
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    sizes: dict[int, int] = defaultdict(int)
    for rowno, code, name, unit_code in rows:
        code = (code or "").strip()
        ucode = (unit_code or "").strip()
        if not code:
            errors.append(f"dòng {rowno}: thiếu mã cử tri")
        elif code in seen:
            errors.append(f"dòng {rowno}: mã cử tri {code!r} lặp lại")
        elif ucode not in units:
            errors.append(f"dòng {rowno}: đơn vị {ucode!r} không thuộc cuộc lấy ý kiến")
        else:
            seen.add(code)
            sizes[units[ucode]] += 1
            out.append({"consultation_id": cid, "unit_id": units[ucode], "voter_code": code, "household_id": None,
                        "person_id": None, "display_name": name, "name_key": fold(name) if name else None})
    if errors:
        raise BadInput(f"{len(errors)} lỗi, không ghi gì: " + "; ".join(errors[:20]), file=file)
    conn.execute(t.roll_entry.delete().where(t.roll_entry.c.consultation_id == cid))
    for i in range(0, len(out), CHUNK):
        conn.execute(insert(t.roll_entry), out[i:i + CHUNK])
    _set_roll_sizes(conn, cid, sizes)
    return dict(sizes)


def add_voter(conn: Connection, cid: int, code: str, name: str | None, unit_id: int) -> int:
    """Enter one voter on a voters' roll by hand (before any ballot or closed round)."""
    c = _consultation(conn, cid)
    if c.roll_kind != "voters":
        raise BadInput("cuộc lấy ý kiến này dùng danh sách hộ từ sổ đăng ký", field="--consultation")
    if _any_round_closed(conn, cid):
        raise BadInput("đã có vòng được khóa: không thêm cử tri được nữa", field="--consultation")
    if unit_id not in _unit_ids(conn, cid):
        raise BadInput("đơn vị không thuộc cuộc lấy ý kiến", field="--unit")
    code = code.strip()
    if not code:
        raise BadInput("thiếu mã cử tri", field="--code")
    try:
        with conn.begin_nested():
            rid = _new_id(conn.execute(insert(t.roll_entry).values(
                consultation_id=cid, unit_id=unit_id, voter_code=code, household_id=None, person_id=None,
                display_name=name, name_key=fold(name) if name else None)))
    except IntegrityError as exc:
        raise BadInput(f"mã cử tri {code!r} đã có trong danh sách", field="--code") from exc
    CU = t.consultation_unit
    conn.execute(update(CU).where(CU.c.consultation_id == cid, CU.c.unit_id == unit_id)
                 .values(roll_size=CU.c.roll_size + 1))
    return rid


# --- reading ---------------------------------------------------------------------------------------

def _consultation(conn: Connection, cid: int) -> Any:
    row = find_consultation(conn, cid)
    if row is None:
        raise BadInput(f"không có cuộc lấy ý kiến số {cid}", field="--consultation")
    return row


def rule_of(row: Any) -> ApprovalRule:
    return ApprovalRule(rule_id=row.rule_id, citation=row.rule_citation, tag=row.rule_tag, basis=row.rule_basis,
                        threshold=Decimal(row.rule_threshold), comparison=row.rule_comparison,
                        each_unit=bool(row.rule_each_unit), max_rounds=int(row.rule_max_rounds),
                        summary=row.rule_summary or "")


def find_consultation(conn: Connection, cid: int) -> Any:
    """The consultation's row, or None."""
    return conn.execute(_CONSULTATION, {"cid": cid}).first()


def consultation_with_units(conn: Connection, cid: int) -> tuple[Any, list[int]]:
    """find_consultation() and the ids of its units in increasing order, in one query; (None, []) when
    there is no such consultation."""
    row = conn.execute(_CONSULTATION_WITH_UNITS, {"cid": cid}).first()
    if row is None:
        return None, []
    return row, sorted(int(u) for u in (row.unit_id_list or "").split(",") if u)


def _unit_ids(conn: Connection, cid: int) -> list[int]:
    return [int(r[0]) for r in conn.execute(_UNIT_IDS, {"cid": cid})]


unit_ids_of = _unit_ids


def _round(conn: Connection, cid: int, number: int | None) -> Any:
    CR = t.consultation_round
    if number is None:
        row = conn.execute(_LATEST_ROUND, {"cid": cid}).first()
    else:
        row = conn.execute(select(CR).where(CR.c.consultation_id == cid, CR.c.number == number)).first()
    if row is None:
        raise BadInput(f"cuộc lấy ý kiến số {cid} không có vòng {number}", field="--round")
    return row


def _any_round_closed(conn: Connection, cid: int) -> bool:
    CR = t.consultation_round
    return conn.execute(select(CR.c.id).where(CR.c.consultation_id == cid, CR.c.status == "closed")).first() is not None


def _round_units(conn: Connection, round_id: int) -> list[int]:
    return [int(r[0]) for r in conn.execute(_ROUND_UNITS, {"round_id": round_id})]


def _lock_round(conn: Connection, cid: int, number: int | None) -> Any:
    """_round() and _lock_open_round() in one statement: the round (the latest, or NUMBER), locked for
    the entry, refused when it is closed (see the module docstring)."""
    from tinhgon.reliability import auditlog, dataversion

    noted = dataversion.noted(conn)
    with auditlog.suspended():  # the counter only serialises entries: the ballot is what the log records
        if number is None:
            rnd = conn.execute(_LOCK_LATEST, {"cid": cid}).first()
        else:
            rnd = conn.execute(_LOCK_NUMBERED, {"cid": cid, "round_number": number}).first()
    if rnd is None:
        try:
            closed = _round(conn, cid, number)
        except BadInput:
            dataversion.unnote(conn, noted)  # no such round: nothing was there to update
            raise
        raise BadInput(f"vòng {closed.number} đã khóa (đã kết thúc kiểm phiếu): không thay đổi được",
                       field="--round")
    return rnd


def _lock_open_round(conn: Connection, round_row: Any) -> None:
    """Take the round's write lock, refusing a closed round (see the module docstring)."""
    from tinhgon.reliability import auditlog

    # the counter only serialises entries: the ballot written next is the change the log records
    with auditlog.suspended():
        res = conn.execute(_LOCK_ROUND, {"round_id": round_row.id})
    if res.rowcount != 1:
        raise BadInput(f"vòng {round_row.number} đã khóa (đã kết thúc kiểm phiếu): không thay đổi được",
                       field="--round")


@dataclass(frozen=True, slots=True)
class RollRow:
    id: int
    unit_id: int
    voter_code: str
    display_name: str | None


def find_voters(conn: Connection, cid: int, query: str, limit: int = 20) -> list[RollRow]:
    """Roll entries whose code is QUERY, or whose name contains QUERY ignoring accents and case."""
    RE = t.roll_entry
    q = query.strip()
    exact = conn.execute(_VOTER_BY_CODE, {"cid": cid, "code": q}).all()
    if exact:
        return [RollRow(r.id, r.unit_id, r.voter_code, r.display_name) for r in exact]
    key = fold(q)
    if not key:
        return []
    rows = conn.execute(select(RE).where(RE.c.consultation_id == cid, RE.c.name_key.like(f"%{key}%"))
                        .order_by(RE.c.voter_code).limit(limit)).all()
    return [RollRow(r.id, r.unit_id, r.voter_code, r.display_name) for r in rows]


def _one_voter(conn: Connection, cid: int, household: str | None, name: str | None) -> RollRow:
    if household:
        found = [r for r in find_voters(conn, cid, household) if r.voter_code == household.strip()]
        if not found:
            raise BadInput(f"không có hộ/cử tri mã {household!r} trong danh sách", field="--household")
        return found[0]
    if name:
        found = find_voters(conn, cid, name)
        if not found:
            raise BadInput(f"không tìm thấy ai tên {name!r} trong danh sách", field="--name")
        if len(found) > 1:
            listing = "; ".join(f"{r.voter_code} ({r.display_name})" for r in found[:10])
            raise BadInput(f"{len(found)} người khớp tên {name!r}: {listing}. Hãy dùng --household MÃ",
                           field="--name")
        return found[0]
    raise BadInput("cần --household MÃ hoặc --name TÊN", field="--household")


def roll_summary(conn: Connection, cid: int) -> list[dict[str, Any]]:
    c = _consultation(conn, cid)
    CU = t.consultation_unit
    rows = conn.execute(select(CU).where(CU.c.consultation_id == cid).order_by(CU.c.id)).all()
    units = {u.id: u for u in _units(conn, [r.unit_id for r in rows], c.held_on)}
    return [{"unit_id": r.unit_id, "code": units[r.unit_id].code, "name": units[r.unit_id].name,
             "group": r.group_label, "roll": r.roll_size} for r in rows]


def roll_entries(conn: Connection, cid: int, unit_id: int | None = None) -> list[RollRow]:
    RE = t.roll_entry
    q = select(RE).where(RE.c.consultation_id == cid)
    if unit_id is not None:
        q = q.where(RE.c.unit_id == unit_id)
    return [RollRow(r.id, r.unit_id, r.voter_code, r.display_name)
            for r in conn.execute(q.order_by(RE.c.unit_id, RE.c.voter_code))]


# --- ballots ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Receipt:
    ballot_id: int
    voter_code: str
    round_number: int
    version: int
    choice: Choice
    candidate_id: int | None


def _candidate_id(conn: Connection, cid: int, ref: str | None) -> int:
    C, P = t.candidate, s.person
    if not ref:
        raise BadInput("phiếu bầu cần --candidate (mã người hoặc họ tên)", field="--candidate")
    rows = conn.execute(select(C.c.id, C.c.display_name, P.c.code).join(P, P.c.id == C.c.person_id)
                        .where(C.c.consultation_id == cid)).all()
    by_code = [r.id for r in rows if r.code == ref.strip() or str(r.id) == ref.strip()]
    if by_code:
        return int(by_code[0])
    key = fold(ref)
    by_name = [r.id for r in rows if fold(r.display_name) == key]
    if len(by_name) == 1:
        return int(by_name[0])
    names = ", ".join(f"{r.code} {r.display_name}" for r in rows)
    raise BadInput(f"không có ứng cử viên {ref!r} (danh sách: {names or 'trống'})", field="--candidate")


def _check_choice(kind: str, choice: Choice, candidate_id: int | None) -> None:
    if kind == "election":
        if choice not in (Choice.VOTE, Choice.INVALID, Choice.WITHDRAWN):
            raise BadInput("phiếu bầu: chọn một ứng cử viên (--candidate) hoặc --choice invalid", field="--choice")
        if choice == Choice.VOTE and candidate_id is None:
            raise BadInput("phiếu bầu cần --candidate", field="--candidate")
    elif choice == Choice.VOTE:
        raise BadInput("lấy ý kiến sáp nhập: agree, disagree hoặc invalid", field="--choice")


def _entry_context(conn: Connection, cid: int, official: Official, round_number: int | None,
                   consultation: Any = None) -> tuple[Any, Any]:
    """The consultation (CONSULTATION when the caller has read it already: its row never changes) and
    the round, locked for the entry."""
    if consultation is not None and consultation.id != cid:
        raise ValueError(f"consultation {consultation.id} given for {cid}")
    c = consultation if consultation is not None else _consultation(conn, cid)
    return c, _lock_round(conn, cid, round_number)


def _check_voter(conn: Connection, c: Any, rnd: Any, official: Official, voter: RollRow,
                 in_round: bool | None = None) -> None:
    """The voter's unit is in the round (IN_ROUND when already known) and in the official's scope."""
    if not (in_round if in_round is not None else voter.unit_id in set(_round_units(conn, rnd.id))):
        raise BadInput(f"{voter.voter_code}: đơn vị của hộ không lấy ý kiến ở vòng {rnd.number} "
                       f"(vòng 2 chỉ dành cho đơn vị chưa đạt ở vòng 1)", field="--household")
    if voter.unit_id not in _allowed_units(conn, official, [voter.unit_id], c.held_on):
        raise BadInput(f"{voter.voter_code}: hộ không thuộc đơn vị mà tài khoản {official.username!r} phụ trách",
                       field="--as")


def _entry_voter(conn: Connection, c: Any, rnd: Any, official: Official, household: str) -> tuple[RollRow, Any]:
    """_one_voter() by household code, _check_voter() and the round's latest ballot for it, as
    (voter, (entered_by, entered_at) or None), reading the roll, the round's units and the ballots once."""
    code = household.strip()
    r = conn.execute(_VOTER_FOR_ENTRY, {"cid": c.id, "code": code, "round_id": rnd.id}).first()
    if r is None:
        raise BadInput(f"không có hộ/cử tri mã {household!r} trong danh sách", field="--household")
    voter = RollRow(r.id, r.unit_id, r.voter_code, r.display_name)
    _check_voter(conn, c, rnd, official, voter, in_round=bool(r.in_round))
    return voter, ((r.prior_by, r.prior_at) if r.prior_version is not None else None)


def cast_ballot(conn: Connection, cid: int, official: Official, *, household: str | None = None,
                name: str | None = None, choice: Choice | str, round_number: int | None = None,
                candidate: str | None = None, consultation: Any = None) -> Receipt:
    """Enter one paper ballot. A household (or voter) votes once per round: a second entry is refused.
    CONSULTATION: its row, when the caller has read it already."""
    c, rnd = _entry_context(conn, cid, official, round_number, consultation)
    cand = None
    if c.kind == "election" and candidate:
        cand = _candidate_id(conn, cid, candidate)
        ch = Choice.VOTE
    else:
        ch = choice if isinstance(choice, Choice) else parse_choice(choice)
    _check_choice(c.kind, ch, cand)
    if ch == Choice.WITHDRAWN:
        raise BadInput("chỉ dùng 'hủy' khi sửa phiếu (tinhgon consult correct)", field="--choice")
    if household:
        voter, prior = _entry_voter(conn, c, rnd, official, household)
    else:
        voter = _one_voter(conn, cid, household, name)
        _check_voter(conn, c, rnd, official, voter)
        got = conn.execute(_PRIOR_BALLOT, {"round_id": rnd.id, "entry_id": voter.id}).first()
        prior = (got.entered_by, got.entered_at) if got is not None else None
    B = t.ballot
    if prior is not None:
        raise BadInput(f"{voter.voter_code} đã có phiếu ở vòng {rnd.number} (nhập bởi {prior[0]} lúc "
                       f"{prior[1]:%H:%M:%S %d/%m/%Y}); mỗi hộ chỉ một phiếu mỗi vòng. "
                       f"Muốn sửa: tinhgon consult correct ... --reason", field="--household")
    try:
        bid = _new_id(conn.execute(insert(B).values(
            round_id=rnd.id, roll_entry_id=voter.id, unit_id=voter.unit_id, version=1, is_current=True,
            choice=ch.value, candidate_id=cand, reason=None, entered_by=official.username, official_id=official.id,
            entered_at=_now(), source="single", batch=None)))
    except IntegrityError as exc:
        raise BadInput(f"{voter.voter_code} vừa được người khác nhập phiếu ở vòng {rnd.number}; "
                       f"phiếu này không được ghi", field="--household") from exc
    return Receipt(bid, voter.voter_code, rnd.number, 1, ch, cand)


def correct_ballot(conn: Connection, cid: int, official: Official, *, household: str | None = None,
                   name: str | None = None, choice: Choice | str, reason: str, round_number: int | None = None,
                   candidate: str | None = None) -> Receipt:
    """A new version of an entered ballot, with its reason; the earlier versions are kept."""
    if not reason or not reason.strip():
        raise BadInput("sửa phiếu phải ghi lý do", field="--reason")
    c, rnd = _entry_context(conn, cid, official, round_number)
    cand = None
    if c.kind == "election" and candidate:
        cand = _candidate_id(conn, cid, candidate)
        ch = Choice.VOTE
    else:
        ch = choice if isinstance(choice, Choice) else parse_choice(choice, allow_withdrawn=True)
    _check_choice(c.kind, ch, cand)
    voter = _one_voter(conn, cid, household, name)
    _check_voter(conn, c, rnd, official, voter)
    B = t.ballot
    cur = conn.execute(select(B).where(B.c.round_id == rnd.id, B.c.roll_entry_id == voter.id, B.c.is_current)).first()
    if cur is None:
        raise BadInput(f"{voter.voter_code} chưa có phiếu ở vòng {rnd.number}: dùng tinhgon consult vote",
                       field="--household")
    if cur.choice == ch.value and cur.candidate_id == cand:
        raise BadInput(f"{voter.voter_code}: phiếu đã ghi đúng ý kiến này; không cần sửa", field="--choice")
    res = conn.execute(update(B).where(B.c.id == cur.id, B.c.is_current).values(is_current=False))
    try:
        if res.rowcount != 1:
            raise IntegrityError("stale current version", None, Exception("stale"))
        bid = _new_id(conn.execute(insert(B).values(
            round_id=rnd.id, roll_entry_id=voter.id, unit_id=voter.unit_id, version=cur.version + 1, is_current=True,
            choice=ch.value, candidate_id=cand, reason=reason.strip(), entered_by=official.username,
            official_id=official.id, entered_at=_now(), source="correction", batch=None)))
    except IntegrityError as exc:
        raise BadInput(f"{voter.voter_code}: phiếu vừa được người khác sửa; hãy xem lại rồi làm lại",
                       field="--household") from exc
    return Receipt(bid, voter.voter_code, rnd.number, cur.version + 1, ch, cand)


def ballot_history(conn: Connection, cid: int, household: str, round_number: int | None = None) -> list[dict[str, Any]]:
    """Every version entered for a household, oldest first."""
    voter = _one_voter(conn, cid, household, None)
    B, CR = t.ballot, t.consultation_round
    q = (select(CR.c.number, B.c.version, B.c.is_current, B.c.choice, B.c.candidate_id, B.c.reason,
                B.c.entered_by, B.c.entered_at, B.c.source)
         .join(CR, CR.c.id == B.c.round_id).where(B.c.roll_entry_id == voter.id))
    if round_number is not None:
        q = q.where(CR.c.number == round_number)
    return [dict(r._mapping) for r in conn.execute(q.order_by(CR.c.number, B.c.version))]


@dataclass(slots=True)
class SheetResult:
    file: str
    round_number: int
    entered: int
    by_unit: dict[int, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def import_ballots(conn: Connection, cid: int, official: Official, rows: Sequence[tuple[Any, ...]],
                   *, file: str, round_number: int | None = None) -> SheetResult:
    """A sheet of paper ballots: rows (row number, household code, choice, candidate[, unit code]). All rows
    are checked before anything is written; one bad row refuses the whole sheet."""
    c, rnd = _entry_context(conn, cid, official, round_number)
    RE, B = t.roll_entry, t.ballot
    roll = {code: (rid, uid) for rid, code, uid in conn.execute(
        select(RE.c.id, RE.c.voter_code, RE.c.unit_id).where(RE.c.consultation_id == cid))}
    in_round = set(_round_units(conn, rnd.id))
    allowed = _allowed_units(conn, official, in_round, c.held_on)
    voted = {int(r[0]) for r in conn.execute(select(B.c.roll_entry_id).where(B.c.round_id == rnd.id, B.c.is_current))}
    cand_cache: dict[str, int] = {}
    choice_cache: dict[str, Choice] = {}   # a sheet holds a handful of distinct spellings
    batch = Path(file).name
    errors: list[str] = []
    seen: dict[str, int] = {}
    now = _now()
    out: list[dict[str, Any]] = []
    by_unit: dict[int, int] = defaultdict(int)
    unit_codes: dict[int, str] | None = None
    for rowno, code, raw_choice, cand_ref, *extra in rows:
        code = (code or "").strip()
        where = f"dòng {rowno}"
        if not code:
            errors.append(f"{where}: thiếu mã hộ")
            continue
        if code in seen:
            errors.append(f"{where}: mã hộ {code} đã có ở dòng {seen[code]}")
            continue
        seen[code] = rowno
        hit = roll.get(code)
        if hit is None:
            errors.append(f"{where}: mã hộ {code} không có trong danh sách")
            continue
        rid, uid = hit
        sheet_unit = str(extra[0]).strip() if extra and extra[0] else ""
        if sheet_unit:
            if unit_codes is None:
                unit_codes = {u.id: u.code for u in _units(conn, _unit_ids(conn, cid), c.held_on)}
            if sheet_unit != unit_codes[uid]:
                errors.append(f"{where}: hộ {code} thuộc {unit_codes[uid]}, không phải {sheet_unit}")
                continue
        if uid not in in_round:
            errors.append(f"{where}: hộ {code} không lấy ý kiến ở vòng {rnd.number}")
            continue
        if uid not in allowed:
            errors.append(f"{where}: hộ {code} ngoài phạm vi của {official.username}")
            continue
        if rid in voted:
            errors.append(f"{where}: hộ {code} đã có phiếu ở vòng {rnd.number}")
            continue
        cand = None
        try:
            if c.kind == "election" and cand_ref and str(cand_ref).strip():
                ref = str(cand_ref).strip()
                if ref not in cand_cache:
                    cand_cache[ref] = _candidate_id(conn, cid, ref)
                cand = cand_cache[ref]
                ch = Choice.VOTE
            else:
                raw = str(raw_choice if raw_choice is not None else "")
                ch = choice_cache.get(raw) or choice_cache.setdefault(raw, parse_choice(raw))
            _check_choice(c.kind, ch, cand)
        except BadInput as exc:
            errors.append(f"{where}: {exc.message}")
            continue
        by_unit[uid] += 1
        out.append({"round_id": rnd.id, "roll_entry_id": rid, "unit_id": uid, "version": 1, "is_current": True,
                    "choice": ch.value, "candidate_id": cand, "reason": None, "entered_by": official.username,
                    "official_id": official.id, "entered_at": now, "source": "sheet", "batch": batch})
    if errors:
        more = f" (và {len(errors) - 20} lỗi khác)" if len(errors) > 20 else ""
        raise BadInput(f"{len(errors)} dòng lỗi, không ghi phiếu nào: " + "; ".join(errors[:20]) + more, file=file)
    if not out:
        raise BadInput("tệp không có phiếu nào", file=file)
    audit = _auditlog()
    try:
        # every ballot row already says who entered it, when and from which file: the audit log gets one
        # summary entry for the sheet instead of one per row (as for other bulk loads)
        with audit.suspended() if audit is not None else nullcontext():
            _insert_ballots(conn, out)
        if audit is not None:
            audit.record_system(conn, "consult.import-ballots", "ballot", {
                "consultation": cid, "round": rnd.number, "rows": len(out), "file": batch,
                "entered_by": official.username})
    except _DuplicateEntry as exc:
        raise BadInput("có hộ vừa được người khác nhập phiếu trong lúc nhập tệp; không ghi phiếu nào, hãy nhập lại",
                       file=file) from exc
    result = SheetResult(file, rnd.number, len(out), dict(by_unit))
    RU = t.consultation_round_unit
    for uid, declared in conn.execute(select(RU.c.unit_id, RU.c.declared_ballots).where(RU.c.round_id == rnd.id)):
        if declared is not None and uid in by_unit:
            result.warnings.append(f"đơn vị {uid}: đã khai {declared} phiếu giấy; xem tally để đối chiếu")
    return result


class _DuplicateEntry(Exception):
    """A UNIQUE constraint of ``ballot`` refused a row during a bulk insert."""


_BALLOT_COLUMNS = ("round_id", "roll_entry_id", "unit_id", "version", "is_current", "choice", "candidate_id", "reason",
                   "entered_by", "official_id", "entered_at", "source", "batch")


def _insert_ballots(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert many ballots. PostgreSQL gets COPY (one statement per row through the driver is ~10x slower);
    SQLite gets executemany. Both run inside the caller's transaction."""
    if conn.dialect.name == "postgresql":
        import psycopg

        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY ballot ({', '.join(_BALLOT_COLUMNS)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(tuple(r[c] for c in _BALLOT_COLUMNS))
        except psycopg.errors.IntegrityError as exc:
            raise _DuplicateEntry(str(exc)) from exc
        finally:
            cursor.close()
        return
    try:
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(t.ballot), rows[i:i + CHUNK])
    except IntegrityError as exc:
        raise _DuplicateEntry(str(exc)) from exc


def declare_paper_count(conn: Connection, cid: int, unit_id: int, ballots: int, *,
                        round_number: int | None = None) -> None:
    """Record how many paper ballots the counting committee counted by hand for a unit (cross-check)."""
    if ballots < 0:
        raise BadInput("số phiếu không thể âm", field="--ballots")
    rnd = _round(conn, cid, round_number)
    _lock_open_round(conn, rnd)
    RU = t.consultation_round_unit
    res = conn.execute(update(RU).where(RU.c.round_id == rnd.id, RU.c.unit_id == unit_id)
                       .values(declared_ballots=ballots))
    if res.rowcount != 1:
        raise BadInput(f"đơn vị không lấy ý kiến ở vòng {rnd.number}", field="--unit")


# --- candidates (elections) -----------------------------------------------------------------------

def create_election(conn: Connection, unit_id: int, on: dt.date, *, name: str | None = None,
                    created_by: str | None = None, book: Any = None) -> int:
    """A meeting of household representatives electing the group's head (hội nghị cử tri bầu tổ trưởng)."""
    unit = _units(conn, [unit_id], on)[0]
    if unit.level != Level.RESIDENTIAL_GROUP:
        raise BadInput(f"{unit.code}: chỉ bầu tổ trưởng/trưởng thôn ở thôn, tổ dân phố", field="--unit")
    rule = _election_rule(on, unit.province_code, book)
    return create_consultation(conn, unit_ids=[unit_id], on=on, name=name or f"Bầu tổ trưởng {unit.name}",
                               kind="election", created_by=created_by, rule=rule)


def _election_rule(on: dt.date, province_code: str | None, book: Any) -> ApprovalRule:
    """The pack's election rule if the rule book offers one, else the customary rule [M]."""
    from tinhgon.rules.book import RuleBook, RuleError

    book = book or RuleBook.load_default()
    finder = getattr(book, "election", None)
    if finder is None:
        return CUSTOMARY_ELECTION_RULE
    try:
        ans = finder(Level.RESIDENTIAL_GROUP, on, province_code)
    except RuleError:
        return CUSTOMARY_ELECTION_RULE
    ref = ans.refs[0]
    return ApprovalRule(rule_id=ref.rule_id, citation=ref.cite(), tag=ref.tag, basis=ans.basis,
                        threshold=Decimal(str(ans.threshold)), comparison=ans.comparison, each_unit=True,
                        max_rounds=getattr(ans, "max_rounds", 2), summary=ans.summary())


def add_candidate(conn: Connection, cid: int, person: str) -> int:
    """Add a person living in the group (by person code, or by name when it is unique) as a candidate."""
    c = _consultation(conn, cid)
    if c.kind != "election":
        raise BadInput("chỉ cuộc bầu cử mới có ứng cử viên", field="--consultation")
    B, CR = t.ballot, t.consultation_round
    if conn.execute(select(func.count()).select_from(B).join(CR, CR.c.id == B.c.round_id)
                    .where(CR.c.consultation_id == cid)).scalar_one():
        raise BadInput("đã có phiếu bầu: không thêm ứng cử viên được nữa", field="--person")
    if _any_round_closed(conn, cid):
        raise BadInput("đã có vòng được khóa: không thêm ứng cử viên được nữa", field="--person")
    unit_id = _unit_ids(conn, cid)[0]
    P, R = s.person, s.household_residence
    residents = (select(P.c.id, P.c.code, P.c.full_name).join(R, R.c.household_id == P.c.household_id)
                 .where(R.c.unit_id == unit_id, repo.in_force_clause(R, c.held_on)))
    ref = person.strip()
    rows = conn.execute(residents.where(P.c.code == ref)).all()
    if not rows:
        key = fold(ref)
        rows = [r for r in conn.execute(residents) if fold(r.full_name) == key]
    if not rows:
        raise BadInput(f"{ref!r}: không phải người đang sống ở đơn vị vào ngày {c.held_on:%d/%m/%Y}",
                       field="--person")
    if len(rows) > 1:
        raise BadInput(f"{len(rows)} người trùng tên {ref!r}: dùng mã người ({', '.join(r.code for r in rows)})",
                       field="--person")
    r = rows[0]
    try:
        return _new_id(conn.execute(insert(t.candidate).values(
            consultation_id=cid, person_id=r.id, display_name=r.full_name)))
    except IntegrityError as exc:
        raise BadInput(f"{r.full_name} đã là ứng cử viên", field="--person") from exc


def candidates(conn: Connection, cid: int) -> dict[int, str]:
    C = t.candidate
    return {int(r.id): r.display_name for r in conn.execute(select(C).where(C.c.consultation_id == cid)
                                                           .order_by(C.c.id))}


# --- tally ---------------------------------------------------------------------------------------

def _live_counts(conn: Connection, round_id: int) -> tuple[dict[int, dict[str, int]], dict[int, dict[int, int]]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    votes: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for unit_id, choice, cand, n in conn.execute(_LIVE_COUNTS, {"round_id": round_id}):
        if choice == Choice.VOTE.value and cand is not None:
            votes[unit_id][int(cand)] += int(n)
        else:
            counts[unit_id][choice] += int(n)
    return counts, votes


def tally(conn: Connection, cid: int, round_number: int | None = None, *, consultation: Any = None,
          units: dict[int, Unit] | None = None) -> Tally:
    """Figures per unit and overall for a round (the latest by default): live while the round is open,
    the frozen figures once it is closed. What the caller has read already is not read again:
    CONSULTATION, its row (it never changes), and UNITS, the units by id on the day it was held."""
    if consultation is not None and consultation.id != cid:
        raise ValueError(f"consultation {consultation.id} given for {cid}")
    c = consultation if consultation is not None else _consultation(conn, cid)
    rule = rule_of(c)
    rnd = _round(conn, cid, round_number)
    closed = rnd.status == "closed"
    rows = conn.execute(_ROUND_UNIT_ROWS, {"cid": cid, "round_id": rnd.id}).all()
    ru = {r.unit_id: r for r in rows}
    cu = {r.cu_unit_id: r for r in rows if r.cu_unit_id is not None}
    if units is None or any(u not in units for u in ru):
        units = {u.id: u for u in _units(conn, list(ru), c.held_on)}
    counts, votes = _live_counts(conn, rnd.id)
    out: list[UnitCount] = []
    warnings: list[str] = []
    for uid, r in ru.items():
        frozen = closed and r.agree is not None
        uc = UnitCount(unit_id=uid, code=units[uid].code, name=units[uid].name,
                       roll=int(r.roll_size if frozen else cu[uid].cu_roll_size),
                       agree=int(r.agree if frozen else counts[uid].get("agree", 0)),
                       disagree=int(r.disagree if frozen else counts[uid].get("disagree", 0)),
                       invalid=int(r.invalid if frozen else counts[uid].get("invalid", 0)),
                       declared=r.declared_ballots, group_label=cu[uid].cu_group_label,
                       votes=dict(votes.get(uid, {})))
        if c.kind == "election":
            uc.winner = election_winner(uc.votes, uc.cast, rule)
            if closed:
                uc.decision = Decision.APPROVED if uc.winner is not None else Decision.REJECTED
            else:
                uc.decision = Decision.PENDING
        else:
            uc.decision = rule.decide(uc.agree, uc.roll, uc.cast, closed=closed)
        if uc.cast > uc.roll:
            warnings.append(f"{uc.code}: số phiếu ({uc.cast}) vượt số trong danh sách ({uc.roll}): kiểm tra lại")
        if uc.declared is not None and uc.declared != uc.cast:
            warnings.append(f"{uc.code}: tổ kiểm phiếu khai {uc.declared} phiếu, đã nhập {uc.cast} "
                            f"(chênh {uc.cast - uc.declared:+d})")
        if uc.roll == 0:
            warnings.append(f"{uc.code}: danh sách trống")
        out.append(uc)
    result = Tally(consultation_id=cid, name=c.name, kind=c.kind, held_on=c.held_on, round_number=rnd.number,
                   round_status=rnd.status, rule=rule, units=out, overall=Decision.PENDING, warnings=warnings,
                   candidates=candidates(conn, cid) if c.kind == "election" else {})
    result.overall = _overall(conn, c, rule, rnd, result)
    return result


def _overall(conn: Connection, c: Any, rule: ApprovalRule, rnd: Any, current: Tally) -> Decision:
    closed = rnd.status == "closed"
    more_rounds = rnd.number < rule.max_rounds
    if c.kind == "election":
        d = current.units[0].decision if current.units else Decision.PENDING
        return Decision.PENDING if d == Decision.REJECTED and more_rounds else d
    if not rule.each_unit:
        d = rule.decide(current.agree, current.roll, current.cast, closed=closed)
        return Decision.PENDING if d == Decision.REJECTED and more_rounds else d
    status = {u.unit_id: u.decision for u in current.units}
    if rnd.number == 2:  # units not in round 2 were approved in round 1
        r1 = _round(conn, c.id, 1)
        RU = t.consultation_round_unit
        for uid, dec in conn.execute(select(RU.c.unit_id, RU.c.decision).where(RU.c.round_id == r1.id)):
            status.setdefault(int(uid), Decision(dec) if dec else Decision.PENDING)
    values = list(status.values())
    if values and all(v == Decision.APPROVED for v in values):
        return Decision.APPROVED
    if any(v == Decision.REJECTED for v in values) and not more_rounds:
        return Decision.REJECTED
    return Decision.PENDING


def _require_whole_scope(conn: Connection, official: Official | None, c: Any, unit_ids: list[int]) -> None:
    """Closing or reopening acts on every unit of the round: the official's scope must cover them all."""
    if official is None:
        return
    outside = set(unit_ids) - _allowed_units(conn, official, unit_ids, c.held_on)
    if outside:
        raise BadInput(f"tài khoản {official.username!r} không phụ trách {len(outside)} đơn vị của cuộc lấy ý kiến "
                       f"này; người phụ trách cấp trên phải làm việc này", field="--as")


def close_round(conn: Connection, cid: int, *, by: str, round_number: int | None = None,
                official: Official | None = None) -> Tally:
    """Close the round: no entry or correction after this. Its figures are frozen; an election's winner
    takes the title in the same transaction."""
    c = _consultation(conn, cid)
    rnd = _round(conn, cid, round_number)
    _require_whole_scope(conn, official, c, _round_units(conn, rnd.id))
    CR, RU = t.consultation_round, t.consultation_round_unit
    res = conn.execute(update(CR).where(CR.c.id == rnd.id, CR.c.status == "open")
                       .values(status="closed", closed_at=_now(), closed_by=by))
    if res.rowcount != 1:
        raise BadInput(f"vòng {rnd.number} đã khóa từ trước", field="--round")
    live = tally(conn, cid, rnd.number)   # the round is closed but not yet frozen: computed from ballots
    for u in live.units:
        conn.execute(update(RU).where(RU.c.round_id == rnd.id, RU.c.unit_id == u.unit_id).values(
            roll_size=u.roll, agree=u.agree, disagree=u.disagree, invalid=u.invalid, decision=u.decision.value,
            winner_candidate_id=u.winner))
    if c.kind == "election" and live.units and live.units[0].winner is not None:
        _seat_winner(conn, c, live.units[0].unit_id, live.units[0].winner)
    return tally(conn, cid, rnd.number)


def _seat_winner(conn: Connection, c: Any, unit_id: int, candidate_id: int) -> None:
    """Close the previous head's holding on the eve of the election and open the winner's from that day."""
    if conn.execute(select(s.title_type.c.code).where(s.title_type.c.code == HEAD_TITLE)).first() is None:
        raise Failure(f"thiếu chức danh {HEAD_TITLE!r} trong danh mục; chạy tinhgon seed trước")
    H = s.title_holding
    person_id = conn.execute(select(t.candidate.c.person_id).where(t.candidate.c.id == candidate_id)).scalar_one()
    day: dt.date = c.held_on
    for h in conn.execute(select(H).where(H.c.unit_id == unit_id, H.c.title_code == HEAD_TITLE,
                                          repo.in_force_clause(H, day))).all():
        if h.valid_from is not None and h.valid_from >= day:
            raise BadInput(f"đã có người giữ chức tổ trưởng từ {h.valid_from:%d/%m/%Y}: không ghi kết quả bầu",
                           field="--consultation")
        # half-open: valid_to = election day means the last day held is the day before
        conn.execute(update(H).where(H.c.id == h.id).values(valid_to=day))
    later = conn.execute(select(H.c.id).where(H.c.unit_id == unit_id, H.c.title_code == HEAD_TITLE,
                                              H.c.valid_from > day)).first()
    if later is not None:
        raise BadInput("đã có nhiệm kỳ tổ trưởng bắt đầu sau ngày bầu: không ghi kết quả bầu", field="--consultation")
    other = conn.execute(select(func.count()).select_from(H).where(
        H.c.person_id == person_id, H.c.title_code != HEAD_TITLE, repo.in_force_clause(H, day))).scalar_one()
    conn.execute(insert(H).values(person_id=person_id, title_code=HEAD_TITLE, unit_id=unit_id,
                                  concurrent=bool(other), valid_from=day, valid_to=None,
                                  decision=f"Biên bản bầu tổ trưởng (cuộc bầu số {c.id}) ngày {day:%d/%m/%Y}"))


def open_round2(conn: Connection, cid: int, *, by: str, official: Official | None = None) -> list[int]:
    """Round 2, once, only for the units that failed round 1 (the rule must allow two rounds)."""
    c = _consultation(conn, cid)
    _require_whole_scope(conn, official, c, _unit_ids(conn, cid))
    rule = rule_of(c)
    if rule.max_rounds < 2:
        raise BadInput(f"quy tắc {rule.rule_id} không cho tổ chức lại lần hai", field="--consultation")
    CR, RU = t.consultation_round, t.consultation_round_unit
    rounds = {r.number: r for r in conn.execute(select(CR).where(CR.c.consultation_id == cid))}
    if 2 in rounds:
        raise BadInput("vòng 2 đã được tổ chức; không có vòng 3 (lần hai không đạt thì dừng)",
                       field="--consultation")
    r1 = rounds[1]
    if r1.status != "closed":
        raise BadInput("vòng 1 chưa khóa: khóa vòng 1 (close-round) trước khi mở vòng 2", field="--consultation")
    frozen = conn.execute(select(RU.c.unit_id, RU.c.decision).where(RU.c.round_id == r1.id)).all()
    if rule.each_unit or c.kind == "election":
        failed = [int(u) for u, d in frozen if d == Decision.REJECTED.value]
    else:
        t1 = tally(conn, cid, 1)
        failed = [u.unit_id for u in t1.units] if not rule.passes(t1.agree, t1.roll) else []
    if not failed:
        raise BadInput("mọi đơn vị đã đạt ở vòng 1: không cần vòng 2", field="--consultation")
    try:
        rid = _new_id(conn.execute(insert(CR).values(consultation_id=cid, number=2, status="open", opened_at=_now(),
                                                 opened_by=by, entries=0)))
    except IntegrityError as exc:
        raise BadInput("vòng 2 vừa được người khác mở", field="--consultation") from exc
    conn.execute(insert(RU), [{"round_id": rid, "unit_id": u} for u in failed])
    return failed


def consultations(conn: Connection) -> list[dict[str, Any]]:
    C = t.consultation
    return [dict(r._mapping) for r in conn.execute(
        select(C.c.id, C.c.name, C.c.kind, C.c.held_on, C.c.rule_id, C.c.roll_kind).order_by(C.c.id))]
