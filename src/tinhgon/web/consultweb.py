"""Consultation pages and API over ``tinhgon.consult.service``: a consultation from a plan, ballot entry by
group and commune officers, and the live tally. Only the units of the account's scope are shown."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.reliability import dataversion
from tinhgon.web import cache
from tinhgon.web.apierrors import ERRORS
from tinhgon.web.context import CtxDep, require_csrf

router = APIRouter(responses=ERRORS)  # pages are left out of the schema; the /api/v1 routes are in it
CSRF = [Depends(require_csrf)]


def official_for(ctx: Any) -> Any:
    """The consultation service's official for this web account: it reads web accounts (and their scope)
    directly, so nothing is copied."""
    from tinhgon.consult import service as cs

    return cs.get_official(ctx.conn, ctx.account.username)


def _consultation(ctx: Any, cid: int) -> tuple[Any, list[int]]:
    """The consultation's row and its units' ids, read once per request: neither ever changes once the
    consultation is made, so a request that commits a ballot and then shows the tally reads them once."""
    from tinhgon.consult import service as cs

    known = getattr(ctx.request.state, "consultations", None)
    if known is None:
        known = ctx.request.state.consultations = {}
    if cid not in known:
        known[cid] = cs.consultation_with_units(ctx.conn, cid)
    return known[cid]


def _units_on(ctx: Any, ids: tuple[int, ...], on: dt.date) -> list[Any]:
    return cache.memo(ctx.conn, ("units_at", ids, on), lambda: repo.units_at(ctx.conn, on, unit_ids=ids))


def consultation_row(ctx: Any, cid: int) -> tuple[Any, set[int]]:
    """The consultation and the ids of its units inside the account's scope; refused when there are none.
    The scope is checked on the data of the current transaction every time."""
    row, unit_ids = _consultation(ctx, cid)
    if row is None:
        raise HTTPException(404, "Không có cuộc lấy ý kiến này.")
    on = row.held_on
    pctx = ctx.at(on)
    ids = tuple(sorted(unit_ids))
    units = _units_on(ctx, ids, on)
    inside = cache.memo(ctx.conn, ("inside", ids, on, pctx.roots), lambda: pctx.allowed_ids(units)) if ids else set()
    if not inside:
        raise HTTPException(403, "Cuộc lấy ý kiến này nằm ngoài phạm vi tài khoản của bạn.")
    return row, inside


def visible(ctx: Any) -> list[dict[str, Any]]:
    from tinhgon.consult import service as cs

    out = []
    for c in cs.consultations(ctx.conn):
        try:
            _row, inside = consultation_row(ctx, c["id"])
        except HTTPException:
            continue
        out.append({**c, "units_in_scope": len(inside)})
    return out


def tally_view(ctx: Any, cid: int) -> dict[str, Any]:
    from tinhgon.consult import service as cs

    row, inside = consultation_row(ctx, cid)
    # the units as consultation_row() read them (the same memo), for the tally to name them
    units = {u.id: u for u in _units_on(ctx, tuple(sorted(_consultation(ctx, cid)[1])), row.held_on)}
    # the live tally changes with every ballot (the activity version) and names units (the registry's)
    key = ("tally", cid, cache.version_of(ctx.conn, dataversion.REGISTRY))
    tl = cache.memo(ctx.conn, key, lambda: cs.tally(ctx.conn, cid, consultation=row, units=units),
                    domain=dataversion.ACTIVITY)
    units_in = [u for u in tl.units if u.unit_id in inside]
    return {"c": row, "tally": tl, "units": units_in, "partial": len(units_in) < len(tl.units)}


def _page(ctx: Any, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    from tinhgon.web.views import _page as page

    return page(ctx, name, context, status_code)


@router.get("/consult", include_in_schema=False)
def consult_list(ctx: CtxDep) -> Response:
    return _page(ctx, "consult_list.html", {"items": visible(ctx)})


@router.post("/plans/{plan_id}/consult", dependencies=CSRF, include_in_schema=False)
def consult_from_plan(plan_id: int, ctx: CtxDep) -> Response:
    cid = _create_from_plan(ctx, plan_id)
    return RedirectResponse(f"/consult/{cid}", status_code=303)


def _create_from_plan(ctx: Any, plan_id: int) -> int:
    from tinhgon.consult import service as cs
    from tinhgon.web.views import load_plan

    ctx.need(ctx.account.role.edits_plans)
    plan, _ = load_plan(ctx, plan_id)
    return int(cs.create_from_plan(ctx.conn, plan.name, created_by=ctx.account.username))


@router.get("/consult/{cid}", include_in_schema=False)
def consult_page(cid: int, ctx: CtxDep) -> Response:
    return _page(ctx, "consult.html", {**tally_view(ctx, cid), "message": None, "hide_date": True})


@router.get("/consult/{cid}/tally", include_in_schema=False)
def consult_tally_fragment(cid: int, ctx: CtxDep) -> Response:
    return _page(ctx, "_tally.html", tally_view(ctx, cid))


def _cast(ctx: Any, cid: int, household: str, choice: str) -> Any:
    from tinhgon.consult import service as cs

    ctx.need(ctx.account.role.enters_ballots)
    row, _inside = consultation_row(ctx, cid)
    return cs.cast_ballot(ctx.conn, cid, official_for(ctx), household=household.strip(), choice=choice,
                          consultation=row)


@router.post("/consult/{cid}/ballots", dependencies=CSRF, include_in_schema=False)
def consult_cast(cid: int, ctx: CtxDep, household: Annotated[str, Form()], choice: Annotated[str, Form()]) -> Response:
    try:
        receipt = _cast(ctx, cid, household, choice)
        ctx.commit()
        message, ok = f"Đã ghi phiếu của hộ {receipt.voter_code}: {receipt.choice.label_vi}.", True
    except BadInput as exc:
        message, ok = str(exc), False
    if ctx.request.headers.get("hx-request"):
        resp = _page(ctx, "_ballot_result.html", {"message": message, "ok": ok, **tally_view(ctx, cid)})
        if ok:
            resp.headers["HX-Trigger"] = "ballot-cast"  # the tally refreshes at once, not at the next poll
        return resp
    if not ok:
        raise HTTPException(400, message)
    return RedirectResponse(f"/consult/{cid}", status_code=303)


# --- API ---------------------------------------------------------------------------------------------

class UnitTally(BaseModel):
    unit_id: int
    code: str
    name: str
    group_label: str | None
    roll: int
    agree: int
    disagree: int
    invalid: int
    cast: int
    agree_share: float
    decision: str


class TallyOut(BaseModel):
    consultation_id: int
    name: str
    held_on: dt.date
    round_number: int
    round_status: str
    rule: str
    overall: str
    units: list[UnitTally]
    units_outside_scope_hidden: bool


class BallotIn(BaseModel):
    household: str
    choice: str  # agree | disagree | invalid (Vietnamese spellings accepted by the service)


class ReceiptOut(BaseModel):
    voter_code: str
    choice: str
    round_number: int
    tally: TallyOut


def _tally_out(v: dict[str, Any]) -> TallyOut:
    tl = v["tally"]
    return TallyOut(consultation_id=tl.consultation_id, name=tl.name, held_on=tl.held_on,
                    round_number=tl.round_number, round_status=tl.round_status, rule=tl.rule.summary,
                    overall=tl.overall.value, units_outside_scope_hidden=v["partial"],
                    units=[UnitTally(unit_id=u.unit_id, code=u.code, name=u.name, group_label=u.group_label,
                                     roll=u.roll, agree=u.agree, disagree=u.disagree, invalid=u.invalid, cast=u.cast,
                                     agree_share=float(u.agree_share), decision=u.decision.value)
                           for u in v["units"]])


@router.get("/api/v1/consultations", response_model=list[dict[str, Any]], tags=["tinhgon"])
def api_consultations(ctx: CtxDep) -> list[dict[str, Any]]:
    return [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in c.items()} for c in visible(ctx)]


@router.post("/api/v1/plans/{plan_id}/consultation", response_model=TallyOut, status_code=201, dependencies=CSRF,
             tags=["tinhgon"])
def api_consult_from_plan(plan_id: int, ctx: CtxDep) -> TallyOut:
    """Open a household consultation on the units a plan merges (tinhgon.consult.create_from_plan)."""
    return _tally_out(tally_view(ctx, _create_from_plan(ctx, plan_id)))


@router.get("/api/v1/consultations/{cid}/tally", response_model=TallyOut, tags=["tinhgon"])
def api_tally(cid: int, ctx: CtxDep) -> Response:
    # per consultation, ballot count (activity version), registry version and the account's scope unit
    # (the scope is taken on the consultation's own date, inside tally_view)
    key = ("tally", cid, cache.version_of(ctx.conn, dataversion.REGISTRY), ctx.account.scope_unit_id)
    return cache.json_response(ctx.conn, key, lambda: _tally_out(tally_view(ctx, cid)), domain=dataversion.ACTIVITY)


@router.post("/api/v1/consultations/{cid}/ballots", response_model=ReceiptOut, status_code=201,
             dependencies=CSRF, tags=["tinhgon"])
def api_cast(cid: int, body: BallotIn, ctx: CtxDep) -> ReceiptOut:
    r = _cast(ctx, cid, body.household, body.choice)
    ctx.commit()  # the ballot is saved; the tally in the answer is read without holding the round's lock
    return ReceiptOut(voter_code=r.voter_code, choice=r.choice.value, round_number=r.round_number,
                      tally=_tally_out(tally_view(ctx, cid)))
