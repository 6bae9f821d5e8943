"""Delegations of authority (ủy quyền) and who may perform an act in a unit on a date.

Choice (documented in docs/coordination.md): a delegation is given by the PERSON who holds the
grantor title in the unit on its first day. It counts on a day only while that same person still
holds that title there: when the chairman changes, the old chairman's delegations lapse unless the new
chairman re-issues them. Revocation ends a delegation on a date (valid_to); nothing is ever deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from tinhgon.coordination import tables as t
from tinhgon.coordination.governance import bodies_of
from tinhgon.coordination.model import (
    Act,
    Delegation,
    LapsedDelegation,
    Performer,
    WhoMay,
    load_catalogue,
)
from tinhgon.coordination.service import title_names
from tinhgon.domain.units import Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo

D, DA = t.delegation, t.delegation_act
DEFAULT_EXPIRY_DAYS = 30

CONDITION_VI = {
    "no_peoples_council": "ở đơn vị không tổ chức HĐND (thí điểm chính quyền đô thị)",
}


def _condition_holds(conn: Connection, act: Act, unit: Unit, on: dt.date) -> bool:
    if act.delegation_condition is None:
        return True
    if act.delegation_condition == "no_peoples_council":
        return not bodies_of(conn, unit, on).has_council
    return False  # an unknown condition never holds: refuse rather than guess


def _holders(conn: Connection, title: str, unit_id: int, on: dt.date) -> list[int]:
    return [h.person_id for h in repo.holdings_at(conn, on, unit_ids=[unit_id]) if h.title_code == title]


def grant(conn: Connection, *, grantor_title: str, grantor_unit: Unit, acts: Sequence[str], valid_from: dt.date,
          valid_to: dt.date | None = None, grantee_person_id: int | None = None, grantee_title: str | None = None,
          grantee_unit: Unit | None = None, grantor_person_id: int | None = None, doc_number: str | None = None,
          doc_date: dt.date | None = None, issuer: str | None = None, note: str | None = None) -> Delegation:
    """Record a delegation; refused (BadInput, nothing written) when the act cannot be delegated by that
    title to that grantee in that unit on that date. VALID_TO is exclusive: the first day it no longer counts."""
    cat = load_catalogue()
    if not acts:
        raise BadInput("thiếu việc được ủy quyền", field="--act")
    act_objs = [cat.act(a) for a in dict.fromkeys(a.strip() for a in acts)]
    if valid_to is not None and valid_from >= valid_to:
        last = valid_to - dt.timedelta(days=1)
        raise BadInput(f"ngày bắt đầu {valid_from:%d/%m/%Y} sau ngày cuối cùng có hiệu lực {last:%d/%m/%Y}",
                       field="--until")
    if doc_date is not None and doc_date > valid_from:
        raise BadInput(f"văn bản ủy quyền ngày {doc_date:%d/%m/%Y} sau ngày bắt đầu {valid_from:%d/%m/%Y}",
                       field="--doc-date")
    if (grantee_person_id is None) == (grantee_title is None):
        raise BadInput("cần đúng một bên nhận ủy quyền: --to-person hoặc --to-title", field="--to-person")
    if not grantor_unit.in_force(valid_from):
        raise BadInput(f"{grantor_unit.name} không tồn tại vào ngày {valid_from:%d/%m/%Y}", field="--unit")
    names = title_names(conn)
    target_unit = grantee_unit or grantor_unit
    for act in act_objs:
        if grantor_unit.level is not act.level:
            raise BadInput(f"việc {act.code} thực hiện ở {act.level.label_vi}; {grantor_unit.name} là "
                           f"{grantor_unit.level.label_vi}", field="--unit")
        if grantor_title not in act.grantors:
            who = ", ".join(names.get(x, x) for x in act.grantors) or "không ai"
            raise BadInput(f"{names.get(grantor_title, grantor_title)} không được ủy quyền việc "
                           f"«{act.name_vi}» (được ủy quyền: {who})", field="--from-title")
        if grantee_title is not None and grantee_title not in act.delegable_to:
            allowed = ", ".join(names.get(x, x) for x in act.delegable_to) or "không ai"
            raise BadInput(f"việc «{act.name_vi}» không ủy quyền được cho {names.get(grantee_title, grantee_title)}"
                           f" (chỉ cho: {allowed})", field="--to-title")
        if not _condition_holds(conn, act, grantor_unit, valid_from):
            cond = CONDITION_VI.get(act.delegation_condition or "", act.delegation_condition or "")
            raise BadInput(f"việc «{act.name_vi}» chỉ được ủy quyền {cond}; {grantor_unit.name} không thỏa điều "
                           f"kiện vào ngày {valid_from:%d/%m/%Y}", field="--from")
    holders = _holders(conn, grantor_title, grantor_unit.id, valid_from)
    if grantor_person_id is None:
        if not holders:
            raise BadInput(f"{grantor_unit.name}: không ai giữ chức danh {names.get(grantor_title, grantor_title)} "
                           f"vào ngày {valid_from:%d/%m/%Y}", field="--from-title")
        grantor_person_id = holders[0]
    elif grantor_person_id not in holders:
        raise BadInput(f"người {grantor_person_id} không giữ chức danh {names.get(grantor_title, grantor_title)} "
                       f"ở {grantor_unit.name} vào ngày {valid_from:%d/%m/%Y}", field="--from-person")
    if grantee_person_id is not None:
        if grantee_person_id not in repo.people_by_ids(conn, [grantee_person_id]):
            raise BadInput(f"không có người mã số {grantee_person_id}", field="--to-person")
        held = {h.title_code for h in repo.holdings_at(conn, valid_from, unit_ids=[target_unit.id],
                                                        person_ids=[grantee_person_id])}
        for act in act_objs:
            if not held & set(act.delegable_to):
                allowed = ", ".join(names.get(x, x) for x in act.delegable_to) or "không ai"
                raise BadInput(f"người {grantee_person_id} không giữ chức danh được nhận ủy quyền việc "
                               f"«{act.name_vi}» ở {target_unit.name} vào ngày {valid_from:%d/%m/%Y} "
                               f"(chỉ cho: {allowed})", field="--to-person")
        if grantee_person_id == grantor_person_id:
            raise BadInput("không thể tự ủy quyền cho chính mình", field="--to-person")
    did = t.new_id(conn.execute(D.insert().values(
        grantor_title=grantor_title, grantor_unit_id=grantor_unit.id, grantor_person_id=grantor_person_id,
        grantee_person_id=grantee_person_id, grantee_title=grantee_title,
        grantee_unit_id=target_unit.id if grantee_title is not None or grantee_unit is not None else None,
        valid_from=valid_from, valid_to=valid_to, planned_to=valid_to, doc_number=doc_number, doc_date=doc_date,
        issuer=issuer, note=note, created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )))
    conn.execute(DA.insert(), [{"delegation_id": did, "act_code": a.code} for a in act_objs])
    return get(conn, did)


def revoke(conn: Connection, delegation_id: int, on: dt.date, *, doc_number: str | None = None,
           reason: str | None = None) -> Delegation:
    """End a delegation from ON (it no longer counts on that day). The row stays, with the revocation."""
    d = get(conn, delegation_id)
    if d.revoked_on is not None:
        raise BadInput(f"ủy quyền số {d.id} đã bị thu hồi từ ngày {d.revoked_on:%d/%m/%Y}", field="--id")
    if on <= d.valid_from:
        raise BadInput(f"ngày thu hồi {on:%d/%m/%Y} phải sau ngày bắt đầu {d.valid_from:%d/%m/%Y}", field="--on")
    if d.valid_to is not None and on >= d.valid_to:
        raise BadInput(f"ủy quyền số {d.id} đã hết hạn từ ngày {d.valid_to:%d/%m/%Y}", field="--on")
    conn.execute(D.update().where(D.c.id == d.id).values(valid_to=on, revoked_on=on, revoke_doc=doc_number,
                                                         revoke_reason=reason))
    return get(conn, d.id)


def get(conn: Connection, delegation_id: int) -> Delegation:
    found = _load(conn, select(D).where(D.c.id == delegation_id))
    if not found:
        raise BadInput(f"không có ủy quyền số {delegation_id}", field="--id")
    return found[0]


def _load(conn: Connection, q: Any) -> list[Delegation]:
    rows = conn.execute(q.order_by(D.c.valid_from, D.c.id)).all()
    acts: dict[int, list[str]] = {}
    ids = [r.id for r in rows]
    for i in range(0, len(ids), 900):
        for a in conn.execute(select(DA).where(DA.c.delegation_id.in_(ids[i:i + 900])).order_by(DA.c.id)):
            acts.setdefault(a.delegation_id, []).append(a.act_code)
    return [Delegation(r.id, r.grantor_title, r.grantor_unit_id, r.grantor_person_id, r.grantee_person_id,
                       r.grantee_title, r.grantee_unit_id, tuple(acts.get(r.id, ())), r.valid_from, r.valid_to,
                       r.planned_to, r.doc_number, r.doc_date, r.issuer, r.note, r.revoked_on, r.revoke_doc,
                       r.revoke_reason) for r in rows]


def delegations_of_unit(conn: Connection, unit_ids: Iterable[int]) -> list[Delegation]:
    ids = list(unit_ids)
    out: list[Delegation] = []
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        out.extend(_load(conn, select(D).where(D.c.grantor_unit_id.in_(chunk) | D.c.grantee_unit_id.in_(chunk))))
    return sorted({d.id: d for d in out}.values(), key=lambda d: (d.valid_from, d.id))


@dataclass(frozen=True, slots=True)
class DelegationCheck:
    """Whether a delegation counts on a date; if not, why; and who it reaches."""

    counts: bool
    reason: str | None
    grantee_ids: tuple[int, ...]


def check(conn: Connection, d: Delegation, on: dt.date) -> DelegationCheck:
    names = title_names(conn)
    if not d.in_period(on):
        if on < d.valid_from:
            return DelegationCheck(False, f"chưa bắt đầu (từ {d.valid_from:%d/%m/%Y})", ())
        if d.revoked_on is not None:
            return DelegationCheck(False, f"đã thu hồi từ ngày {d.revoked_on:%d/%m/%Y}", ())
        return DelegationCheck(False, f"đã hết hạn (đến hết {d.last_day:%d/%m/%Y})", ())
    if d.grantor_person_id not in _holders(conn, d.grantor_title, d.grantor_unit_id, on):
        return DelegationCheck(False, f"người ủy quyền không còn giữ chức danh "
                                      f"{names.get(d.grantor_title, d.grantor_title)} vào ngày {on:%d/%m/%Y}; "
                                      f"người giữ chức danh mới cần ủy quyền lại", ())
    unit = repo.unit_at(conn, d.grantor_unit_id, on)
    cat = load_catalogue()
    if unit is not None:
        for code in d.acts:
            act = cat.acts.get(code)
            if act is not None and not _condition_holds(conn, act, unit, on):
                return DelegationCheck(False, f"«{act.name_vi}» chỉ được ủy quyền "
                                              f"{CONDITION_VI.get(act.delegation_condition or '', '')}; điều kiện "
                                              f"này không còn vào ngày {on:%d/%m/%Y}", ())
    if d.grantee_person_id is not None:
        return DelegationCheck(True, None, (d.grantee_person_id,))
    holders = _holders(conn, d.grantee_title or "", d.grantee_unit_id or d.grantor_unit_id, on)
    if not holders:
        return DelegationCheck(False, f"chức danh nhận ủy quyền {names.get(d.grantee_title or '', d.grantee_title)}"
                                      f" để trống vào ngày {on:%d/%m/%Y}", ())
    return DelegationCheck(True, None, tuple(holders))


def who_may(conn: Connection, unit: Unit, act_code: str, on: dt.date, *,
            within_days: int = DEFAULT_EXPIRY_DAYS) -> WhoMay:
    """Everyone who may perform ACT in UNIT on ON: holders of a title with the original power, then the
    delegates of delegations that count on that day (flagged when they end within WITHIN_DAYS)."""
    act = load_catalogue().act(act_code)
    if unit.level is not act.level:
        raise BadInput(f"việc «{act.name_vi}» thực hiện ở {act.level.label_vi}; {unit.name} là "
                       f"{unit.level.label_vi}", field="--unit")
    found: list[tuple[int, str, str | None, int | None, dt.date | None, bool]] = []
    for h in repo.holdings_at(conn, on, unit_ids=[unit.id]):
        if h.title_code in act.original_power:
            found.append((h.person_id, "original", h.title_code, None, None, False))
    lapsed: list[LapsedDelegation] = []
    for d in _load(conn, select(D).where(D.c.grantor_unit_id == unit.id,
                                         D.c.id.in_(select(DA.c.delegation_id).where(DA.c.act_code == act.code)))):
        if not d.in_period(on):
            continue
        res = check(conn, d, on)
        if not res.counts:
            lapsed.append(LapsedDelegation(d.id, res.reason or ""))
            continue
        soon = d.valid_to is not None and (d.valid_to - on).days <= within_days
        for pid in res.grantee_ids:
            found.append((pid, "delegation", d.grantee_title, d.id, d.last_day, soon))
    people = repo.people_by_ids(conn, [f[0] for f in found])
    performers = tuple(Performer(pid, people[pid].full_name if pid in people else str(pid), basis, title, did,
                                 until, soon) for pid, basis, title, did, until, soon in found)
    return WhoMay(unit.id, unit.code, unit.name, act, on, performers, tuple(lapsed))


@dataclass(frozen=True, slots=True)
class ExpiringItem:
    delegation: Delegation
    last_day: dt.date
    days_left: int
    counts: bool
    reason: str | None


def expiring(conn: Connection, on: dt.date, *, within_days: int = DEFAULT_EXPIRY_DAYS,
             unit_ids: Iterable[int] | None = None) -> list[ExpiringItem]:
    """Delegations in force on ON whose last day falls within WITHIN_DAYS days (soonest first)."""
    if within_days < 0:
        raise BadInput(f"số ngày phải không âm: {within_days}", field="--within")
    horizon = on + dt.timedelta(days=within_days + 1)
    q = select(D).where(D.c.valid_from <= on, D.c.valid_to.is_not(None), D.c.valid_to > on, D.c.valid_to <= horizon)
    items = []
    ids = set(unit_ids) if unit_ids is not None else None
    for d in _load(conn, q):
        if ids is not None and d.grantor_unit_id not in ids:
            continue
        res = check(conn, d, on)
        last = d.last_day or on
        items.append(ExpiringItem(d, last, (last - on).days, res.counts, res.reason))
    return sorted(items, key=lambda x: (x.last_day, x.delegation.id))


@dataclass(frozen=True, slots=True)
class HistoryItem:
    delegation: Delegation
    status: str
    lapsed_on: dt.date | None  # first day it stopped counting because the grantor left the title


def history(conn: Connection, unit: Unit, on: dt.date) -> list[HistoryItem]:
    """Every delegation given in (or to a title of) UNIT, oldest first, with its status on ON."""
    out = []
    for d in delegations_of_unit(conn, [unit.id]):
        lapse = grantor_left_on(conn, d)
        if on < d.valid_from:
            status = "chưa bắt đầu"
        elif lapse is not None and lapse <= on and (d.valid_to is None or lapse < d.valid_to):
            status = f"mất hiệu lực từ {lapse:%d/%m/%Y} (người ủy quyền thôi giữ chức danh)"
        elif d.revoked_on is not None and d.revoked_on <= on:
            status = f"đã thu hồi từ {d.revoked_on:%d/%m/%Y}"
        elif d.valid_to is not None and d.valid_to <= on:
            status = f"đã hết hạn (đến hết {d.last_day:%d/%m/%Y})"
        else:
            res = check(conn, d, on)
            status = "đang có hiệu lực" if res.counts else f"không có hiệu lực: {res.reason}"
        out.append(HistoryItem(d, status, lapse))
    return out


def grantor_left_on(conn: Connection, d: Delegation) -> dt.date | None:
    """The day the grantor stopped holding the grantor title (None: still holds it, or beyond the period)."""
    spans = sorted(((h.valid_from, h.valid_to) for h in repo.holdings_history(conn, d.grantor_unit_id)
                    if h.person_id == d.grantor_person_id and h.title_code == d.grantor_title),
                   key=lambda p: p[0] or dt.date.min)
    day = d.valid_from
    for a, b in spans:  # walk the grantor's consecutive spans from the first day
        if (a is None or a <= day) and (b is None or day < b):
            if b is None:
                return None
            day = b
    return day
