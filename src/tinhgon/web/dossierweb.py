"""The merger dossier in the web app, over ``tinhgon.dossier``: the dossiers of the communes in scope, each
with its steps, due dates in working days and overdue flags on the date asked, opening a dossier for a plan,
recording the current step as done, and every paper generated from the data (DOCX; PDF when LibreOffice is
installed), plus the matching JSON endpoints under /api/v1.

A dossier is checked against the scope on its own start date (its commune, as a plan on its date). Every role
reads it; plan editors (province and commune officers) open and move dossiers on. The household lists and
ballots hold names and addresses: only roles that see personal data download them.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from tinhgon.domain.units import Unit
from tinhgon.errors import BadInput
from tinhgon.registry import repo
from tinhgon.web.apierrors import ERRORS
from tinhgon.web.context import CtxDep, require_csrf

router = APIRouter(responses=ERRORS)  # the pages are left out of the schema; the /api/v1 routes are in it
CSRF = [Depends(require_csrf)]
TAGS: list[str | Enum] = ["tinhgon"]
NOT_FOUND = "Không có hồ sơ này."
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA = {"docx": DOCX, "pdf": "application/pdf", "png": "image/png"}

# the papers of a dossier (tinhgon.dossier.documents), in the order of the procedure; (kind, label, personal)
PAPERS: list[tuple[str, str, bool]] = [
    ("de-an", "Scheme (đề án)", False),
    ("ban-do", "Map of the scheme", False),
    ("to-trinh", "Submission (tờ trình)", False),
    ("du-thao-nghi-quyet", "Draft resolution", False),
    ("ket-qua", "Summary of the consultation's results", False),
]
PER_GROUP: list[tuple[str, str]] = [("danh-sach-ho", "Household list to post"), ("phieu", "Ballots")]
_NAME = re.compile(r"^(de-an|ban-do|to-trinh|du-thao-nghi-quyet|ket-qua|danh-sach-ho|phieu)(?:-([^/]+))?"
                   r"\.(docx|pdf|png)$")


def _page(ctx: Any, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    from tinhgon.web.views import _page as page

    return page(ctx, name, context, status_code)


def _row(ctx: Any, dossier_id: int) -> Any:
    from tinhgon.dossier import tables as dt_

    row = ctx.conn.execute(select(dt_.dossier).where(dt_.dossier.c.id == dossier_id)).first()
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    return row


def dossier_for(ctx: Any, dossier_id: int) -> Any:
    """The dossier, refused (403) when its commune lies outside the account's scope on the dossier's start date,
    as a plan is checked on its own date."""
    from tinhgon.dossier import service as ds

    row = _row(ctx, dossier_id)
    ctx.at(row.started_on).unit(row.commune_unit_id)
    return ds.load_dossier(ctx.conn, dossier_id)


def visible_dossiers(ctx: Any) -> list[Any]:
    """The dossiers whose commune lies in the scope on their start dates (a few queries per start date)."""
    from tinhgon.dossier import service as ds
    from tinhgon.dossier import tables as dt_

    rows = ctx.conn.execute(select(dt_.dossier.c.id, dt_.dossier.c.commune_unit_id, dt_.dossier.c.started_on)
                            .order_by(dt_.dossier.c.id)).all()
    by_day: dict[dt.date, list[Any]] = {}
    for r in rows:
        by_day.setdefault(r.started_on, []).append(r)
    keep: set[int] = set()
    for day, rs in by_day.items():
        units = repo.units_at(ctx.conn, day, unit_ids={r.commune_unit_id for r in rs})
        inside = ctx.at(day).allowed_ids(units) if units else set()
        keep |= {r.id for r in rs if r.commune_unit_id in inside}
    return [ds.load_dossier(ctx.conn, r.id) for r in rows if r.id in keep]


@dataclass(frozen=True, slots=True)
class Paper:
    name: str        # the URL name without extension: "de-an", "phieu-00118-03"
    kind: str
    label: str
    group: Unit | None
    personal: bool
    formats: tuple[str, ...]


def merged_groups(ctx: Any, d: Any) -> list[Unit]:
    """The residential groups the dossier's plan merges in its commune (their lists and ballots), by code."""
    from tinhgon.registry.plans import load_plan_by_id

    plan = load_plan_by_id(ctx.conn, d.plan_id)
    ids = {u for g in plan.groups if g.parent_unit_id == d.commune.id and g.is_merger for u in g.unit_ids}
    return sorted(repo.units_at(ctx.conn, plan.at, unit_ids=ids), key=lambda u: u.code) if ids else []


def pdf_available() -> bool:
    from tinhgon.reports.officialdoc import soffice_path

    return soffice_path() is not None


def papers(ctx: Any, d: Any) -> list[Paper]:
    pdf = pdf_available()
    out = [Paper(kind, kind, label, None, personal, ("png",) if kind == "ban-do" else
                 (("docx", "pdf") if pdf else ("docx",))) for kind, label, personal in PAPERS]
    for g in merged_groups(ctx, d):
        for kind, label in PER_GROUP:
            out.append(Paper(f"{kind}-{g.code}", kind, label, g, True, ("docx", "pdf") if pdf else ("docx",)))
    return out


def _document(ctx: Any, d: Any, kind: str, code: str | None, on: dt.date) -> Any:
    """Build one paper from the data (a python-docx document, or PNG bytes for the map)."""
    from tinhgon.dossier import documents as docs

    data = docs.gather(ctx.conn, d.id, on=on)
    if kind == "ban-do":
        png = docs.scheme_map(data)
        if png is None:
            raise HTTPException(404, "Không vẽ được bản đồ: các tổ chưa có tọa độ.")
        return png
    if kind == "de-an":
        return docs.scheme(data, docs.scheme_map(data))
    if kind in ("to-trinh", "ket-qua"):
        tallies = docs._consultation_tally(ctx.conn, data)  # the consultation held in tinhgon, if any
        return docs.submission(data, tallies) if kind == "to-trinh" else docs.results_summary(data, tallies)
    if kind == "du-thao-nghi-quyet":
        return docs.draft_resolution(data)
    unit = next((u for u in data.merged_units if u.code == code), None)
    if unit is None:
        raise HTTPException(404, "Tổ này không được lấy ý kiến trong hồ sơ.")
    rows = docs.household_rows(ctx.conn, unit.id, data.plan.at)
    # a paper naming the household heads leaves as a file: an export of their personal data
    ctx.log_personal("person", unit.id, [r.head_id for r in rows if r.head_id is not None], action="export",
                          detail={"file": f"hs{d.id}-{kind}-{code}"})
    if kind == "danh-sach-ho":
        return docs.household_list(data, unit, rows)
    return docs.ballots(data, unit, rows, data.plan.group_of().get(unit.id))


def render_paper(ctx: Any, d: Any, name: str) -> tuple[str, bytes, str]:
    """(file name, content, media type) of the paper NAME ("de-an.docx", "phieu-00118-03.pdf", ...)."""
    from tinhgon.reports.officialdoc import docx_to_pdf

    m = _NAME.match(name)
    if m is None:
        raise HTTPException(404, "Không có văn bản này.")
    kind, code, ext = m.group(1), m.group(2), m.group(3)
    per_group = kind in {k for k, _l in PER_GROUP}
    if per_group != (code is not None) or (ext == "png") != (kind == "ban-do"):
        raise HTTPException(404, "Không có văn bản này.")
    if per_group:
        ctx.need_personal()   # names and addresses of household heads
    if ext == "pdf" and not pdf_available():
        raise HTTPException(404, "Máy chủ chưa cài LibreOffice: chỉ tải được bản DOCX.")
    doc = _document(ctx, d, kind, code, ctx.on)
    filename = f"hs{d.id}-{name}"
    if isinstance(doc, bytes):
        return filename, doc, MEDIA[ext]
    with tempfile.TemporaryDirectory(prefix="tinhgon-web-") as tmp:
        path = Path(tmp) / f"hs{d.id}-{kind}.docx"
        doc.save(path)
        if ext == "pdf":
            pdf = path.with_suffix(".pdf")
            docx_to_pdf(path, pdf)
            return filename, pdf.read_bytes(), MEDIA[ext]
        return filename, path.read_bytes(), MEDIA[ext]


# --- pages ------------------------------------------------------------------------------------------------

def _plans_without_dossier(ctx: Any) -> list[dict[str, Any]]:
    from tinhgon.dossier import tables as dt_
    from tinhgon.web.views import _visible_plans

    taken = {int(r[0]) for r in ctx.conn.execute(select(dt_.dossier.c.plan_id))}
    return [p for p in _visible_plans(ctx) if p["id"] not in taken and p["status"] != "cancelled"]


@router.get("/dossiers", include_in_schema=False)
def dossier_list(ctx: CtxDep) -> Response:
    return _list(ctx)


def _list(ctx: Any, error: str | None = None, status_code: int = 200) -> Response:
    items = [(d, d.views(ctx.on)) for d in visible_dossiers(ctx)]
    can = ctx.account.role.edits_plans
    return _page(ctx, "dossiers.html", {"items": items, "can_edit": can, "error": error,
                                        "plans": _plans_without_dossier(ctx) if can else []}, status_code)


def _create(ctx: Any, plan_id: int, start: dt.date | None) -> list[int]:
    from tinhgon.dossier import service as ds
    from tinhgon.web.views import load_plan

    ctx.need(ctx.account.role.edits_plans)
    plan, _pctx = load_plan(ctx, plan_id)   # 404 / 403 as for the plan's own pages
    if start is not None:
        # every commune of the dossier must lie in the scope on the day it starts
        for g in plan.groups:
            if g.is_merger and g.parent_unit_id is not None:
                ctx.at(start).unit(g.parent_unit_id)
    return list(ds.create_dossiers(ctx.conn, plan.name, start=start, created_by=ctx.account.username))


@router.post("/dossiers", dependencies=CSRF, include_in_schema=False)
def dossier_create(ctx: CtxDep, plan_id: Annotated[int, Form()], start: Annotated[str, Form()] = "") -> Response:
    """Open the dossier of each commune where the plan merges groups (its steps from the rules in force)."""
    from tinhgon.web.service import parse_at

    ctx.need(ctx.account.role.edits_plans)
    try:
        ids = _create(ctx, plan_id, parse_at(start) if start.strip() else None)
    except BadInput as exc:
        ctx.conn.rollback()   # nothing of a refused dossier stays
        ctx.conn.begin()
        return _list(ctx, str(exc), 400)
    return RedirectResponse(f"/dossiers/{ids[0]}?at={ctx.on.isoformat()}", status_code=303)


@router.get("/dossiers/{dossier_id}", include_in_schema=False)
def dossier_page(dossier_id: int, ctx: CtxDep) -> Response:
    return _dossier_page(dossier_for(ctx, dossier_id), ctx)


def _dossier_page(d: Any, ctx: Any, error: str | None = None, status_code: int = 200) -> Response:
    from tinhgon.dossier.model import CONSULTATION_STEP, current_step

    views = d.views(ctx.on)
    return _page(ctx, "dossier.html", {
        "d": d, "views": views, "overdue": [v for v in views if v.status.value == "overdue"],
        "current": current_step(d.steps) if d.status.value == "open" else None, "consultation": CONSULTATION_STEP,
        "can_edit": ctx.account.role.edits_plans, "personal": ctx.account.role.sees_personal_data,
        "papers": papers(ctx, d), "attached": [x for x in d.documents if x["origin"] == "uploaded"],
        "error": error}, status_code)


def _advance(ctx: Any, dossier_id: int, step: str, day: dt.date, outcome: str | None) -> Any:
    from tinhgon.dossier import service as ds

    dossier_for(ctx, dossier_id)   # scope first: outside it, the answer is the same for every role
    ctx.need(ctx.account.role.edits_plans)
    if outcome not in (None, "passed", "failed"):
        raise BadInput(f"kết quả không hợp lệ: {outcome!r} (passed | failed)", field="outcome")
    return ds.advance(ctx.conn, dossier_id, step.strip(), on=day, by=ctx.account.username, outcome=outcome)


@router.post("/dossiers/{dossier_id}/advance", dependencies=CSRF, include_in_schema=False)
def dossier_advance(dossier_id: int, ctx: CtxDep, step: Annotated[str, Form()], done_on: Annotated[str, Form()],
                    outcome: Annotated[str, Form()] = "") -> Response:
    """Record the current step as done on a date (no skipping, nothing twice; the service checks)."""
    from tinhgon.web.service import parse_at

    d = dossier_for(ctx, dossier_id)
    ctx.need(ctx.account.role.edits_plans)
    try:
        if not done_on.strip():
            raise BadInput("cần ngày hoàn thành (dd/mm/yyyy)", field="done_on")
        day = parse_at(done_on)
        _advance(ctx, dossier_id, step, day, outcome.strip() or None)
    except BadInput as exc:
        ctx.conn.rollback()   # advance checks before its first write; nothing else may stay either
        ctx.conn.begin()
        return _dossier_page(d, ctx, str(exc), 400)
    at = max(ctx.on, day)
    return RedirectResponse(f"/dossiers/{dossier_id}?at={at.isoformat()}&done={step}", status_code=303)


@router.get("/dossiers/{dossier_id}/documents/{name}", include_in_schema=False)
def dossier_document(dossier_id: int, name: str, ctx: CtxDep) -> Response:
    """One paper of the dossier, generated now from the data (the date on it: ?at=, default today)."""
    d = dossier_for(ctx, dossier_id)
    filename, body, media = render_paper(ctx, d, name)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- API ------------------------------------------------------------------------------------------------

class UnitBrief(BaseModel):
    id: int
    code: str
    name: str


class StepOut(BaseModel):
    position: int
    step: str
    name: str
    actor: str
    working_days: int | None = Field(description="deadline in working days after the previous step; none: no deadline")
    status: str = Field(description="pending | in_progress | done | overdue | stopped, on the date asked")
    status_vi: str
    since: dt.date | None
    due: dt.date | None
    late_working_days: int
    done_on: dt.date | None
    done_by: str | None
    failed_attempts: int
    rule_id: str
    tag: str


class PaperOut(BaseModel):
    name: str
    kind: str
    label: str
    group_code: str | None
    personal: bool = Field(description="holds household heads' names: only for roles that may see personal data")
    urls: dict[str, str] = Field(description="format -> download address (same session)")


class EventOut(BaseModel):
    step: str | None
    action: str
    on: dt.date
    by: str | None
    note: str | None


class AttachedOut(BaseModel):
    step: str | None
    kind: str
    file: str
    sha256: str
    size: int | None


class DossierOut(BaseModel):
    id: int
    plan_id: int
    plan: str
    commune: UnitBrief
    started_on: dt.date
    status: str = Field(description="open | stopped | done")
    status_vi: str
    as_of: dt.date
    has_commune_council: bool
    procedure_rule: str
    procedure_citation: str
    consultation_max_rounds: int
    overdue: list[str] = Field(description="codes of the steps overdue on the date asked")
    steps: list[StepOut]
    papers: list[PaperOut]
    attached: list[AttachedOut]
    events: list[EventOut]


def dossier_out(ctx: Any, d: Any) -> DossierOut:
    views = d.views(ctx.on)
    personal = ctx.account.role.sees_personal_data
    return DossierOut(
        id=d.id, plan_id=d.plan_id, plan=d.plan_name,
        commune=UnitBrief(id=d.commune.id, code=d.commune.code, name=d.commune.name), started_on=d.started_on,
        status=d.status.value, status_vi=d.status.label_vi, as_of=ctx.on, has_commune_council=d.has_commune_council,
        procedure_rule=d.procedure_rule_id, procedure_citation=d.procedure_citation,
        consultation_max_rounds=d.consultation_max_rounds,
        overdue=[v.code for v in views if v.status.value == "overdue"],
        steps=[StepOut(position=v.record.position, step=v.code, name=v.record.name_vi, actor=v.record.actor,
                       working_days=v.record.working_days, status=v.status.value, status_vi=v.status.label_vi,
                       since=v.since, due=v.due, late_working_days=v.late_days, done_on=v.record.done_on
                       if v.status.value == "done" else None, done_by=v.record.done_by if v.status.value == "done"
                       else None, failed_attempts=v.record.failed_attempts, rule_id=v.record.rule_id,
                       tag=v.record.tag) for v in views],
        papers=[PaperOut(name=p.name, kind=p.kind, label=p.label, group_code=p.group.code if p.group else None,
                         personal=p.personal, urls={f: f"/dossiers/{d.id}/documents/{p.name}.{f}" for f in p.formats})
                for p in papers(ctx, d) if personal or not p.personal],
        attached=[AttachedOut(step=x["step"], kind=x["kind"], file=Path(x["path"]).name, sha256=x["sha256"],
                              size=x["size"]) for x in d.documents if x["origin"] == "uploaded"],
        events=[EventOut(step=e["step"], action=e["action"], on=e["on"], by=e["by"], note=e["note"])
                for e in d.events])


class DossierSummary(BaseModel):
    id: int
    plan: str
    commune: UnitBrief
    started_on: dt.date
    status: str
    current_step: str | None
    overdue: list[str]


@router.get("/api/v1/dossiers", response_model=list[DossierSummary], tags=TAGS)
def api_dossiers(ctx: CtxDep) -> list[DossierSummary]:
    """The merger dossiers of the communes in scope, as they stand on the date ?at= (default today)."""
    from tinhgon.dossier.model import current_step

    out = []
    for d in visible_dossiers(ctx):
        cur = current_step(d.steps) if d.status.value == "open" else None
        out.append(DossierSummary(id=d.id, plan=d.plan_name, started_on=d.started_on, status=d.status.value,
                                  commune=UnitBrief(id=d.commune.id, code=d.commune.code, name=d.commune.name),
                                  current_step=cur.code if cur else None,
                                  overdue=[v.code for v in d.views(ctx.on) if v.status.value == "overdue"]))
    return out


@router.get("/api/v1/dossiers/{dossier_id}", response_model=DossierOut, tags=TAGS)
def api_dossier(dossier_id: int, ctx: CtxDep) -> DossierOut:
    """A dossier: its steps with due dates and status on the date ?at=, its papers and its history."""
    return dossier_out(ctx, dossier_for(ctx, dossier_id))


class CreateIn(BaseModel):
    start: dt.date | None = Field(None, description="the first day of the procedure (default: the plan's date)")


@router.post("/api/v1/plans/{plan_id}/dossiers", response_model=list[DossierOut], status_code=201,
             dependencies=CSRF, tags=TAGS)
def api_create(plan_id: int, body: CreateIn, ctx: CtxDep) -> list[DossierOut]:
    """Open a dossier for each commune where the plan merges groups; refused (400) when it has one already."""
    from tinhgon.dossier import service as ds

    ids = _create(ctx, plan_id, body.start)
    ctx.commit()
    return [dossier_out(ctx, ds.load_dossier(ctx.conn, i)) for i in ids]


class AdvanceIn(BaseModel):
    step: str = Field(description="the code of the current step")
    date: dt.date = Field(description="the day it was done")
    outcome: str | None = Field(None, description="consultation step held outside tinhgon: passed | failed")


@router.post("/api/v1/dossiers/{dossier_id}/advance", response_model=DossierOut, dependencies=CSRF, tags=TAGS)
def api_advance(dossier_id: int, body: AdvanceIn, ctx: CtxDep) -> DossierOut:
    """Record the current step as done (no skipping, nothing twice; a second failed consultation stops it)."""
    d = _advance(ctx, dossier_id, body.step, body.date, body.outcome)
    ctx.commit()
    return dossier_out(ctx, d)


__all__ = ["router"]
