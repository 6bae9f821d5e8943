"""Carrying out a merger plan (``tinhgon.execute.service``) with a confirmation step: the form, a preview
(the whole application run in a transaction that is rolled back) and the confirmed application."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from tinhgon.errors import BadInput
from tinhgon.web.context import CtxDep, engine, require_csrf

router = APIRouter(include_in_schema=False)
CSRF = [Depends(require_csrf)]
NAMING = ("keep-largest", "renumber")


def _page(ctx: Any, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    from tinhgon.web.views import _page as page

    return page(ctx, name, context, status_code)


def _plan(ctx: Any, plan_id: int) -> Any:
    from tinhgon.web.views import load_plan

    plan, _ = load_plan(ctx, plan_id)
    ctx.need(ctx.account.role.edits_plans)
    return plan


def _form(effective: str, decision: str, decision_date: str, issuer: str, naming: str) -> dict[str, Any]:
    from tinhgon.domain.lineage import LegalBasis
    from tinhgon.web.service import parse_at

    if not effective.strip():
        raise BadInput("cần ngày hiệu lực", field="effective")
    if not decision.strip():
        raise BadInput("cần số quyết định hoặc nghị quyết (căn cứ pháp lý)", field="decision")
    if naming not in NAMING:
        raise BadInput("quy tắc đặt tên không hợp lệ", field="naming")
    basis = LegalBasis(decision.strip(), parse_at(decision_date) if decision_date.strip() else None,
                       issuer.strip() or None, None)
    return {"effective": parse_at(effective), "basis": basis, "naming": naming}


def _apply(conn: Any, plan: Any, f: dict[str, Any]) -> Any:
    from tinhgon.domain.plans import PlanStatus
    from tinhgon.execute import service as es

    if plan.status == PlanStatus.DRAFT:
        es.approve(conn, plan.name)
    return es.apply_plan(conn, plan.name, f["effective"], f["basis"], naming=f["naming"])


def _history(ctx: Any, plan: Any) -> list[dict[str, Any]]:
    from tinhgon.execute import service as es

    return list(es.application_info(ctx.conn, plan.name)["applications"])


@router.get("/plans/{plan_id}/execute")
def execute_form(plan_id: int, ctx: CtxDep) -> Response:
    plan = _plan(ctx, plan_id)
    fields = {"effective": "", "decision": "", "decision_date": "", "issuer": "", "naming": "keep-largest"}
    return _page(ctx, "execute.html", {"plan": plan, "f": fields, "preview": None, "done": None, "error": None,
                                       "history": _history(ctx, plan), "hide_date": True})


@router.post("/plans/{plan_id}/execute", dependencies=CSRF)
def execute_post(plan_id: int, ctx: CtxDep, effective: Annotated[str, Form()], decision: Annotated[str, Form()],
                 decision_date: Annotated[str, Form()] = "", issuer: Annotated[str, Form()] = "",
                 naming: Annotated[str, Form()] = "keep-largest", step: Annotated[str, Form()] = "preview",
                 confirm: Annotated[str, Form()] = "") -> Response:
    """step=preview: run it and roll back, show what would change; step=apply with confirm=yes: do it."""
    plan = _plan(ctx, plan_id)
    fields = {"effective": effective, "decision": decision, "decision_date": decision_date, "issuer": issuer,
              "naming": naming}
    ctx_vars: dict[str, Any] = {"plan": plan, "f": fields, "preview": None, "done": None, "error": None,
                                "hide_date": True}
    try:
        f = _form(effective, decision, decision_date, issuer, naming)
        if step == "apply" and confirm == "yes":
            # the request's own transaction: committed when the page is sent, rolled back on any error
            # no cache to clear: the commit raises the data version every process's caches key on
            ctx_vars["done"] = _apply(ctx.conn, plan, f)
        else:
            with engine(ctx.request).connect() as conn:
                trans = conn.begin()
                try:
                    ctx_vars["preview"] = _apply(conn, plan, f)
                finally:
                    trans.rollback()  # a preview writes nothing
            if step == "apply":
                ctx_vars["error"] = "Hãy đánh dấu ô xác nhận trước khi thực hiện."
    except BadInput as exc:
        ctx_vars["error"] = str(exc)
    ctx_vars["history"] = _history(ctx, plan)
    return _page(ctx, "execute.html", ctx_vars, status_code=400 if ctx_vars["error"] else 200)


def effective_default(plan: Any) -> dt.date:
    return plan.at + dt.timedelta(days=1)
