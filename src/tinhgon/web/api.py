"""The REST API under /api/v1 (OpenAPI at /api/v1/openapi.json). Same session, scope and CSRF rules as
the pages: state-changing calls need the X-CSRF-Token header (from the login answer or GET /auth/me)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tinhgon.domain.units import Unit
from tinhgon.registry import plans as plan_store
from tinhgon.registry import repo
from tinhgon.web import auth, cache, geo, planweb, service, views
from tinhgon.web.apierrors import ERRORS
from tinhgon.web.context import CtxDep, csrf_token, current_account, engine, require_csrf
from tinhgon.web.i18n import translate

router = APIRouter(prefix="/api/v1", tags=["tinhgon"], responses=ERRORS)
CSRF = [Depends(require_csrf)]


class UnitRef(BaseModel):
    id: int
    code: str
    name: str
    level: str
    kind: str
    parent_id: int | None = None


class UnitOut(UnitRef):
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    households: int | None = None
    population: int | None = None
    area_km2: float | None = None
    lat: float | None = None
    lon: float | None = None
    version_id: int | None = None


def unit_out(u: Unit) -> UnitOut:
    return UnitOut(id=u.id, code=u.code, name=u.name, level=u.level.value, kind=u.kind.value, parent_id=u.parent_id,
                   valid_from=u.valid_from, valid_to=u.valid_to, households=u.households, population=u.population,
                   area_km2=u.area_km2, lat=u.lat, lon=u.lon, version_id=u.version_id)


def unit_ref(u: Unit) -> UnitRef:
    return UnitRef(id=u.id, code=u.code, name=u.name, level=u.level.value, kind=u.kind.value, parent_id=u.parent_id)


class LoginIn(BaseModel):
    username: str
    password: str


class SessionOut(BaseModel):
    username: str
    role: str
    role_label: str
    scope_unit_id: int
    csrf_token: str


@router.post("/auth/login", response_model=SessionOut)
def api_login(body: LoginIn, request: Request) -> SessionOut:
    # a JSON body: a cross-site form cannot send it without a CORS preflight, which this API never allows
    with engine(request).begin() as conn:
        acc = auth.authenticate(conn, body.username, body.password)
    if acc is None:
        raise HTTPException(401, "Sai tên đăng nhập hoặc mật khẩu.")
    request.session.clear()
    request.session["uid"] = acc.id
    return SessionOut(username=acc.username, role=acc.role.value, role_label=acc.role.label_vi,
                      scope_unit_id=acc.scope_unit_id, csrf_token=csrf_token(request))


@router.get("/auth/me", response_model=SessionOut)
def api_me(request: Request, acc: auth.Account = Depends(current_account)) -> SessionOut:
    return SessionOut(username=acc.username, role=acc.role.value, role_label=acc.role.label_vi,
                      scope_unit_id=acc.scope_unit_id, csrf_token=csrf_token(request))


@router.post("/auth/logout", dependencies=CSRF, status_code=204)
def api_logout(request: Request) -> None:
    request.session.clear()


class ChildOut(UnitOut):
    group_households: int = Field(0, description="households of the residential groups under this child")


class DashboardOut(BaseModel):
    date: dt.date
    unit: UnitOut
    ancestors: list[UnitRef]
    children: list[ChildOut]
    counts_by_level: dict[str, int]
    groups_by_size: dict[str, int] = Field(description="lt450, 450to600, ge600, unknown")
    households: int
    holdings: int
    holders: int
    concurrent_holdings: int


@router.get("/units/{unit_id}/dashboard", response_model=DashboardOut)
def api_dashboard(unit_id: int, ctx: CtxDep) -> Response:
    unit = ctx.unit(unit_id)
    return cache.json_response(ctx.conn, ("dashboard", unit.version_id, ctx.on), lambda: _dashboard_out(ctx, unit))


def _dashboard_out(ctx: Any, unit: Unit) -> DashboardOut:
    d = service.dashboard(ctx.conn, unit, ctx.on)
    return DashboardOut(
        date=ctx.on, unit=unit_out(unit), ancestors=[unit_ref(a) for a in d.ancestors],
        children=[ChildOut(**unit_out(c).model_dump(), group_households=d.child_households.get(c.id, 0))
                  for c in d.children],
        counts_by_level=d.counts_by_level, groups_by_size=d.bands, households=d.households,
        holdings=d.holdings, holders=d.holders, concurrent_holdings=d.concurrent)


class TreeOut(BaseModel):
    date: dt.date
    units: list[UnitRef]


@router.get("/tree", response_model=TreeOut)
def api_tree(ctx: CtxDep, parent: int | None = None) -> TreeOut:
    """The account's top units, or the children of PARENT, on the date ?at= (default today)."""
    if parent is None:
        return TreeOut(date=ctx.on, units=[unit_ref(u) for u in ctx.root_units()])
    unit = ctx.unit(parent)
    return TreeOut(date=ctx.on, units=[unit_ref(u) for u in repo.children(ctx.conn, unit.id, ctx.on)])


@router.get("/search", response_model=TreeOut)
def api_search(ctx: CtxDep, q: str) -> TreeOut:
    """Units by name (accents and case ignored) or code, inside the account's scope."""
    out = []
    for uid in service.search_ids(ctx.conn, q, ctx.on):
        u = repo.unit_at(ctx.conn, uid, ctx.on)
        if u is not None and ctx.allows(u):
            out.append(unit_ref(u))
        if len(out) >= 50:
            break
    return TreeOut(date=ctx.on, units=out)


class VersionOut(UnitOut):
    row_version: int


class LineageOut(BaseModel):
    unit_id: int
    code: str
    name: str
    partial: bool
    effective_date: dt.date


class HoldingOut(BaseModel):
    title_code: str
    title: str
    person_id: int
    person_name: str | None = Field(None, description="only for roles that may see personal data")
    concurrent: bool
    valid_from: dt.date | None = None


class UnitDetailOut(BaseModel):
    date: dt.date
    unit: UnitOut
    row_version: int
    ancestors: list[UnitRef]
    history: list[VersionOut]
    predecessors: list[LineageOut]
    successors: list[LineageOut]
    children: list[UnitRef]
    holdings: list[HoldingOut]


def _detail(ctx: Any, unit: Unit) -> UnitDetailOut:
    x = service.unit_detail(ctx.conn, unit, ctx.on)
    personal = ctx.account.role.sees_personal_data
    people = repo.people_by_ids(ctx.conn, [h.person_id for h in x.holdings]) if personal else {}
    rows = x.row_versions
    return UnitDetailOut(
        date=ctx.on, unit=unit_out(unit), row_version=rows[unit.version_id],
        ancestors=[unit_ref(a) for a in x.ancestors],
        history=[VersionOut(**unit_out(v).model_dump(), row_version=rows[v.version_id]) for v in x.history],
        predecessors=[LineageOut(unit_id=r.unit_id, code=r.code, name=r.name, partial=r.partial,
                                 effective_date=r.day) for r in x.predecessors],
        successors=[LineageOut(unit_id=r.unit_id, code=r.code, name=r.name, partial=r.partial,
                               effective_date=r.day) for r in x.successors],
        children=[unit_ref(c) for c in x.children],
        holdings=[HoldingOut(title_code=h.title_code,
                             title=x.titles[h.title_code].name_vi if h.title_code in x.titles else h.title_code,
                             person_id=h.person_id,
                             person_name=people[h.person_id].full_name if personal else None,
                             concurrent=h.concurrent, valid_from=h.valid_from) for h in x.holdings])


@router.get("/units/{unit_id}", response_model=UnitDetailOut)
def api_unit(unit_id: int, ctx: CtxDep) -> Response:
    unit = ctx.unit(unit_id)
    # the whole answer depends on the registry only (and on whether the role sees names)
    key = ("unit", unit.version_id, ctx.on, ctx.account.role.sees_personal_data)
    if ctx.account.role.sees_personal_data:  # logged on every request, cached answer or not
        holdings = service.unit_detail(ctx.conn, unit, ctx.on).holdings
        ctx.log_personal("person", unit.id, [h.person_id for h in holdings])
    return cache.json_response(ctx.conn, key, lambda: _detail(ctx, unit))


class EditIn(BaseModel):
    version_id: int
    row_version: int = Field(description="the row_version read; a stale one gives 409 and writes nothing")
    valid_from: dt.date = Field(description="the changes hold from this date on (a new version)")
    name: str | None = None
    households: int | None = None
    population: int | None = None
    area_km2: float | None = None


@router.patch("/units/{unit_id}", response_model=UnitDetailOut, dependencies=CSRF)
def api_edit(unit_id: int, body: EditIn, ctx: CtxDep) -> UnitDetailOut:
    unit = ctx.unit(unit_id)  # scope first: outside it, the answer is the same for every role
    ctx.need(ctx.account.role.edits_registry)
    changes = body.model_dump(exclude_unset=True, include={"name", "households", "population", "area_km2"})
    service.edit_unit(ctx.conn, unit.id, body.version_id, body.row_version, body.valid_from, changes)
    ctx.commit()  # the edit is saved; the answer is read afterwards, without holding the write lock
    new = ctx.at(body.valid_from)
    return _detail(new, new.unit(unit.id))


class PersonOut(BaseModel):
    id: int
    full_name: str
    birth_date: dt.date | None
    gender: str | None
    titles: list[str]


class PeopleOut(BaseModel):
    date: dt.date
    unit: UnitRef
    title_holders: list[PersonOut]
    household_heads: list[PersonOut]


@router.get("/units/{unit_id}/people", response_model=PeopleOut)
def api_people(unit_id: int, ctx: CtxDep) -> PeopleOut:
    """Title holders (and, for a residential group, household heads) in Vietnamese name order."""
    unit = ctx.unit(unit_id)
    ctx.need_personal()
    holders = service.title_holders(ctx.conn, unit, ctx.on, ctx.lang)
    heads = service.household_heads(ctx.conn, unit, ctx.on)
    ctx.log_personal("person", unit.id, [r.person.id for r in holders] + [p.id for p, _a, _m in heads])
    return PeopleOut(
        date=ctx.on, unit=unit_ref(unit),
        title_holders=[PersonOut(id=r.person.id, full_name=r.person.full_name, birth_date=r.person.birth_date,
                                 gender=r.person.gender.value if r.person.gender else None,
                                 titles=[f"{t} — {u}" for t, u, _c in r.titles]) for r in holders],
        household_heads=[PersonOut(id=p.id, full_name=p.full_name, birth_date=p.birth_date,
                                   gender=p.gender.value if p.gender else None, titles=[]) for p, _a, _m in heads])


@router.get("/units/{unit_id}/audit", response_model=dict[str, Any])
def api_audit(unit_id: int, ctx: CtxDep) -> dict[str, Any]:
    """The audit of tinhgon.rules.audit for the unit on the date (its JSON form)."""
    unit = ctx.unit(unit_id)
    if not ctx.request.app.state.integrations.get("audit"):
        raise HTTPException(503, "Phân hệ rà soát (tinhgon.rules.audit) chưa được cài đặt.")
    return views.run_audit(ctx.request, ctx, unit).to_dict()


@router.get("/units/{unit_id}/cells", response_model=dict[str, Any])
def api_cells(unit_id: int, ctx: CtxDep) -> dict[str, Any]:
    """GeoJSON of the residential groups under the unit (cells from their points), with their size band."""
    unit = ctx.unit(unit_id)
    groups = planweb.groups_under(ctx.conn, unit, ctx.on)
    props = {g.id: {"band": service.band_of(g.households),
                    "band_label": translate(ctx.lang, _BAND_LABEL[service.band_of(g.households)])} for g in groups}
    return geo.feature_collection(groups, props)


_BAND_LABEL = {"lt450": "Under 450 households", "450to600": "450 to under 600 households",
               "ge600": "600 households or more", "unknown": "Size unknown"}


# --- plans ------------------------------------------------------------------------------------------

class PlanSummary(BaseModel):
    id: int
    name: str
    status: str
    at_date: dt.date
    scope_unit_id: int
    unit_name: str


class GroupOut(BaseModel):
    label: str
    households: int
    unit_ids: list[int]


class PlanOut(BaseModel):
    id: int
    name: str
    status: str
    at_date: dt.date
    threshold: int | None
    row_version: int
    groups: list[GroupOut]
    locked_unit_ids: list[int]
    valid: bool
    groups_reaching_threshold: int
    violations: list[dict[str, Any]]
    can_undo: bool
    can_redo: bool


def plan_out(ws: planweb.Workspace) -> PlanOut:
    p = ws.plan
    return PlanOut(
        id=p.id or 0, name=p.name, status=p.status.value, at_date=p.at, threshold=p.threshold,
        row_version=p.row_version,
        groups=[GroupOut(label=lab, households=ws.group_households[lab], unit_ids=ids)
                for lab, ids in sorted(ws.group_units.items(), key=lambda t: planweb._label_key(t[0]))],
        locked_unit_ids=sorted(ws.locked), valid=bool(ws.report["valid"]), groups_reaching_threshold=ws.report["p"],
        violations=ws.report["violations"], can_undo=ws.can_undo, can_redo=ws.can_redo)


@router.get("/plans", response_model=list[PlanSummary])
def api_plans(ctx: CtxDep) -> list[PlanSummary]:
    return [PlanSummary(**{k: p[k] for k in PlanSummary.model_fields}) for p in views._visible_plans(ctx)]


class PlanIn(BaseModel):
    unit_id: int
    threshold: int = planweb.DEFAULT_THRESHOLD
    name: str = ""


class JobOut(BaseModel):
    id: str
    status: str
    progress: float
    message: str
    error: str | None
    plan_id: int | None


def job_out(job: Any) -> JobOut:
    return JobOut(id=job.id, status=job.status, progress=job.progress, message=job.message, error=job.error,
                  plan_id=job.result if isinstance(job.result, int) else None)


@router.post("/plans", response_model=JobOut, status_code=202, dependencies=CSRF)
def api_plan_start(body: PlanIn, ctx: CtxDep) -> JobOut:
    """Run the planner for the residential groups under a unit in the background; poll /jobs/{id}."""
    ctx.need(ctx.account.role.edits_plans)
    if not ctx.request.app.state.integrations.get("planner"):
        raise HTTPException(503, "Phân hệ lập phương án (tinhgon.planner) chưa được cài đặt.")
    unit = ctx.unit(body.unit_id)
    if body.threshold <= 0:
        raise HTTPException(400, "Ngưỡng số hộ phải dương.")
    return job_out(views.start_plan_job(ctx, unit, body.threshold, body.name))


@router.get("/jobs/{job_id}", response_model=JobOut)
def api_job(job_id: str, ctx: CtxDep) -> JobOut:
    job = ctx.request.app.state.jobs.get(job_id)
    if job is None or job.owner != ctx.account.username:
        raise HTTPException(404, "Không có công việc này.")
    return job_out(job)


@router.get("/plans/{plan_id}", response_model=PlanOut)
def api_plan(plan_id: int, ctx: CtxDep) -> PlanOut:
    plan, _ = views.load_plan(ctx, plan_id)
    return plan_out(planweb.workspace(ctx.conn, plan))


@router.get("/plans/{plan_id}/cells", response_model=dict[str, Any])
def api_plan_cells(plan_id: int, ctx: CtxDep) -> dict[str, Any]:
    plan, _ = views.load_plan(ctx, plan_id)
    ws = planweb.workspace(ctx.conn, plan)
    props = {u.id: {"group": ws.labels[u.id], "locked": u.id in ws.locked, "colour": ws.colours[ws.labels[u.id]]}
             for u in ws.units}
    return geo.feature_collection(ws.units, props)


class MoveIn(BaseModel):
    unit_id: int
    target: str = Field(description='a group label, or "new" for a group of its own')
    row_version: int


class VersionIn(BaseModel):
    row_version: int


class LockIn(BaseModel):
    unit_id: int


def _act(ctx: Any, plan_id: int, action: Any) -> PlanOut:
    ctx.need(ctx.account.role.edits_plans)
    plan, _ = views.load_plan(ctx, plan_id)
    action(plan)
    return plan_out(planweb.workspace(ctx.conn, plan_store.load_plan_by_id(ctx.conn, plan_id)))


@router.post("/plans/{plan_id}/moves", response_model=PlanOut, dependencies=CSRF)
def api_move(plan_id: int, body: MoveIn, ctx: CtxDep) -> PlanOut:
    return _act(ctx, plan_id, lambda plan: planweb.move(ctx.conn, plan, body.unit_id, body.target,
                                                        body.row_version, ctx.account.username))


@router.post("/plans/{plan_id}/undo", response_model=PlanOut, dependencies=CSRF)
def api_undo(plan_id: int, body: VersionIn, ctx: CtxDep) -> PlanOut:
    return _act(ctx, plan_id, lambda plan: planweb.undo(ctx.conn, plan, body.row_version))


@router.post("/plans/{plan_id}/redo", response_model=PlanOut, dependencies=CSRF)
def api_redo(plan_id: int, body: VersionIn, ctx: CtxDep) -> PlanOut:
    return _act(ctx, plan_id, lambda plan: planweb.redo(ctx.conn, plan, body.row_version))


@router.post("/plans/{plan_id}/locks", response_model=PlanOut, dependencies=CSRF)
def api_lock(plan_id: int, body: LockIn, ctx: CtxDep) -> PlanOut:
    return _act(ctx, plan_id, lambda plan: planweb.toggle_lock(ctx.conn, plan, body.unit_id, ctx.account.username))


class CompareRow(BaseModel):
    unit_id: int
    code: str
    group_a: str | None
    group_b: str | None
    differs: bool


class CompareOut(BaseModel):
    a: PlanOut
    b: PlanOut
    rows: list[CompareRow]


@router.get("/plans-compare", response_model=CompareOut)
def api_compare(ctx: CtxDep, a: int, b: int) -> CompareOut:
    pa, _ = views.load_plan(ctx, a)
    pb, _ = views.load_plan(ctx, b)
    c = planweb.compare(planweb.workspace(ctx.conn, pa), planweb.workspace(ctx.conn, pb))
    return CompareOut(a=plan_out(c.a), b=plan_out(c.b),
                      rows=[CompareRow(unit_id=u.id, code=u.code, group_a=la, group_b=lb, differs=d)
                            for u, la, lb, d in c.rows])
