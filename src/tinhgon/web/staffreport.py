"""Staffing after a merger (``tinhgon.staffing.service``) and review-report downloads
(``tinhgon.reports``), wired into the UI. Both hold names, so only roles that see personal data get them."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import RedirectResponse, Response

from tinhgon.web.context import CtxDep, require_csrf

router = APIRouter(include_in_schema=False)
CSRF = [Depends(require_csrf)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _page(ctx: Any, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    from tinhgon.web.views import _page as page

    return page(ctx, name, context, status_code)


def _need(ctx: Any, key: str, what: str) -> None:
    if not ctx.request.app.state.integrations.get(key):
        raise HTTPException(503, f"Phân hệ {what} chưa được cài đặt.")


# --- staffing --------------------------------------------------------------------------------------------

@router.get("/staffing")
def staffing_list(ctx: CtxDep) -> Response:
    from tinhgon.staffing import service as ss
    from tinhgon.web.views import _visible_plans

    _need(ctx, "staffing", "bố trí cán bộ (tinhgon.staffing)")
    plans = [{**p, "proposal": ss.proposal_info(ctx.conn, p["id"])} for p in _visible_plans(ctx)]
    return _page(ctx, "staffing_list.html", {"plans": plans})


def _staffing_plan(ctx: Any, plan_id: int) -> Any:
    from tinhgon.web.views import load_plan

    _need(ctx, "staffing", "bố trí cán bộ (tinhgon.staffing)")
    plan, _ = load_plan(ctx, plan_id)
    ctx.need_personal()
    return plan


@router.post("/plans/{plan_id}/staffing", dependencies=CSRF)
def staffing_propose(plan_id: int, ctx: CtxDep) -> Response:
    """Run the staffing proposal in the background (it may take a while); the job page links to the result."""
    from tinhgon.staffing import service as ss
    from tinhgon.web.context import engine

    plan = _staffing_plan(ctx, plan_id)
    ctx.need(ctx.account.role.edits_plans)
    eng = engine(ctx.request)
    name = plan.name

    def work(job: Any) -> int:
        job.report(0.1, "Proposing who holds each title")
        with eng.begin() as conn:
            ss.propose(conn, name, time_limit=30.0)
        return plan_id

    job = ctx.request.app.state.jobs.submit("staffing", ctx.account.username, f"Bố trí cán bộ: {name}", work)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _people_named(data: dict[str, Any]) -> list[int]:
    """Everyone a staffing report names: who keeps each title, and the surplus staff."""
    decisions = [d for g in data["groups"] for d in g["decisions"]] + \
        [d for c in data["communes"] for d in c["decisions"]]
    return [d["person_id"] for d in decisions if d["person_id"] is not None] + \
        [x["person_id"] for x in data["surplus"]]


@router.get("/plans/{plan_id}/staffing")
def staffing_page(plan_id: int, ctx: CtxDep) -> Response:
    from tinhgon.staffing import render as sr
    from tinhgon.staffing import service as ss

    plan = _staffing_plan(ctx, plan_id)
    info = ss.proposal_info(ctx.conn, plan_id)
    data = sr.to_dict(ss.report_by_plan_id(ctx.conn, plan_id)) if info else None
    if data is not None:
        ctx.log_personal("person", plan.scope_unit_id, _people_named(data))
    return _page(ctx, "staffing.html", {"plan": plan, "info": info, "data": data, "hide_date": True})


@router.get("/plans/{plan_id}/staffing.xlsx")
def staffing_xlsx(plan_id: int, ctx: CtxDep) -> Response:
    from tinhgon.staffing import render as sr
    from tinhgon.staffing import service as ss

    plan = _staffing_plan(ctx, plan_id)
    if ss.proposal_info(ctx.conn, plan_id) is None:
        raise HTTPException(404, "Phương án chưa có đề xuất bố trí cán bộ.")
    rep = ss.report_by_plan_id(ctx.conn, plan_id)
    body = sr.to_xlsx(rep)
    ctx.log_personal("person", plan.scope_unit_id, _people_named(sr.to_dict(rep)), action="export",
                          detail={"file": f"bo-tri-can-bo-{plan_id}.xlsx"})
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="bo-tri-can-bo-{plan_id}.xlsx"'})


# --- review reports ------------------------------------------------------------------------------------

@router.get("/reports")
def reports_page(ctx: CtxDep) -> Response:
    _need(ctx, "reports", "báo cáo (tinhgon.reports)")
    ctx.need_personal()
    start = dt.date(ctx.on.year, 1, 1)
    return _page(ctx, "reports.html", {"units": ctx.root_units(), "frm": start, "to": ctx.on})


@router.get("/units/{unit_id}/review.docx")
def review_docx(unit_id: int, ctx: CtxDep, frm: str, to: str, form: str = "state") -> Response:
    """The review report (sơ kết / tổng kết) of the unit for the period, as a DOCX in official form."""
    from tinhgon.reports.render_review import review_docx as make_doc
    from tinhgon.reports.review import build_review, named_people
    from tinhgon.web.service import parse_at

    _need(ctx, "reports", "báo cáo (tinhgon.reports)")
    d_from, d_to = parse_at(frm), parse_at(to)
    unit = ctx.at(d_to).unit(unit_id)  # the unit as it stands at the end of the period
    ctx.need_personal()
    if form not in ("state", "party"):
        raise HTTPException(400, "Thể thức không hợp lệ (state | party).")
    if d_from > d_to:
        raise HTTPException(400, "Ngày đầu kỳ phải trước ngày cuối kỳ.")
    data = build_review(ctx.conn, unit.code, d_from, d_to)
    doc = make_doc(data, form=form)
    with tempfile.TemporaryDirectory(prefix="tinhgon-web-") as tmp:
        path = Path(tmp) / "bao-cao.docx"
        doc.save(path)
        body = path.read_bytes()
    name = f"bao-cao-{unit.code}-{d_from:%Y%m%d}-{d_to:%Y%m%d}.docx"
    ctx.log_personal("person", unit.id, named_people(ctx.conn, unit.id, d_to), action="export",
                          detail={"file": name})
    return Response(body, media_type=DOCX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
