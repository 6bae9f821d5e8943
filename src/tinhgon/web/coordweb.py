"""Coordination rules, delegations of authority and workload in the web app, over ``tinhgon.coordination``:
the pages of a unit (rules in force with their versions, signings and evaluations; delegations with who may
act, expiring, lapsed and their history; the workload flags), their forms (sign or re-sign, evaluate, grant,
revoke) and the matching JSON endpoints under /api/v1.

Roles as everywhere else: every role reads what lies in its scope; only the registry editors (province and
commune officers) write. Names of people are shown only to roles that see personal data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.web.apierrors import ERRORS
from tinhgon.web.context import CtxDep, require_csrf

router = APIRouter(responses=ERRORS)  # the pages are left out of the schema; the /api/v1 routes are in it
CSRF = [Depends(require_csrf)]
TAGS: list[str | Enum] = ["tinhgon"]
DEFAULT_WITHIN = 30   # days: a delegation ending sooner is flagged (as `tinhgon delegation who-may`)


def _page(ctx: Any, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    from tinhgon.web.views import _page as page

    return page(ctx, name, context, status_code)


def _prepare(ctx: Any) -> None:
    """The governance model decides signings and delegation conditions: seed the Hà Nội urban-government
    pilot on first use, exactly as the command line does (idempotent; nothing to do after the first time)."""
    from tinhgon.coordination.governance import ensure_hanoi_pilot

    ensure_hanoi_pilot(ctx.conn)


def _editor(ctx: Any) -> None:
    ctx.need(ctx.account.role.edits_registry)


def _undo(ctx: Any) -> None:
    """A refused form writes nothing: end the request's transaction before the page is shown again (the
    services check before their first write; this also drops anything the request did before)."""
    ctx.conn.rollback()
    ctx.conn.begin()


def _day(text: str, field_name: str) -> dt.date:
    from tinhgon.web.service import parse_at

    if not text.strip():
        raise BadInput("cần ngày (dd/mm/yyyy)", field=field_name)
    return parse_at(text)


def _opt_day(text: str, field_name: str) -> dt.date | None:
    return _day(text, field_name) if text.strip() else None


def _under(ctx: Any, unit: Unit) -> list[int]:
    return [unit.id, *(u.id for u in repo.descendants(ctx.conn, unit.id, ctx.on))]


# --- coordination rules: what a unit signed, re-signed and how it was evaluated ---------------------------

@router.get("/coordination", include_in_schema=False)
def coordination_home(ctx: CtxDep) -> Response:
    """The navigation's entry: the coordination page of the account's top unit (or the choice of units)."""
    roots = ctx.root_units()
    if len(roots) == 1:
        return RedirectResponse(f"/units/{roots[0].id}/coordination?at={ctx.on.isoformat()}", status_code=303)
    return _page(ctx, "home.html", {"units": roots})


@dataclass(slots=True)
class RuleView:
    report: Any                   # coordination.service.RuleReport
    evaluation_years: dict[int, int] = field(default_factory=dict)


def rule_views(ctx: Any, unit: Unit, year: int) -> list[RuleView]:
    """Every coordination rule signed at the unit's level or below it, with the report of the unit's scope."""
    from tinhgon.coordination import service as cs

    out = []
    for rule in cs.list_rules(ctx.conn):
        if rule.unit_level.rank < unit.level.rank:
            continue  # signed above this unit (a commune rule seen from a residential group)
        rep = cs.rule_report(ctx.conn, rule.code, unit, ctx.on, year)
        if not rep.units:
            continue
        ids = [u.unit.id for u in rep.units]
        years = Counter(e.year for e in cs.evaluations_of(ctx.conn, rule, unit_ids=ids) if e.evaluated_on <= ctx.on)
        out.append(RuleView(rep, dict(sorted(years.items()))))
    return out


def _year(ctx: Any, year: int | None) -> int:
    if year is None:
        return ctx.on.year
    if not 1900 <= year <= 2200:
        raise HTTPException(400, f"Năm không hợp lệ: {year}.")
    return year


@router.get("/units/{unit_id}/coordination", include_in_schema=False)
def coordination_page(unit_id: int, ctx: CtxDep, year: int | None = None, signed: int | None = None,
                      skipped: int | None = None, evaluated: str | None = None) -> Response:
    unit = ctx.unit(unit_id)
    _prepare(ctx)
    return _coordination(ctx, unit, _year(ctx, year), {"signed": signed, "skipped": skipped,
                                                       "evaluated": evaluated})


def _coordination(ctx: Any, unit: Unit, year: int, done: dict[str, Any], error: str | None = None,
                  form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    from tinhgon.coordination.governance import bodies_of
    from tinhgon.coordination.model import Rating

    rules = rule_views(ctx, unit, year)
    _log_signatories(ctx, unit, rules)
    return _page(ctx, "coordination.html", {
        "unit": unit, "year": year, "rules": rules, "bodies": bodies_of(ctx.conn, unit, ctx.on),
        "names": ctx.account.role.sees_personal_data, "can_edit": ctx.account.role.edits_registry,
        "ratings": list(Rating), "done": done, "error": error, "form": form or {},
        "ancestors": repo.ancestors(ctx.conn, unit, ctx.on)}, status_code)


def _log_signatories(ctx: Any, unit: Unit, rules: list[RuleView]) -> None:
    """Signatories' names are shown to roles that see personal data: log it (see Ctx.log_personal)."""
    if ctx.account.role.sees_personal_data:
        ctx.log_personal("person", unit.id, [pid for v in rules for pid in v.report.people])


def _sign(ctx: Any, unit_id: int, rule: str, day: dt.date, version: int | None, skip_vacant: bool,
          note: str | None) -> tuple[Unit, Any]:
    from tinhgon.coordination import service as cs

    unit = ctx.at(day).unit(unit_id)   # in force and inside the scope on the signing day
    _editor(ctx)
    _prepare(ctx)
    r = cs.get_rule(ctx.conn, rule)
    units = cs.scope_units(ctx.conn, unit, r.unit_level, day)
    if not units:
        raise BadInput(f"{unit.name} không có đơn vị nào ở cấp ký quy chế {r.code} ({r.unit_level.label_vi})",
                       field="rule")
    return unit, cs.sign(ctx.conn, r.code, units, day, version_no=version, note=note or None,
                         skip_vacant=skip_vacant)


@router.post("/units/{unit_id}/coordination/sign", dependencies=CSRF, include_in_schema=False)
def coordination_sign(unit_id: int, ctx: CtxDep, rule: Annotated[str, Form()], signed_on: Annotated[str, Form()],
                      version: Annotated[str, Form()] = "", skip_vacant: Annotated[str, Form()] = "",
                      note: Annotated[str, Form()] = "") -> Response:
    """Sign (or re-sign after a revision) for the unit and every unit under it at the rule's level."""
    ctx.unit(unit_id)   # scope first: outside it, the answer is the same for every role
    _editor(ctx)
    form = {"rule": rule, "signed_on": signed_on, "version": version, "skip_vacant": skip_vacant, "note": note}
    try:
        day = _day(signed_on, "signed_on")
        vno = int(version) if version.strip() else None
        _unit, res = _sign(ctx, unit_id, rule, day, vno, skip_vacant == "yes", note.strip())
    except ValueError:
        _undo(ctx)
        return _coordination(ctx, ctx.unit(unit_id), ctx.on.year, {}, f"Phiên bản không hợp lệ: {version!r}.",
                             form, 400)
    except BadInput as exc:
        _undo(ctx)
        return _coordination(ctx, ctx.unit(unit_id), ctx.on.year, {}, str(exc), form, 400)
    q = urlencode({"at": day.isoformat(), "signed": len(res.signed), "skipped": len(res.skipped)})
    return RedirectResponse(f"/units/{unit_id}/coordination?{q}", status_code=303)


_SCORE = re.compile(r"^(.+?)=\s*([0-9]+(?:[.,][0-9]+)?)\s*/\s*([0-9]+(?:[.,][0-9]+)?)\s*(?:\|(.*))?$")


def parse_scores(text: str) -> list[Any]:
    """One criterion a line: 'Tiêu chí=18/20' or 'Tiêu chí=18/20|nhận xét' (the command line's --score)."""
    from tinhgon.coordination.model import Score

    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _SCORE.match(line.strip())
        if not m:
            raise BadInput(f"dòng {n}: điểm không hợp lệ {line.strip()!r} (dùng 'Tiêu chí=8/10' hoặc "
                           f"'Tiêu chí=8/10|nhận xét')", field="scores")
        out.append(Score(m.group(1).strip(), float(m.group(2).replace(",", ".")),
                         float(m.group(3).replace(",", ".")), (m.group(4) or "").strip() or None))
    return out


def _evaluate(ctx: Any, unit_id: int, rule: str, year: int, day: dt.date, scores: list[Any], rating: str | None,
              comment: str | None) -> Any:
    from tinhgon.coordination import service as cs
    from tinhgon.coordination.model import parse_rating

    unit = ctx.at(day).unit(unit_id)
    _editor(ctx)
    if not 1900 <= year <= 2200:
        raise BadInput(f"năm không hợp lệ: {year}", field="year")
    r = cs.get_rule(ctx.conn, rule)
    if unit.level is not r.unit_level:
        raise BadInput(f"{unit.name} là {unit.level.label_vi}; quy chế {r.code} được đánh giá ở từng "
                       f"{r.unit_level.label_vi}", field="rule")
    return cs.evaluate(ctx.conn, r.code, unit, year=year, evaluated_on=day, scores=scores,
                       rating=parse_rating(rating, field="rating") if rating else None, comment=comment or None)


@router.post("/units/{unit_id}/coordination/evaluate", dependencies=CSRF, include_in_schema=False)
def coordination_evaluate(unit_id: int, ctx: CtxDep, rule: Annotated[str, Form()], year: Annotated[str, Form()],
                          evaluated_on: Annotated[str, Form()], scores: Annotated[str, Form()] = "",
                          rating: Annotated[str, Form()] = "", comment: Annotated[str, Form()] = "") -> Response:
    """The yearly evaluation of one unit (a residential group for a group-level rule)."""
    ctx.unit(unit_id)
    _editor(ctx)
    form = {"rule": rule, "year": year, "evaluated_on": evaluated_on, "scores": scores, "rating": rating,
            "comment": comment}
    try:
        day = _day(evaluated_on, "evaluated_on")
        if not year.strip().isdigit():
            raise BadInput(f"năm không hợp lệ: {year!r}", field="year")
        ev = _evaluate(ctx, unit_id, rule, int(year), day, parse_scores(scores), rating.strip() or None,
                       comment.strip())
    except BadInput as exc:
        _undo(ctx)
        return _coordination(ctx, ctx.unit(unit_id), ctx.on.year, {}, str(exc), form, 400)
    q = urlencode({"at": day.isoformat(), "year": ev.year, "evaluated": ev.rating.value})
    return RedirectResponse(f"/units/{unit_id}/coordination?{q}", status_code=303)


# --- delegations ------------------------------------------------------------------------------------------

@dataclass(slots=True)
class DelegationRow:
    d: Any                        # coordination.model.Delegation
    status: str                   # active | not_counting | future | expired | revoked | lapsed
    status_vi: str
    lapsed_on: dt.date | None
    expiring: bool
    days_left: int | None


def delegation_status(item: Any, on: dt.date) -> str:
    """A key for a history item's state on ON, in the order delegation.history decides it (its text is
    shown; the key groups the rows): not yet started, lapsed (grantor left the title), revoked, expired."""
    d = item.delegation
    if on < d.valid_from:
        return "future"
    if item.lapsed_on is not None and item.lapsed_on <= on and (d.valid_to is None or item.lapsed_on < d.valid_to):
        return "lapsed"
    if d.revoked_on is not None and d.revoked_on <= on:
        return "revoked"
    if d.valid_to is not None and d.valid_to <= on:
        return "expired"
    return "active" if item.status == "đang có hiệu lực" else "not_counting"


def delegation_rows(ctx: Any, unit: Unit, within: int = DEFAULT_WITHIN) -> list[DelegationRow]:
    """Every delegation given in the unit or under it (or to one of its titles), oldest first, with its state
    on the date asked (delegation.history) and the expiry warning (delegation.expiring)."""
    from tinhgon.coordination import delegation as dl

    ids = _under(ctx, unit)
    found = dl.delegations_of_unit(ctx.conn, ids)
    soon = {x.delegation.id: x for x in dl.expiring(ctx.conn, ctx.on, within_days=within, unit_ids=ids)}
    rows: dict[int, DelegationRow] = {}
    for uid in sorted({d.grantor_unit_id for d in found}):
        # history reads only the unit's identity: a unit no longer in force is given by its last version
        u = repo.unit_at(ctx.conn, uid, ctx.on) or repo.unit_history(ctx.conn, uid)[-1]
        for item in dl.history(ctx.conn, u, ctx.on):
            if item.delegation.id in rows:
                continue
            x = soon.get(item.delegation.id)
            status = delegation_status(item, ctx.on)
            rows[item.delegation.id] = DelegationRow(item.delegation, status, item.status, item.lapsed_on,
                                                     x is not None and status == "active",
                                                     x.days_left if x is not None else None)
    return sorted(rows.values(), key=lambda r: (r.d.valid_from, r.d.id))


@dataclass(slots=True)
class Names:
    titles: dict[str, str]
    acts: dict[str, str]
    people: dict[int, str]

    def person(self, pid: int | None) -> str | None:
        return None if pid is None else self.people.get(pid)


def names_for(ctx: Any, person_ids: set[int]) -> Names:
    from tinhgon.coordination.model import load_catalogue
    from tinhgon.coordination.service import title_names

    people = {}
    if ctx.account.role.sees_personal_data and person_ids:
        people = {pid: p.full_name for pid, p in repo.people_by_ids(ctx.conn, person_ids).items()}
        ctx.log_personal("person", None, list(people))
    return Names(title_names(ctx.conn), {a.code: a.name_vi for a in load_catalogue().acts.values()}, people)


def _persons(rows: list[DelegationRow]) -> set[int]:
    return {x for r in rows for x in (r.d.grantor_person_id, r.d.grantee_person_id) if x is not None}


def who_may_all(ctx: Any, unit: Unit, within: int = DEFAULT_WITHIN) -> list[Any]:
    """Who may perform each act of the catalogue done at the unit's level (none for other levels)."""
    from tinhgon.coordination import delegation as dl
    from tinhgon.coordination.model import load_catalogue

    return [dl.who_may(ctx.conn, unit, a.code, ctx.on, within_days=within)
            for a in load_catalogue().acts.values() if a.level is unit.level]


def _acts_here(unit: Unit) -> list[Any]:
    from tinhgon.coordination.model import load_catalogue

    return [a for a in load_catalogue().acts.values() if a.level is unit.level and a.grantors]


@router.get("/units/{unit_id}/delegations", include_in_schema=False)
def delegations_page(unit_id: int, ctx: CtxDep, granted: int | None = None, revoked: int | None = None) -> Response:
    unit = ctx.unit(unit_id)
    _prepare(ctx)
    return _delegations(ctx, unit, {"granted": granted, "revoked": revoked})


def _delegations(ctx: Any, unit: Unit, done: dict[str, Any], error: str | None = None,
                 form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    rows = delegation_rows(ctx, unit)
    who = who_may_all(ctx, unit)
    pids = _persons(rows) | {p.person_id for w in who for p in w.performers}
    acts = _acts_here(unit)
    names = names_for(ctx, pids)
    grantors = sorted({t for a in acts for t in a.grantors})
    grantees = sorted({t for a in acts for t in a.delegable_to})
    counts = Counter(r.status for r in rows)
    return _page(ctx, "delegations.html", {
        "unit": unit, "rows": rows, "who": who, "n": names, "counts": counts, "acts": acts,
        "grantors": grantors, "grantees": grantees, "within": DEFAULT_WITHIN,
        "can_edit": ctx.account.role.edits_registry, "done": done, "error": error, "form": form or {},
        "ancestors": repo.ancestors(ctx.conn, unit, ctx.on)}, status_code)


@dataclass(slots=True)
class GrantForm:
    acts: list[str]
    from_title: str
    valid_from: dt.date
    last_day: dt.date | None
    to_title: str | None
    to_person: int | None
    from_person: int | None = None
    doc_number: str | None = None
    doc_date: dt.date | None = None
    issuer: str | None = None
    note: str | None = None


def _grant(ctx: Any, unit_id: int, f: GrantForm) -> Any:
    from tinhgon.coordination import delegation as dl

    unit = ctx.at(f.valid_from).unit(unit_id)   # in force and inside the scope on the first day
    _editor(ctx)
    _prepare(ctx)
    end = f.last_day + dt.timedelta(days=1) if f.last_day is not None else None   # stored exclusive
    return dl.grant(ctx.conn, grantor_title=f.from_title.strip(), grantor_unit=unit, acts=f.acts,
                    valid_from=f.valid_from, valid_to=end, grantee_person_id=f.to_person,
                    grantee_title=f.to_title.strip() if f.to_title else None, grantor_person_id=f.from_person,
                    doc_number=f.doc_number or None, doc_date=f.doc_date, issuer=f.issuer or None,
                    note=f.note or None)


@router.post("/units/{unit_id}/delegations", dependencies=CSRF, include_in_schema=False)
def delegation_grant(unit_id: int, ctx: CtxDep, acts: Annotated[list[str], Form()],
                     valid_from: Annotated[str, Form()], from_title: Annotated[str, Form()] = "chu_tich_ubnd",
                     last_day: Annotated[str, Form()] = "", to_title: Annotated[str, Form()] = "",
                     to_person: Annotated[str, Form()] = "", doc_number: Annotated[str, Form()] = "",
                     doc_date: Annotated[str, Form()] = "", issuer: Annotated[str, Form()] = "",
                     note: Annotated[str, Form()] = "") -> Response:
    ctx.unit(unit_id)
    _editor(ctx)
    form = {"acts": acts, "valid_from": valid_from, "from_title": from_title, "last_day": last_day,
            "to_title": to_title, "to_person": to_person, "doc_number": doc_number, "doc_date": doc_date,
            "issuer": issuer, "note": note}
    try:
        person = to_person.strip()
        if person and not person.isdigit():
            raise BadInput(f"mã số người không hợp lệ: {person!r}", field="to_person")
        d = _grant(ctx, unit_id, GrantForm(
            acts=[a for a in acts if a.strip()], from_title=from_title, valid_from=_day(valid_from, "valid_from"),
            last_day=_opt_day(last_day, "last_day"), to_title=to_title.strip() or None,
            to_person=int(person) if person else None, doc_number=doc_number.strip(),
            doc_date=_opt_day(doc_date, "doc_date"), issuer=issuer.strip(), note=note.strip()))
    except BadInput as exc:
        _undo(ctx)
        return _delegations(ctx, ctx.unit(unit_id), {}, str(exc), form, 400)
    q = urlencode({"at": d.valid_from.isoformat(), "granted": d.id})
    return RedirectResponse(f"/units/{unit_id}/delegations?{q}", status_code=303)


def _revoke(ctx: Any, unit_id: int, delegation_id: int, on: dt.date, doc: str | None, reason: str | None) -> Any:
    from tinhgon.coordination import delegation as dl

    view = ctx.at(on)   # the unit in force and inside the scope on the day it ends
    unit = view.unit(unit_id)
    _editor(ctx)
    d = _delegation_in(view, unit, delegation_id)
    return dl.revoke(ctx.conn, d.id, on, doc_number=doc or None, reason=reason or None)


def _delegation_in(ctx: Any, unit: Unit, delegation_id: int) -> Any:
    """The delegation, when it was given in the unit or under it; 404 otherwise (its id tells nothing)."""
    from tinhgon.coordination import delegation as dl

    ids = set(_under(ctx, unit))
    try:
        d = dl.get(ctx.conn, delegation_id)
    except BadInput:
        d = None
    if d is None or d.grantor_unit_id not in ids:
        raise HTTPException(404, "Không có ủy quyền này ở đơn vị.")
    return d


@router.post("/units/{unit_id}/delegations/{delegation_id}/revoke", dependencies=CSRF, include_in_schema=False)
def delegation_revoke(unit_id: int, delegation_id: int, ctx: CtxDep, on: Annotated[str, Form()],
                      doc_number: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    ctx.unit(unit_id)
    _editor(ctx)
    try:
        day = _day(on, "on")
        _revoke(ctx, unit_id, delegation_id, day, doc_number.strip(), reason.strip())
    except BadInput as exc:
        _undo(ctx)
        return _delegations(ctx, ctx.unit(unit_id), {}, str(exc), {"revoke_id": delegation_id}, 400)
    q = urlencode({"at": day.isoformat(), "revoked": delegation_id})
    return RedirectResponse(f"/units/{unit_id}/delegations?{q}", status_code=303)


# --- workload -----------------------------------------------------------------------------------------------

@router.get("/units/{unit_id}/workload", include_in_schema=False)
def workload_page(unit_id: int, ctx: CtxDep, min_titles: int = 2, all: bool = False) -> Response:
    from tinhgon.coordination.workload import workload

    unit = ctx.unit(unit_id)
    _prepare(ctx)
    if not 2 <= min_titles <= 50:
        raise HTTPException(400, "Ngưỡng kiêm nhiệm phải từ 2 đến 50 chức danh.")
    w = workload(ctx.conn, unit, ctx.on, min_titles=min_titles)
    shown = w.people if all else [p for p in w.people if p.flags]
    if ctx.account.role.sees_personal_data:
        ctx.log_personal("person", unit.id, [p.person_id for p in shown])
    return _page(ctx, "workload.html", {"unit": unit, "w": w, "shown": shown, "all": all,
                                        "names": ctx.account.role.sees_personal_data,
                                        "ancestors": repo.ancestors(ctx.conn, unit, ctx.on)})


# --- API: models --------------------------------------------------------------------------------------------

class UnitBrief(BaseModel):
    id: int
    code: str
    name: str
    level: str


def _brief(u: Unit) -> UnitBrief:
    return UnitBrief(id=u.id, code=u.code, name=u.name, level=u.level.value)


class PartyOut(BaseModel):
    kind: str = Field(description="title | body")
    code: str
    label: str


class RuleVersionOut(BaseModel):
    version: int
    adopted_on: dt.date
    superseded_on: dt.date | None
    doc_number: str | None
    note: str | None
    duties: list[str]


class RuleOut(BaseModel):
    code: str
    name: str
    party_a: PartyOut
    party_b: PartyOut
    unit_level: str = Field(description="the level of the units that sign it")
    versions: list[RuleVersionOut]


class ScoreOut(BaseModel):
    criterion: str
    score: float
    max_score: float
    comment: str | None = None


class EvaluationOut(BaseModel):
    id: int
    unit_id: int
    year: int
    evaluated_on: dt.date
    version: int
    rating: str = Field(description="xuat_sac | tot | kha | trung_binh | yeu")
    rating_label: str
    total: float
    max_total: float
    comment: str | None
    scores: list[ScoreOut]


class SignatoryOut(BaseModel):
    party: str = Field(description="a | b")
    title_code: str
    person_id: int
    name: str | None = Field(None, description="only for roles that may see personal data")


class UnitSigningOut(BaseModel):
    unit: UnitBrief
    first_signed_on: dt.date | None
    last_signed_on: dt.date | None
    version: int | None = Field(description="the latest version the unit signed")
    signatories: list[SignatoryOut]
    evaluation: EvaluationOut | None = Field(description="the evaluation of the year asked")


class RuleStatusOut(BaseModel):
    rule: RuleOut
    year: int
    current_version: int | None = Field(description="the version in force on the date asked")
    units: int
    signed: int
    signed_current_version: int
    never_signed: list[str] = Field(description="codes of the units that never signed")
    not_resigned_after_revision: list[str] = Field(description="codes: signed an older version only")
    evaluated: int
    ratings: dict[str, int]
    average_score_share: float | None
    evaluations_by_year: dict[int, int]
    rows: list[UnitSigningOut]


class BodyOut(BaseModel):
    code: str
    name: str
    present: bool
    source: str
    doc_number: str | None


class CoordinationOut(BaseModel):
    date: dt.date
    year: int
    unit: UnitBrief
    bodies: list[BodyOut] = Field(description="the governance model of the unit on the date")
    rules: list[RuleStatusOut]


def _rule_out(conn: Any, r: Any) -> RuleOut:
    from tinhgon.coordination import service as cs

    def party(p: Any) -> PartyOut:
        return PartyOut(kind=p.kind.value, code=p.code, label=cs.party_label(conn, p))

    return RuleOut(code=r.code, name=r.name, party_a=party(r.party_a), party_b=party(r.party_b),
                   unit_level=r.unit_level.value,
                   versions=[RuleVersionOut(version=v.version_no, adopted_on=v.adopted_on,
                                            superseded_on=v.superseded_on, doc_number=v.doc_number, note=v.note,
                                            duties=list(v.duties)) for v in r.versions])


def evaluation_out(e: Any) -> EvaluationOut:
    return EvaluationOut(id=e.id, unit_id=e.unit_id, year=e.year, evaluated_on=e.evaluated_on, version=e.version_no,
                         rating=e.rating.value, rating_label=e.rating.label_vi, total=e.total, max_total=e.max_total,
                         comment=e.comment, scores=[ScoreOut(criterion=s.criterion, score=s.score,
                                                             max_score=s.max_score, comment=s.comment)
                                                    for s in e.scores])


def _status_out(ctx: Any, v: RuleView) -> RuleStatusOut:
    r = v.report
    personal = ctx.account.role.sees_personal_data
    avg = r.average_share()
    return RuleStatusOut(
        rule=_rule_out(ctx.conn, r.rule), year=r.year, current_version=r.current.version_no if r.current else None,
        units=len(r.units), signed=len(r.signed), signed_current_version=len(r.on_current),
        never_signed=[u.unit.code for u in r.never_signed],
        not_resigned_after_revision=[u.unit.code for u in r.not_resigned], evaluated=len(r.evaluated),
        ratings={k.value: n for k, n in r.rating_counts().items()},
        average_score_share=round(avg, 4) if avg is not None else None, evaluations_by_year=v.evaluation_years,
        rows=[UnitSigningOut(unit=_brief(u.unit), first_signed_on=u.first_signed_on, last_signed_on=u.last_signed_on,
                             version=u.last_version,
                             signatories=[SignatoryOut(party=p.party, title_code=p.title_code, person_id=p.person_id,
                                                       name=r.people.get(p.person_id) if personal else None)
                                          for p in u.signatories],
                             evaluation=evaluation_out(u.evaluation) if u.evaluation else None)
              for u in r.units])


# --- API: coordination rules ---------------------------------------------------------------------------------

@router.get("/api/v1/coordination/rules", response_model=list[RuleOut], tags=TAGS)
def api_rules(ctx: CtxDep) -> list[RuleOut]:
    """Every coordination rule with its versions (the rules are shared; their signings are per unit)."""
    from tinhgon.coordination import service as cs

    return [_rule_out(ctx.conn, r) for r in cs.list_rules(ctx.conn)]


@router.get("/api/v1/units/{unit_id}/coordination", response_model=CoordinationOut, tags=TAGS)
def api_coordination(unit_id: int, ctx: CtxDep,
                     year: Annotated[int | None, Query(ge=1900, le=2200,
                                                       description="evaluation year (default: the date's)")] = None
                     ) -> CoordinationOut:
    """The rules signed in the unit and under it on the date ?at=: versions, who signed which version, who has
    not re-signed after a revision, and the evaluations of the year."""
    from tinhgon.coordination.governance import bodies_of

    unit = ctx.unit(unit_id)
    _prepare(ctx)
    y = _year(ctx, year)
    g = bodies_of(ctx.conn, unit, ctx.on)
    rules = rule_views(ctx, unit, y)
    _log_signatories(ctx, unit, rules)
    return CoordinationOut(date=ctx.on, year=y, unit=_brief(unit),
                           bodies=[BodyOut(code=b.code, name=b.name_vi, present=b.present, source=b.source,
                                           doc_number=b.doc_number) for b in g.bodies],
                           rules=[_status_out(ctx, v) for v in rules])


class SignIn(BaseModel):
    rule: str = Field(description="the rule's code")
    signed_on: dt.date
    version: int | None = Field(None, description="default: the version in force on signed_on")
    skip_vacant: bool = Field(False, description="leave out units whose signing title is vacant")
    note: str | None = None


class SignedUnit(BaseModel):
    unit: UnitBrief
    version: int
    signed_on: dt.date


class SkippedUnit(BaseModel):
    unit: UnitBrief
    reason: str


class SignOut(BaseModel):
    signed: list[SignedUnit]
    skipped: list[SkippedUnit]


@router.post("/api/v1/units/{unit_id}/coordination/signings", response_model=SignOut, status_code=201,
             dependencies=CSRF, tags=TAGS)
def api_sign(unit_id: int, body: SignIn, ctx: CtxDep) -> SignOut:
    """Record that the unit and every unit under it at the rule's level signed (re-signed after a revision)
    the rule on signed_on; signatories are the title holders of that day. All or nothing unless skip_vacant."""
    # the scope is checked on the day the act takes effect, then the role (inside the helper)
    _unit, res = _sign(ctx, unit_id, body.rule, body.signed_on, body.version, body.skip_vacant, body.note)
    by_id = {u.id: u for u, _why in res.skipped}
    units = {u.id: u for u in repo.units_at(ctx.conn, body.signed_on, unit_ids=[s.unit_id for s in res.signed])} \
        if res.signed else {}
    return SignOut(signed=[SignedUnit(unit=_brief(units[s.unit_id]), version=s.version_no, signed_on=s.signed_on)
                           for s in res.signed],
                   skipped=[SkippedUnit(unit=_brief(by_id[u.id]), reason=why) for u, why in res.skipped])


class ScoreIn(BaseModel):
    criterion: str
    score: float = Field(ge=0, le=1e6)
    max_score: float = Field(gt=0, le=1e6)
    comment: str | None = None


class EvaluateIn(BaseModel):
    rule: str
    year: int = Field(ge=1900, le=2200)
    evaluated_on: dt.date
    scores: list[ScoreIn] = Field(default_factory=list)
    rating: str | None = Field(None, description="xuat_sac | tot | kha | trung_binh | yeu; default from the scores")
    comment: str | None = None


@router.post("/api/v1/units/{unit_id}/coordination/evaluations", response_model=EvaluationOut, status_code=201,
             dependencies=CSRF, tags=TAGS)
def api_evaluate(unit_id: int, body: EvaluateIn, ctx: CtxDep) -> EvaluationOut:
    """The yearly evaluation of how a unit (at the rule's level) carried out the rule."""
    from tinhgon.coordination.model import Score

    # the scope is checked on the day the act takes effect, then the role (inside the helper)
    scores = [Score(s.criterion, s.score, s.max_score, s.comment) for s in body.scores]
    return evaluation_out(_evaluate(ctx, unit_id, body.rule, body.year, body.evaluated_on, scores, body.rating,
                                    body.comment))


# --- API: delegations --------------------------------------------------------------------------------------

class ActOut(BaseModel):
    code: str
    name: str
    level: str
    original_power: list[str]
    grantors: list[str]
    delegable_to: list[str]
    condition: str | None
    basis: str
    tag: str


@router.get("/api/v1/coordination/acts", response_model=list[ActOut], tags=TAGS)
def api_acts(ctx: CtxDep) -> list[ActOut]:
    """The acts that may be performed or delegated, with the titles holding the power (the catalogue)."""
    from tinhgon.coordination.model import load_catalogue

    ctx.account  # noqa: B018 - a logged-in account is needed, as everywhere
    return [ActOut(code=a.code, name=a.name_vi, level=a.level.value, original_power=list(a.original_power),
                   grantors=list(a.grantors), delegable_to=list(a.delegable_to), condition=a.delegation_condition,
                   basis=a.basis, tag=a.tag) for a in load_catalogue().acts.values()]


class ActRef(BaseModel):
    code: str
    name: str


class DelegationOut(BaseModel):
    id: int
    grantor_title: str
    grantor_title_name: str
    grantor_unit_id: int
    grantor_person_id: int
    grantor_name: str | None = Field(None, description="only for roles that may see personal data")
    grantee_person_id: int | None
    grantee_name: str | None = None
    grantee_title: str | None
    grantee_title_name: str | None
    grantee_unit_id: int | None
    acts: list[ActRef]
    valid_from: dt.date
    last_day: dt.date | None = Field(description="the last day it counts (None: no end)")
    planned_last_day: dt.date | None = Field(description="the last day in the decision (kept after a revocation)")
    doc_number: str | None
    doc_date: dt.date | None
    issuer: str | None
    note: str | None
    revoked_on: dt.date | None
    revoke_doc: str | None
    revoke_reason: str | None
    status: str = Field(description="active | not_counting | future | expired | revoked | lapsed, on the date asked")
    status_vi: str
    lapsed_on: dt.date | None = Field(None, description="the day the grantor left the title")
    expiring: bool = Field(False, description="active and ending within the days asked")
    days_left: int | None = None


class DelegationsOut(BaseModel):
    date: dt.date
    unit: UnitBrief
    within_days: int
    counts: dict[str, int]
    delegations: list[DelegationOut]


def delegation_out(row: DelegationRow, n: Names) -> DelegationOut:
    d = row.d
    planned = d.planned_to - dt.timedelta(days=1) if d.planned_to else None
    return DelegationOut(
        id=d.id, grantor_title=d.grantor_title, grantor_title_name=n.titles.get(d.grantor_title, d.grantor_title),
        grantor_unit_id=d.grantor_unit_id, grantor_person_id=d.grantor_person_id,
        grantor_name=n.person(d.grantor_person_id), grantee_person_id=d.grantee_person_id,
        grantee_name=n.person(d.grantee_person_id), grantee_title=d.grantee_title,
        grantee_title_name=n.titles.get(d.grantee_title, d.grantee_title) if d.grantee_title else None,
        grantee_unit_id=d.grantee_unit_id, acts=[ActRef(code=a, name=n.acts.get(a, a)) for a in d.acts],
        valid_from=d.valid_from, last_day=d.last_day, planned_last_day=planned, doc_number=d.doc_number,
        doc_date=d.doc_date, issuer=d.issuer, note=d.note, revoked_on=d.revoked_on, revoke_doc=d.revoke_doc,
        revoke_reason=d.revoke_reason, status=row.status, status_vi=row.status_vi, lapsed_on=row.lapsed_on,
        expiring=row.expiring, days_left=row.days_left)


Within = Annotated[int, Query(ge=0, le=3650, description="flag delegations ending within this many days")]


@router.get("/api/v1/units/{unit_id}/delegations", response_model=DelegationsOut, tags=TAGS)
def api_delegations(unit_id: int, ctx: CtxDep, within: Within = DEFAULT_WITHIN) -> DelegationsOut:
    """Every delegation given in the unit or under it, with its state on the date ?at= (active, expired, revoked,
    lapsed because the grantor left the title, ...) and the ones about to expire."""
    unit = ctx.unit(unit_id)
    _prepare(ctx)
    rows = delegation_rows(ctx, unit, within)
    n = names_for(ctx, _persons(rows))
    return DelegationsOut(date=ctx.on, unit=_brief(unit), within_days=within,
                          counts=dict(Counter(r.status for r in rows)),
                          delegations=[delegation_out(r, n) for r in rows])


class PerformerOut(BaseModel):
    person_id: int
    name: str | None = Field(None, description="only for roles that may see personal data")
    basis: str = Field(description="original | delegation")
    title_code: str | None
    title_name: str | None
    delegation_id: int | None
    until: dt.date | None
    expiring: bool


class LapsedOut(BaseModel):
    delegation_id: int
    reason: str


class WhoMayOut(BaseModel):
    date: dt.date
    unit: UnitBrief
    act: ActRef
    basis: str
    performers: list[PerformerOut]
    lapsed: list[LapsedOut] = Field(description="delegations in their period that do not count, and why")


def who_may_out(ctx: Any, unit: Unit, w: Any, n: Names) -> WhoMayOut:
    return WhoMayOut(date=w.on, unit=_brief(unit), act=ActRef(code=w.act.code, name=w.act.name_vi),
                     basis=f"{w.act.basis} [{w.act.tag}]",
                     performers=[PerformerOut(person_id=p.person_id, name=n.person(p.person_id), basis=p.basis,
                                              title_code=p.title_code,
                                              title_name=n.titles.get(p.title_code, p.title_code) if p.title_code
                                              else None, delegation_id=p.delegation_id, until=p.delegation_until,
                                              expiring=p.expiring) for p in w.performers],
                     lapsed=[LapsedOut(delegation_id=x.delegation_id, reason=x.reason) for x in w.lapsed])


@router.get("/api/v1/units/{unit_id}/who-may", response_model=WhoMayOut, tags=TAGS)
def api_who_may(unit_id: int, ctx: CtxDep, act: str, within: Within = DEFAULT_WITHIN) -> WhoMayOut:
    """Who may perform ACT in the unit on the date ?at=: holders of the power and delegates that count."""
    from tinhgon.coordination import delegation as dl

    unit = ctx.unit(unit_id)
    _prepare(ctx)
    w = dl.who_may(ctx.conn, unit, act, ctx.on, within_days=within)
    return who_may_out(ctx, unit, w, names_for(ctx, {p.person_id for p in w.performers}))


class GrantIn(BaseModel):
    acts: list[str] = Field(description="codes of the acts (GET /coordination/acts)")
    from_title: str = Field("chu_tich_ubnd", description="the grantor's title; its holder on valid_from grants")
    valid_from: dt.date
    last_day: dt.date | None = Field(None, description="the last day it counts; none: no end")
    to_person: int | None = Field(None, description="the grantee person's id, or")
    to_title: str | None = Field(None, description="the grantee title (whoever holds it)")
    from_person: int | None = Field(None, description="checked against the holder of from_title")
    doc_number: str | None = None
    doc_date: dt.date | None = None
    issuer: str | None = None
    note: str | None = None


def _row_of(ctx: Any, unit: Unit, delegation_id: int) -> DelegationRow:
    return next(r for r in delegation_rows(ctx, unit) if r.d.id == delegation_id)


@router.post("/api/v1/units/{unit_id}/delegations", response_model=DelegationOut, status_code=201,
             dependencies=CSRF, tags=TAGS)
def api_grant(unit_id: int, body: GrantIn, ctx: CtxDep) -> DelegationOut:
    """Record a delegation decision of the person holding from_title in the unit (a commune) on valid_from.
    Refused (400, nothing written) when the act cannot be delegated so."""
    # the scope is checked on the day the act takes effect, then the role (inside the helper)
    if body.last_day is not None and body.last_day >= dt.date.max:
        raise BadInput("ngày cuối cùng không hợp lệ", field="last_day")
    d = _grant(ctx, unit_id, GrantForm(acts=body.acts, from_title=body.from_title, valid_from=body.valid_from,
                                       last_day=body.last_day, to_title=body.to_title, to_person=body.to_person,
                                       from_person=body.from_person, doc_number=body.doc_number,
                                       doc_date=body.doc_date, issuer=body.issuer, note=body.note))
    view = ctx.at(d.valid_from)
    row = _row_of(view, view.unit(unit_id), d.id)
    return delegation_out(row, names_for(view, _persons([row])))


class RevokeIn(BaseModel):
    on: dt.date = Field(description="the first day it no longer counts")
    doc_number: str | None = None
    reason: str | None = None


@router.post("/api/v1/units/{unit_id}/delegations/{delegation_id}/revocation", response_model=DelegationOut,
             dependencies=CSRF, tags=TAGS)
def api_revoke(unit_id: int, delegation_id: int, body: RevokeIn, ctx: CtxDep) -> DelegationOut:
    """End a delegation from a date (never deleted: it stays in the history with the revocation)."""
    _revoke(ctx, unit_id, delegation_id, body.on, body.doc_number, body.reason)
    view = ctx.at(body.on)
    row = _row_of(view, view.unit(unit_id), delegation_id)
    return delegation_out(row, names_for(view, _persons([row])))


# --- API: workload -------------------------------------------------------------------------------------------

class HeldTitleOut(BaseModel):
    title: str
    name: str
    unit_code: str
    unit_name: str
    concurrent: bool


class PersonLoadOut(BaseModel):
    person_id: int
    name: str | None = Field(None, description="only for roles that may see personal data")
    jobs: int = Field(description="titles held plus delegations received")
    titles: list[HeldTitleOut]
    duties: int = Field(description="coordination duties of the rules signed for the titles held")
    delegated: list[str] = Field(description="acts delegated to the person that count on the date")
    flags: list[str]


class WorkloadOut(BaseModel):
    date: dt.date
    unit: UnitBrief
    min_titles: int
    people: int
    holdings: int
    multi_title: int
    civil_servants_many_jobs: int
    rows: list[PersonLoadOut]


@router.get("/api/v1/units/{unit_id}/workload", response_model=WorkloadOut, tags=TAGS)
def api_workload(unit_id: int, ctx: CtxDep, min_titles: Annotated[int, Query(ge=2, le=50)] = 2,
                 all: Annotated[bool, Query(description="every person, not only the flagged ones")] = False
                 ) -> WorkloadOut:
    """Titles, coordination duties and delegated acts per person in the unit and under it; people carrying
    several titles or jobs are flagged."""
    from tinhgon.coordination.workload import workload

    unit = ctx.unit(unit_id)
    _prepare(ctx)
    w = workload(ctx.conn, unit, ctx.on, min_titles=min_titles)
    personal = ctx.account.role.sees_personal_data
    if personal:
        ctx.log_personal("person", unit.id, [p.person_id for p in w.people if all or p.flags])
    return WorkloadOut(
        date=ctx.on, unit=_brief(unit), min_titles=w.min_titles, people=len(w.people), holdings=w.holdings,
        multi_title=len(w.multi_title), civil_servants_many_jobs=len(w.civil_servants_many_jobs),
        rows=[PersonLoadOut(person_id=p.person_id, name=p.full_name if personal else None, jobs=p.jobs,
                            titles=[HeldTitleOut(title=t.title_code, name=t.title_name, unit_code=t.unit_code,
                                                 unit_name=t.unit_name, concurrent=t.concurrent) for t in p.titles],
                            duties=len(p.duties), delegated=sorted({a for _i, a in p.delegated}), flags=p.flags)
              for p in w.people if all or p.flags])


__all__ = ["Level", "router"]
