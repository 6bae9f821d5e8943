"""Use cases of the staffing step, each taking a Connection inside the caller's transaction.

- :func:`propose` builds and stores who holds which title in each new group and commune of a plan;
- :func:`decisions_for_plan` reads the stored decisions (the execute step applies them);
- :func:`decide` carries them out on a merger applied before they were taken (settling awaiting titles);
- :func:`build_report` gives the surplus list, the figures of article 003's kind and the budget.

Everything is evaluated on the proposal's effective date: residence, titles held, rules and base salary.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from tinhgon.domain.lineage import LegalBasis
from tinhgon.domain.people import Person, TitleGroup, TitleHolding, TitleType
from tinhgon.domain.plans import Plan, PlanGroup
from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.registry import schema as s
from tinhgon.registry.plans import load_plan, load_plan_by_id
from tinhgon.rules import RuleBook, RuleError
from tinhgon.rules.results import AgeLimit, RuleRef
from tinhgon.rules.vnformat import format_date, round_vnd
from tinhgon.staffing import solver
from tinhgon.staffing.model import REASON_VI, Candidate, Decision, Effect, Pin, Reason, Scope, ScopeProblem, Surplus
from tinhgon.staffing.tables import staffing_decision, staffing_pin, staffing_proposal

MAX_TITLES_PER_PERSON = 2   # "one person holds two titles": never three in one group or commune
ALLOWANCE_GROUPS = (TitleGroup.GROUP_PART_TIME, TitleGroup.COMMUNE_PART_TIME)


@dataclass(slots=True)
class Context:
    """Everything the proposal and the report read from the registry and the rules, on one date."""

    plan: Plan
    effective: dt.date
    book: RuleBook
    titles: dict[str, TitleType]
    units: dict[int, Unit]                 # member units of the plan (old groups), households filled in
    group_commune: dict[str, Unit | None]  # plan group label -> its commune
    unit_commune: dict[int, Unit | None]
    communes: dict[int, Unit]              # communes concerned (class override applied)
    commune_parent: dict[int, Unit | None]
    holdings: list[TitleHolding]           # in force on the effective date, in member units and communes
    people: dict[int, Person]
    codes: dict[int, str | None]
    residence: dict[int, int | None]       # person -> the unit their household lives in
    group_titles: dict[str, list[str]]
    max_titles: dict[str, int]
    pairs: dict[str, list[tuple[str, str]]]
    quotas: dict[int, int | None]          # commune -> quota of people; None: unknown
    ended: dict[int, bool]                 # commune -> commune part-time workers ended on that date
    age_limits: dict[str, int]
    notes: list[str] = field(default_factory=list)
    refs: dict[str, RuleRef] = field(default_factory=dict)

    def cite(self, refs: Iterable[RuleRef]) -> None:
        for r in refs:
            self.refs.setdefault(r.rule_id, r)


# --- loading ----------------------------------------------------------------------------------------

def _person_codes(conn: Connection, ids: Iterable[int]) -> dict[int, str | None]:
    idl = sorted(set(ids))
    out: dict[int, str | None] = {}
    for i in range(0, len(idl), 900):
        for r in conn.execute(select(s.person.c.id, s.person.c.code).where(s.person.c.id.in_(idl[i:i + 900]))):
            out[int(r.id)] = r.code
    return out


def _residence(conn: Connection, people: dict[int, Person], on: dt.date) -> dict[int, int | None]:
    hh = sorted({p.household_id for p in people.values() if p.household_id is not None})
    where: dict[int, int] = {}
    R = s.household_residence
    for i in range(0, len(hh), 900):
        q = select(R.c.household_id, R.c.unit_id).where(repo.in_force_clause(R, on),
                                                         R.c.household_id.in_(hh[i:i + 900]))
        for r in conn.execute(q):
            where[int(r.household_id)] = int(r.unit_id)
    return {pid: (where.get(p.household_id) if p.household_id is not None else None) for pid, p in people.items()}


def age_limits_from_rules(book: RuleBook, on: dt.date, province_code: str | None) -> dict[str, AgeLimit]:
    """Age limits per title set by the rule packs on ON (rules of kind ``title_age_limit``; a province's
    rule wins over the national one), each with the rule to cite."""
    return book.title_age_limits(on, province_code)


def load_context(conn: Connection, plan: Plan, effective: dt.date, book: RuleBook, *,
                 commune_classes: dict[str, int] | None = None,
                 age_limits: dict[str, int] | None = None) -> Context:
    member_ids = sorted({u for g in plan.groups for u in g.unit_ids})
    if not member_ids:
        raise BadInput(f"phương án {plan.name!r} không có đơn vị nào", field="--plan")
    found = {u.id: u for u in repo.units_at(conn, effective, unit_ids=member_ids)}
    missing = [u for u in member_ids if u not in found]
    if missing:
        raise BadInput(f"{len(missing)} đơn vị của phương án không còn tồn tại vào ngày {format_date(effective)} "
                       f"(ví dụ đơn vị số {missing[0]}); chọn --effective khác", field="--effective")
    counts = repo.household_counts_at(conn, effective, [u for u, v in found.items() if v.households is None])
    units = {uid: (dataclasses.replace(u, households=counts.get(uid, 0)) if u.households is None else u)
             for uid, u in found.items()}

    commune_ids = {u.parent_id for u in units.values() if u.parent_id is not None}
    commune_ids |= {g.parent_unit_id for g in plan.groups if g.parent_unit_id is not None}
    classes = commune_classes or {}
    communes: dict[int, Unit] = {}
    for c in repo.units_at(conn, effective, unit_ids=commune_ids):
        if c.level != Level.COMMUNE:
            continue
        if c.code in classes:
            c = dataclasses.replace(c, commune_class=classes[c.code])
        communes[c.id] = c
    unknown = set(classes) - {c.code for c in communes.values()}
    if unknown:
        raise BadInput(f"--commune-class: không có xã/phường mã {sorted(unknown)[0]!r} trong phương án vào ngày "
                       f"{format_date(effective)}", field="--commune-class")
    commune_parent = {cid: (repo.unit_at(conn, c.parent_id, effective) if c.parent_id else None)
                      for cid, c in communes.items()}
    unit_commune = {uid: communes.get(u.parent_id) if u.parent_id else None for uid, u in units.items()}
    group_commune: dict[str, Unit | None] = {}
    for g in plan.groups:
        cid = g.parent_unit_id if g.parent_unit_id in communes else units[g.unit_ids[0]].parent_id
        group_commune[g.label] = communes.get(cid) if cid is not None else None

    titles = repo.title_types(conn)
    holdings = [h for h in repo.holdings_at(conn, effective, unit_ids=[*member_ids, *communes])
                if h.title_code in titles and (
                    (h.unit_id in units and titles[h.title_code].group in (TitleGroup.GROUP_PART_TIME,
                                                                            TitleGroup.OTHER))
                    or (h.unit_id in communes and titles[h.title_code].group == TitleGroup.COMMUNE_PART_TIME))]
    people = repo.people_by_ids(conn, {h.person_id for h in holdings})
    ctx = Context(plan=plan, effective=effective, book=book, titles=titles, units=units,
                  group_commune=group_commune, unit_commune=unit_commune, communes=communes,
                  commune_parent=commune_parent, holdings=holdings, people=people, codes={}, residence={},
                  group_titles={}, max_titles={}, pairs={}, quotas={}, ended={}, age_limits={})
    ctx.codes = _person_codes(conn, people)
    ctx.residence = _residence(conn, people, effective)

    province = next((u.province_code for u in units.values() if u.province_code), None)
    for t in age_limits or {}:
        if t not in titles:
            raise BadInput(f"--max-age: không có chức danh mã {t!r}", field="--max-age")
    from_rules = age_limits_from_rules(book, effective, province)
    # an official's --max-age wins over the pack for that title; a rule used is cited like every rule
    ctx.age_limits = {**{t: a.max_age for t, a in from_rules.items()}, **(age_limits or {})}
    ctx.cite(a.ref for t, a in from_rules.items() if t not in (age_limits or {}) and t in titles)

    order = {code: t.sort_order for code, t in titles.items()}
    for g in plan.groups:
        gt = book.group_titles(units[g.unit_ids[0]], effective, commune=group_commune[g.label])
        ctx.cite(gt.refs)
        ctx.group_titles[g.label] = sorted((t for t in gt.titles if t in titles), key=lambda t: (order[t], t))
        ctx.max_titles[g.label] = gt.max_titles
        ctx.pairs[g.label] = list(gt.encouraged_pairs) if gt.concurrency_encouraged else []

    unknown_quota: list[str] = []
    for cid, c in sorted(communes.items(), key=lambda kv: kv[1].code):
        try:
            q = book.commune_part_time_quota(c, effective, parent=commune_parent[cid])
        except RuleError as exc:
            ctx.quotas[cid] = None
            ctx.ended[cid] = False
            unknown_quota.append(f"{c.name} ({c.code}): {exc}")
            continue
        ctx.cite(q.refs)
        ctx.ended[cid] = q.ended
        ctx.quotas[cid] = q.quota
        if q.ended:
            ctx.notes.append(f"{c.name} ({c.code}): từ ngày hiệu lực không còn bố trí người hoạt động không chuyên "
                             f"trách cấp xã ({q.ref.cite()}); phần cấp xã của đề xuất để trống.")
    if unknown_quota:
        ctx.notes.append(
            f"Không xác định được định mức người hoạt động không chuyên trách của {len(unknown_quota)} xã/phường "
            f"({'; '.join(unknown_quota)}): đề xuất không vượt quá số người đang làm, quỹ phụ cấp cấp xã tính bằng 0. "
            f"Có thể cho biết loại đơn vị bằng --commune-class MÃ_XÃ:LOẠI.")
    return ctx


def _ineligible(ctx: Context, p: Person, title: str, home_units: set[int] | None) -> list[str]:
    why: list[str] = []
    t = ctx.titles[title]
    if t.requires_party_member and not p.party_member:
        why.append("không phải đảng viên")
    if home_units is not None:
        where = ctx.residence.get(p.id)
        if where is None:
            why.append("không có thông tin nơi cư trú")
        elif where not in home_units:
            why.append("không cư trú trong tổ mới")
    limit = ctx.age_limits.get(title)
    age = p.age_on(ctx.effective)
    if limit is not None and age is not None and age > limit:
        why.append(f"quá {limit} tuổi")
    return why


def build_problems(ctx: Context, pins: Sequence[Pin] = ()) -> list[ScopeProblem]:
    group_of_unit = {u: g for g in ctx.plan.groups for u in g.unit_ids}
    held: dict[str, dict[int, dict[str, bool]]] = defaultdict(lambda: defaultdict(dict))
    for h in ctx.holdings:
        if h.unit_id in group_of_unit:
            held[group_of_unit[h.unit_id].label][h.person_id][h.title_code] = h.concurrent
        elif h.unit_id in ctx.communes:
            held[f"commune:{h.unit_id}"][h.person_id][h.title_code] = h.concurrent
    problems: list[ScopeProblem] = []
    for g in ctx.plan.groups:
        pool = dict(held[g.label])
        for pin in pins:
            if pin.scope == Scope.GROUP and pin.group_label == g.label:
                pool.setdefault(pin.person_id, {})
        home = set(g.unit_ids)
        cands = []
        for pid in sorted(pool):
            person = ctx.people[pid]
            c = Candidate(pid, dict(pool[pid]))
            for t in ctx.group_titles[g.label]:
                c.ineligible[t] = _ineligible(ctx, person, t, home)
            cands.append(c)
        problems.append(ScopeProblem(key=g.label, scope=Scope.GROUP, titles=list(ctx.group_titles[g.label]),
                                     candidates=cands, max_people=None,
                                     max_titles_per_person=min(MAX_TITLES_PER_PERSON, ctx.max_titles[g.label]),
                                     encouraged_pairs=list(ctx.pairs[g.label]), merger=g.is_merger))
    order = {code: t.sort_order for code, t in ctx.titles.items()}
    for cid, _c in sorted(ctx.communes.items(), key=lambda kv: kv[1].code):
        key = f"commune:{cid}"
        if ctx.ended.get(cid):
            continue
        pool = dict(held[key])
        titles = sorted({t for d in pool.values() for t in d}, key=lambda t: (order[t], t))
        for pin in pins:
            if pin.scope == Scope.COMMUNE and pin.commune_unit_id == cid:
                pool.setdefault(pin.person_id, {})
        if not titles:
            continue
        quota = ctx.quotas.get(cid)
        if quota is None:
            quota = len({pid for pid, d in pool.items() if d})
        cands = []
        for pid in sorted(pool):
            cand = Candidate(pid, dict(pool[pid]))
            for t in titles:
                cand.ineligible[t] = _ineligible(ctx, ctx.people[pid], t, None)
            cands.append(cand)
        problems.append(ScopeProblem(key=key, scope=Scope.COMMUNE, titles=titles, candidates=cands,
                                     max_people=quota, max_titles_per_person=MAX_TITLES_PER_PERSON,
                                     encouraged_pairs=[], merger=False))
    return problems


# --- pins -------------------------------------------------------------------------------------------

def parse_pin(conn: Connection, ctx: Context, text: str) -> Pin:
    """``GROUP:TITLE:PERSON_CODE`` where GROUP is a plan group's label or a commune's code."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise BadInput(f"ghim không hợp lệ: {text!r} (dùng NHÓM:CHỨC_DANH:MÃ_NGƯỜI)", field="--pin")
    where, title, code = (p.strip() for p in parts)
    if title not in ctx.titles:
        raise BadInput(f"ghim {text!r}: không có chức danh mã {title!r}", field="--pin")
    row = conn.execute(select(s.person.c.id).where(s.person.c.code == code)).first()
    if row is None:
        raise BadInput(f"ghim {text!r}: không có người mã {code!r}", field="--pin")
    pid = int(row.id)
    if any(g.label == where for g in ctx.plan.groups):
        return Pin(Scope.GROUP, where, None, title, pid)
    commune = next((c for c in ctx.communes.values() if c.code == where), None)
    if commune is None:
        raise BadInput(f"ghim {text!r}: {where!r} không phải nhãn tổ trong phương án hay mã xã/phường liên quan",
                       field="--pin")
    return Pin(Scope.COMMUNE, None, commune.id, title, pid)


def stored_pins(conn: Connection, plan_id: int) -> list[Pin]:
    P = staffing_pin
    rows = conn.execute(select(P).where(P.c.plan_id == plan_id).order_by(P.c.id))
    return [Pin(Scope(r.scope), r.group_label, r.commune_unit_id, r.title_code, int(r.person_id)) for r in rows]


def _merge_pins(old: Sequence[Pin], new: Sequence[Pin]) -> list[Pin]:
    """A new pin replaces an old one on the same title."""
    by_slot = {p.slot: p for p in old}
    for p in new:
        by_slot[p.slot] = p
    return list(by_slot.values())


# --- proposing --------------------------------------------------------------------------------------

@dataclass(slots=True)
class Proposal:
    plan: Plan
    effective: dt.date
    decisions: list[Decision]
    notes: list[str]


def propose(conn: Connection, plan_name: str, *, effective: dt.date | None = None, pins: Sequence[str] = (),
            unpin: Sequence[str] = (), clear_pins: bool = False, book: RuleBook | None = None,
            commune_classes: dict[str, int] | None = None, age_limits: dict[str, int] | None = None,
            time_limit: float = 60.0) -> Proposal:
    """Propose and store who holds each title of the plan's new groups and communes (replaces the last one)."""
    plan = load_plan(conn, plan_name)
    assert plan.id is not None
    book = book or RuleBook.load_default()
    eff = effective or plan.at
    ctx = load_context(conn, plan, eff, book, commune_classes=commune_classes, age_limits=age_limits)
    new_pins = [parse_pin(conn, ctx, p) for p in pins]
    kept = [] if clear_pins else stored_pins(conn, plan.id)
    for text in unpin:
        where, _, title = text.rpartition(":")
        slot_keys = {where} | {f"commune:{c.id}" for c in ctx.communes.values() if c.code == where}
        before = len(kept)
        kept = [p for p in kept if not (p.slot[0] in slot_keys and p.title_code == title)]
        if len(kept) == before:
            raise BadInput(f"bỏ ghim {text!r}: không có ghim nào như vậy", field="--unpin")
    all_pins = _merge_pins(kept, new_pins)
    # a pinned person who held nothing in the plan's units still needs their data
    outsiders = {p.person_id for p in all_pins} - set(ctx.people)
    if outsiders:
        more = repo.people_by_ids(conn, outsiders)
        ctx.people.update(more)
        ctx.codes.update(_person_codes(conn, more))
        ctx.residence.update(_residence(conn, more, eff))
    problems = build_problems(ctx, all_pins)
    allowance = {c for c, t in ctx.titles.items() if t.group in ALLOWANCE_GROUPS}
    assigned = solver.solve(problems, all_pins, allowance_titles=allowance, time_limit=time_limit)
    decisions = []
    for a in assigned:
        if a.scope_key.startswith("commune:"):
            scope, label, cid = Scope.COMMUNE, None, int(a.scope_key.split(":", 1)[1])
        else:
            scope, label, cid = Scope.GROUP, a.scope_key, None
        text = REASON_VI[a.reason] + (f" ({a.vacancy_detail})" if a.vacancy_detail else "")
        decisions.append(Decision(plan.id, scope, label, cid, a.title, a.person_id, a.concurrent, a.reason, text,
                                  a.pinned))
    _store(conn, plan, eff, decisions, all_pins, ctx.notes,
           {"commune_classes": commune_classes or {}, "age_limits": age_limits or {}})
    return Proposal(plan, eff, decisions, ctx.notes)


def _store(conn: Connection, plan: Plan, eff: dt.date, decisions: Sequence[Decision], pins: Sequence[Pin],
           notes: list[str], params: dict[str, Any]) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for table in (staffing_decision, staffing_pin, staffing_proposal):
        conn.execute(delete(table).where(table.c.plan_id == plan.id))
    conn.execute(insert(staffing_proposal).values(plan_id=plan.id, effective_date=eff, created_at=now,
                                                  params=json.dumps(params, ensure_ascii=False),
                                                  notes=json.dumps(notes, ensure_ascii=False)))
    if pins:
        conn.execute(insert(staffing_pin), [
            {"plan_id": plan.id, "scope": p.scope.value, "group_label": p.group_label,
             "commune_unit_id": p.commune_unit_id, "title_code": p.title_code, "person_id": p.person_id,
             "created_at": now} for p in pins])
    if decisions:
        conn.execute(insert(staffing_decision), [
            {"plan_id": d.plan_id, "scope": d.scope.value, "group_label": d.group_label,
             "commune_unit_id": d.commune_unit_id, "title_code": d.title_code, "person_id": d.person_id,
             "concurrent": d.concurrent, "reason_code": d.reason_code.value, "reason": d.reason,
             "pinned": d.pinned} for d in decisions])


def decisions_for_plan(conn: Connection, plan_id: int) -> list[Decision]:
    """The stored decisions of a plan (empty when nothing was proposed): what the execute step applies."""
    D = staffing_decision
    rows = conn.execute(select(D).where(D.c.plan_id == plan_id).order_by(D.c.id))
    return [Decision(int(r.plan_id), Scope(r.scope), r.group_label, r.commune_unit_id, r.title_code,
                     r.person_id, bool(r.concurrent), Reason(r.reason_code), r.reason, bool(r.pinned))
            for r in rows]


def decide(conn: Connection, plan_name: str, basis: LegalBasis, *, by: str | None,
           start: dt.date | None = None) -> Any:
    """The stored decisions become the staffing decision of a merger already carried out
    (``tinhgon merge apply`` ran before them): the new groups' titles that awaited a decision are given
    as decided and marked settled (who, when, which decision), and the commune's titles are set as
    decided, from START (default: the merger's effective date). Returns the execute step's settlement.
    Before the merger is applied nothing is needed: ``merge apply`` carries the decisions out itself."""
    from tinhgon.execute.service import apply_staffing_decisions

    return apply_staffing_decisions(conn, plan_name, basis, by=by, start=start)


def proposal_info(conn: Connection, plan_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(staffing_proposal).where(staffing_proposal.c.plan_id == plan_id)).first()
    if row is None:
        return None
    return {"effective_date": row.effective_date, "created_at": row.created_at,
            "params": json.loads(row.params or "{}"), "notes": json.loads(row.notes or "[]")}


# --- the report -------------------------------------------------------------------------------------

@dataclass(slots=True)
class StaffingReport:
    plan: Plan
    ctx: Context
    decisions: list[Decision]
    surplus: list[Surplus]
    effect: Effect
    group_funds: list[dict[str, Any]]     # per new group: label, name, units, households, fund before/after
    commune_rows: list[dict[str, Any]]    # per commune: code, name, quota, fund, workers before/after


def _new_group_unit(ctx: Context, g: PlanGroup) -> Unit:
    members = [ctx.units[u] for u in g.unit_ids]
    lead = max(members, key=lambda u: (u.households or 0, -u.id))
    return dataclasses.replace(
        lead, id=0, code=g.new_code or g.label, name=g.new_name or g.label,
        households=sum(u.households or 0 for u in members),
        security_key=any(u.security_key for u in members), border=any(u.border for u in members),
        island=any(u.island for u in members), version_id=None)


def _service_years(conn: Connection, person_ids: Iterable[int], on: dt.date) -> dict[int, tuple[float, bool]]:
    """Years each person held any title up to ON (overlaps counted once), and whether every start is known."""
    H = s.title_holding
    spans: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    known: dict[int, bool] = defaultdict(lambda: True)
    idl = sorted(set(person_ids))
    for i in range(0, len(idl), 900):
        for r in conn.execute(select(H.c.person_id, H.c.valid_from, H.c.valid_to)
                              .where(H.c.person_id.in_(idl[i:i + 900]))):
            if r.valid_from is None:
                known[r.person_id] = False
                continue
            end = min(r.valid_to or on, on)
            if r.valid_from < end:
                spans[r.person_id].append((r.valid_from, end))
    out: dict[int, tuple[float, bool]] = {}
    for pid in idl:
        days = 0
        cur_a: dt.date | None = None
        cur_b: dt.date | None = None
        for a, b in sorted(spans.get(pid, [])):
            if cur_b is None or a > cur_b:
                if cur_a is not None and cur_b is not None:
                    days += (cur_b - cur_a).days
                cur_a, cur_b = a, b
            elif b > cur_b:
                cur_b = b
        if cur_a is not None and cur_b is not None:
            days += (cur_b - cur_a).days
        out[pid] = (service_years_from_days(days), known[pid])
    return out


def service_years_from_days(days: int) -> float:
    return round(days / 365.25, 2)


def build_report(conn: Connection, plan_name: str, *, book: RuleBook | None = None) -> StaffingReport:
    plan = load_plan(conn, plan_name)
    assert plan.id is not None
    info = proposal_info(conn, plan.id)
    if info is None:
        raise BadInput(f"phương án {plan.name!r} chưa có đề xuất bố trí; chạy trước: tinhgon staffing propose "
                       f"--plan {plan.name!r}", field="--plan")
    book = book or RuleBook.load_default()
    eff: dt.date = info["effective_date"]
    params = info["params"]
    ctx = load_context(conn, plan, eff, book, commune_classes=params.get("commune_classes") or None,
                       age_limits=params.get("age_limits") or None)
    ctx.notes = list(info["notes"])
    decisions = decisions_for_plan(conn, plan.id)
    holders = {d.person_id for d in decisions if d.person_id is not None}
    missing = holders - set(ctx.people)
    if missing:
        more = repo.people_by_ids(conn, missing)
        ctx.people.update(more)
        ctx.codes.update(_person_codes(conn, more))

    base = book.base_salary(eff)
    ctx.cite(base.refs)
    province = next((u.province_code for u in ctx.units.values() if u.province_code), None)
    share: Decimal | None
    try:
        setting = book.concurrent_pay_share(province, eff)
        share = setting.share
        ctx.cite(setting.refs)
    except RuleError:
        share = None
        ctx.notes.append("Tỉnh chưa quy định mức hưởng khi kiêm nhiệm: phần chi cho chức danh kiêm nhiệm tính bằng 0.")

    # allowance funds: old units (before) and new groups (after), each with the per-title amount inside
    per_title_old: dict[int, Decimal] = {}
    fund_before_unit: dict[int, int] = {}
    for uid, u in ctx.units.items():
        f = book.group_fund(u, eff, commune=ctx.unit_commune[uid])
        ctx.cite(f.refs)
        fund_before_unit[uid] = f.monthly
        label = next(g.label for g in plan.groups if uid in g.unit_ids)
        per_title_old[uid] = Decimal(f.monthly) / ctx.max_titles[label]
    group_rows: list[dict[str, Any]] = []
    per_title_new: dict[str, Decimal] = {}
    for g in plan.groups:
        nu = _new_group_unit(ctx, g)
        f = book.group_fund(nu, eff, commune=ctx.group_commune[g.label])
        per_title_new[g.label] = Decimal(f.monthly) / ctx.max_titles[g.label]
        group_rows.append({
            "label": g.label, "name": g.new_name or g.label, "merger": g.is_merger,
            "units": [ctx.units[u].code for u in g.unit_ids], "unit_names": [ctx.units[u].name for u in g.unit_ids],
            "households": nu.households, "fund_before": sum(fund_before_unit[u] for u in g.unit_ids),
            "fund_after": f.monthly, "tier_after": f.tier_label, "coefficient_after": f.coefficient,
        })

    commune_fund: dict[int, int] = {}
    per_title_commune: dict[int, Decimal] = {}
    for cid, c in ctx.communes.items():
        try:
            cf = book.commune_part_time_fund(c, eff, parent=ctx.commune_parent[cid])
        except RuleError as exc:
            commune_fund[cid] = 0
            if ctx.quotas.get(cid) is not None:  # an unknown quota is already explained once
                ctx.notes.append(f"{c.name} ({c.code}): không tính được quỹ phụ cấp cấp xã ({exc}); tính bằng 0.")
            continue
        ctx.cite(cf.refs)
        commune_fund[cid] = cf.monthly
        quota = ctx.quotas.get(cid)
        per_title_commune[cid] = Decimal(cf.monthly) / quota if quota else Decimal(0)

    def paid(amount: Decimal, concurrent: bool) -> Decimal:
        if not concurrent:
            return amount
        return amount * share if share is not None else Decimal(0)

    titles = ctx.titles
    before_group_people: set[int] = set()
    before_commune_people: set[int] = set()
    paid_before = Decimal(0)
    allowance_of: dict[int, Decimal] = defaultdict(Decimal)    # a person's main allowance before
    held_before: dict[int, list[str]] = defaultdict(list)
    for h in ctx.holdings:
        grp = titles[h.title_code].group
        if grp == TitleGroup.GROUP_PART_TIME and h.unit_id in ctx.units:
            before_group_people.add(h.person_id)
            amount = per_title_old[h.unit_id]
            code = ctx.units[h.unit_id].code
        elif grp == TitleGroup.COMMUNE_PART_TIME and h.unit_id in ctx.communes:
            before_commune_people.add(h.person_id)
            amount = per_title_commune.get(h.unit_id, Decimal(0))
            code = ctx.communes[h.unit_id].code
        else:
            continue
        paid_before += paid(amount, h.concurrent)
        allowance_of[h.person_id] = max(allowance_of[h.person_id], amount)
        held_before[h.person_id].append(f"{h.title_code}@{code}")

    after_group_people = {d.person_id for d in decisions if d.scope == Scope.GROUP and d.person_id is not None}
    after_commune_people = {d.person_id for d in decisions if d.scope == Scope.COMMUNE and d.person_id is not None}
    paid_after = Decimal(0)
    for d in decisions:
        if d.person_id is None:
            continue
        amount = per_title_new[d.group_label] if d.scope == Scope.GROUP and d.group_label is not None else \
            per_title_commune.get(d.commune_unit_id or 0, Decimal(0))
        paid_after += paid(amount, d.concurrent)

    # the surplus: held an allowance title before, holds nothing now
    released = sorted((before_group_people | before_commune_people) - holders)
    years = _service_years(conn, released, eff)
    surplus: list[Surplus] = []
    support_missing = False
    ended_communes = {cid for cid, e in ctx.ended.items() if e}
    for pid in released:
        person = ctx.people[pid]
        monthly = round_vnd(allowance_of[pid])
        yrs, known = years[pid]
        support, placeholder = 0, False
        try:
            rs = book.release_support(province, eff, monthly_allowance=monthly, years_of_service=yrs)
            support, placeholder = rs.amount, rs.placeholder
            ctx.cite(rs.refs)
        except RuleError:
            support_missing = True
        why = "thôi giữ chức danh do sáp nhập, bố trí kiêm nhiệm"
        if any(h.person_id == pid and h.unit_id in ended_communes for h in ctx.holdings):
            why = "chấm dứt chức danh không chuyên trách cấp xã theo quy định"
        surplus.append(Surplus(pid, ctx.codes.get(pid), person.full_name, tuple(sorted(held_before[pid])), yrs,
                               known, monthly, support, placeholder, why))
    if support_missing:
        ctx.notes.append("Tỉnh chưa quy định mức hỗ trợ người thôi làm việc: hỗ trợ tính bằng 0.")
    if any(x.support_placeholder for x in surplus):
        ctx.notes.append("Mức hỗ trợ người thôi làm việc là giá trị mặc định chưa có văn bản (placeholder): "
                         "thay bằng mức của HĐND tỉnh trước khi dùng chính thức.")

    commune_rows = []
    for cid, c in sorted(ctx.communes.items(), key=lambda kv: kv[1].code):
        commune_rows.append({
            "code": c.code, "name": c.name, "quota": ctx.quotas.get(cid), "ended": ctx.ended.get(cid, False),
            "fund": commune_fund.get(cid, 0),
            "workers_before": len({h.person_id for h in ctx.holdings if h.unit_id == cid
                                   and titles[h.title_code].group == TitleGroup.COMMUNE_PART_TIME}),
            "workers_after": len({d.person_id for d in decisions if d.commune_unit_id == cid and d.person_id}),
        })
    commune_total = sum(commune_fund.values())
    effect = Effect(
        effective=eff, base_salary=base.amount,
        groups_before=len(ctx.units), groups_after=len(plan.groups),
        group_workers_before=len(before_group_people), group_workers_after=len(after_group_people),
        commune_workers_before=len(before_commune_people), commune_workers_after=len(after_commune_people),
        group_fund_before=sum(fund_before_unit.values()), group_fund_after=sum(r["fund_after"] for r in group_rows),
        commune_fund_before=commune_total, commune_fund_after=commune_total,
        paid_before=round_vnd(paid_before), paid_after=round_vnd(paid_after),
        concurrent_share=float(share) if share is not None else None,
        support_total=sum(x.support for x in surplus), notes=ctx.notes)
    return StaffingReport(plan, ctx, decisions, surplus, effect, group_rows, commune_rows)


def report_by_plan_id(conn: Connection, plan_id: int, *, book: RuleBook | None = None) -> StaffingReport:
    return build_report(conn, load_plan_by_id(conn, plan_id).name, book=book)
