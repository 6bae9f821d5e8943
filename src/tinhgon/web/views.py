"""The server-rendered pages (Jinja2 + HTMX). Every route checks the account's scope and role."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from tinhgon.domain.units import Level, Unit
from tinhgon.errors import BadInput
from tinhgon.registry import plans as plan_store
from tinhgon.registry import repo
from tinhgon.registry.plans import ConflictError
from tinhgon.web import auth, charts, planweb, service
from tinhgon.web.app import render
from tinhgon.web.context import CtxDep, csrf_token, engine, lang_of, require_csrf
from tinhgon.web.i18n import LANGS

router = APIRouter(include_in_schema=False)
CSRF = [Depends(require_csrf)]


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host): the login form must not redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


# --- login, language ------------------------------------------------------------------------------

@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", dependencies=CSRF)
def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/") -> Response:
    with engine(request).begin() as conn:
        acc = auth.authenticate(conn, username, password)
    if acc is None:
        return render(request, "login.html", {"next": _safe_next(next), "username": username,
                                              "error": "Wrong username or password."}, status_code=401)
    request.session.clear()  # a fresh session (and CSRF token) on login: no fixation
    request.session["uid"] = acc.id
    csrf_token(request)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=CSRF)
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def set_lang(code: str, next: str = "/") -> Response:
    resp = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGS:
        resp.set_cookie("lang", code, max_age=365 * 86400, samesite="lax")
    return resp


def _at_q(ctx: Any) -> str:
    return f"at={ctx.on.isoformat()}"


def _page(ctx: Any, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    base = {"on": ctx.on, "at_q": _at_q(ctx), "roots": ctx.root_units()}
    base.update(context)
    return render(ctx.request, name, base, status_code=status_code)


# --- home, dashboard ------------------------------------------------------------------------------

@router.get("/")
def home(ctx: CtxDep) -> Response:
    roots = ctx.root_units()
    if len(roots) == 1:
        return RedirectResponse(f"/units/{roots[0].id}/dashboard?{_at_q(ctx)}", status_code=303)
    return _page(ctx, "home.html", {"units": roots})


@router.get("/units/{unit_id}/dashboard")
def dashboard(unit_id: int, ctx: CtxDep) -> Response:
    unit = ctx.unit(unit_id)
    d = service.dashboard(ctx.conn, unit, ctx.on)
    chart = charts.bands_svg(d.bands, lambda k: ctx_t(ctx, k))
    return _page(ctx, "dashboard.html", {"d": d, "unit": unit, "chart": chart})


def ctx_t(ctx: Any, key: str) -> str:
    from tinhgon.web.i18n import translate

    return translate(ctx.lang, key)


# --- registry: tree, search, detail, edit, people --------------------------------------------------

@router.get("/tree")
def tree(ctx: CtxDep) -> Response:
    return _page(ctx, "tree.html", {"units": ctx.root_units()})


@router.get("/tree/{unit_id}/children")
def tree_children(unit_id: int, ctx: CtxDep) -> Response:
    unit = ctx.unit(unit_id)
    kids = repo.children(ctx.conn, unit.id, ctx.on)
    return _page(ctx, "_tree_children.html", {"units": kids})


@router.get("/search")
def search(ctx: CtxDep, q: str = "") -> Response:
    results = []
    if q.strip():
        ids = service.search_ids(ctx.conn, q, ctx.on)
        for uid in ids:
            u = repo.unit_at(ctx.conn, uid, ctx.on)
            if u is not None and ctx.allows(u):
                results.append(u)
            if len(results) >= 50:
                break
    name = "_search_results.html" if ctx.request.headers.get("hx-request") else "search.html"
    return _page(ctx, name, {"q": q, "results": results})


@router.get("/units/{unit_id}")
def unit_page(unit_id: int, ctx: CtxDep) -> Response:
    unit = ctx.unit(unit_id)
    detail = service.unit_detail(ctx.conn, unit, ctx.on)
    people = repo.people_by_ids(ctx.conn, [h.person_id for h in detail.holdings]) \
        if ctx.account.role.sees_personal_data else {}
    ctx.log_personal("person", unit.id, list(people))
    return _page(ctx, "unit.html", {"unit": unit, "x": detail, "people": people})


@router.get("/units/{unit_id}/edit")
def edit_form(unit_id: int, ctx: CtxDep) -> Response:
    unit = ctx.unit(unit_id)  # scope first: outside it, the answer is the same for every role
    ctx.need(ctx.account.role.edits_registry)
    row = service.version_row(ctx.conn, unit.version_id)
    return _page(ctx, "edit.html", {"unit": unit, "row": row, "form": _form_from_row(row, ctx.on),
                                    "error": None, "theirs": None})


def _form_from_row(row: Any, on: dt.date) -> dict[str, Any]:
    return {"name": row.name, "households": row.households, "population": row.population,
            "area_km2": row.area_km2, "valid_from": on.strftime("%d/%m/%Y"), "version_id": row.id,
            "row_version": row.row_version}


def _opt_int(text: str, field: str) -> int | None:
    text = text.strip().replace(".", "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise BadInput(f"{text!r} không phải số nguyên", field=field) from exc


def _opt_float(text: str, field: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise BadInput(f"{text!r} không phải số", field=field) from exc


@router.post("/units/{unit_id}/edit", dependencies=CSRF)
def edit_save(unit_id: int, ctx: CtxDep, name: Annotated[str, Form()], valid_from: Annotated[str, Form()],
              version_id: Annotated[int, Form()], row_version: Annotated[int, Form()],
              households: Annotated[str, Form()] = "", population: Annotated[str, Form()] = "",
              area_km2: Annotated[str, Form()] = "") -> Response:
    unit = ctx.unit(unit_id)  # scope first: outside it, the answer is the same for every role
    ctx.need(ctx.account.role.edits_registry)
    typed = {"name": name, "households": households, "population": population, "area_km2": area_km2,
             "valid_from": valid_from, "version_id": version_id, "row_version": row_version}
    try:
        day = service.parse_at(valid_from)
        changes = {"name": name.strip(), "households": _opt_int(households, "households"),
                   "population": _opt_int(population, "population"), "area_km2": _opt_float(area_km2, "area_km2")}
        # edit_unit checks everything before its first write, so a refused edit leaves nothing behind
        new_id = service.edit_unit(ctx.conn, unit.id, version_id, row_version, day, changes)
    except ConflictError as exc:
        # show the version now in force (the other edit may have split the one this form was read from)
        now = repo.unit_at(ctx.conn, unit.id, ctx.on) or unit
        theirs = service.version_row(ctx.conn, now.version_id)
        typed["version_id"], typed["row_version"] = theirs.id, theirs.row_version  # saving again is deliberate
        return _page(ctx, "edit.html", {"unit": unit, "row": theirs, "form": typed, "error": exc.message,
                                        "theirs": theirs, "conflict": True}, status_code=409)
    except BadInput as exc:
        row = service.version_row(ctx.conn, version_id)
        return _page(ctx, "edit.html", {"unit": unit, "row": row, "form": typed, "error": str(exc),
                                        "theirs": None}, status_code=400)
    new_row = service.version_row(ctx.conn, new_id)
    at = max(day, new_row.valid_from or day)
    return RedirectResponse(f"/units/{unit.id}?at={at.isoformat()}&saved=1", status_code=303)


@router.get("/units/{unit_id}/people")
def people_page(unit_id: int, ctx: CtxDep) -> Response:
    unit = ctx.unit(unit_id)
    ctx.need_personal()
    holders = service.title_holders(ctx.conn, unit, ctx.on, ctx.lang)
    heads = service.household_heads(ctx.conn, unit, ctx.on)
    ctx.log_personal("person", unit.id, [r.person.id for r in holders] + [p.id for p, _a, _m in heads])
    return _page(ctx, "people.html", {"unit": unit, "holders": holders, "heads": heads})


# --- audit --------------------------------------------------------------------------------------------

def run_audit(request: Request, ctx: Any, unit: Any) -> Any:
    """The audit of tinhgon.audit.service, the one `tinhgon audit` runs: the same figures on the page, in the
    API and on the command line. The rule book is read once per process."""
    from tinhgon.audit.service import audit_unit
    from tinhgon.rules.book import RuleBook

    book = getattr(request.app.state, "rule_book", None)
    if book is None:
        book = request.app.state.rule_book = RuleBook.load_default()
    return audit_unit(ctx.conn, unit.code, ctx.on, book=book, level=unit.level)


@router.get("/units/{unit_id}/audit")
def audit_page(unit_id: int, ctx: CtxDep) -> Response:
    unit = ctx.unit(unit_id)
    if not ctx.request.app.state.integrations.get("audit"):
        raise HTTPException(503, "Phân hệ rà soát (tinhgon.rules.audit) chưa được cài đặt.")
    report = run_audit(ctx.request, ctx, unit)
    return _page(ctx, "audit.html", {"unit": unit, "r": report})


# --- plans ----------------------------------------------------------------------------------------

def load_plan(ctx: Any, plan_id: int) -> tuple[Any, Any]:
    """The plan and a context on the plan's own date, refused when its unit is outside the scope."""
    row = planweb.plan_row(ctx.conn, plan_id)
    if row is None:
        raise HTTPException(404, "Không có phương án này.")
    pctx = ctx.at(row.at_date)
    pctx.unit(row.scope_unit_id)
    return plan_store.load_plan_by_id(ctx.conn, plan_id), pctx


def _visible_plans(ctx: Any) -> list[dict[str, Any]]:
    out = []
    for p in plan_store.list_plans(ctx.conn):
        pctx = ctx.at(p["at_date"])
        u = repo.unit_at(ctx.conn, p["scope_unit_id"], p["at_date"])
        if u is not None and pctx.allows(u):
            out.append({**p, "unit_name": u.name})
    return out


@router.get("/plans")
def plans_page(ctx: CtxDep) -> Response:
    scopes: list[Unit] = []
    for r in ctx.root_units():
        if r.level in (Level.PROVINCE, Level.DISTRICT):
            scopes.extend(u for u in repo.descendants(ctx.conn, r.id, ctx.on) if u.level == Level.COMMUNE)
        elif r.level == Level.COMMUNE:
            scopes.append(r)
    scopes.sort(key=lambda u: u.code)
    return _page(ctx, "plans.html", {"plans": _visible_plans(ctx), "scopes": scopes[:2000],
                                     "threshold": planweb.DEFAULT_THRESHOLD})


@router.post("/plans", dependencies=CSRF)
def plan_start(ctx: CtxDep, unit_id: Annotated[int, Form()], threshold: Annotated[int, Form()] = 450,
               name: Annotated[str, Form()] = "") -> Response:
    ctx.need(ctx.account.role.edits_plans)
    if not ctx.request.app.state.integrations.get("planner"):
        raise HTTPException(503, "Phân hệ lập phương án (tinhgon.planner) chưa được cài đặt.")
    unit = ctx.unit(unit_id)
    if threshold <= 0:
        raise BadInput("ngưỡng số hộ phải dương", field="threshold")
    job = start_plan_job(ctx, unit, threshold, name)
    if ctx.request.headers.get("hx-request"):
        return _page(ctx, "_job.html", {"job": job})
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def start_plan_job(ctx: Any, unit: Any, threshold: int, name: str) -> Any:
    from tinhgon.registry.plans import plan_exists

    base = name.strip() or f"{unit.name} — {threshold} hộ — {ctx.on:%d/%m/%Y}"
    final, n = base, 2
    while plan_exists(ctx.conn, final):
        final, n = f"{base} ({n})", n + 1
    eng = engine(ctx.request)
    user = ctx.account.username
    on = ctx.on
    return ctx.request.app.state.jobs.submit(
        "plan", user, final, lambda job: planweb.run_planner(eng, unit.id, on, threshold, final, user, job))


@router.get("/jobs/{job_id}")
def job_page(job_id: str, ctx: CtxDep) -> Response:
    job = ctx.request.app.state.jobs.get(job_id)
    if job is None or job.owner != ctx.account.username:
        raise HTTPException(404, "Không có công việc này.")
    if ctx.request.headers.get("hx-request"):
        return _page(ctx, "_job.html", {"job": job})
    return _page(ctx, "job.html", {"job": job})


@router.get("/plans/compare")
def plan_compare(ctx: CtxDep, a: int, b: int) -> Response:
    pa, _ca = load_plan(ctx, a)
    pb, _cb = load_plan(ctx, b)
    cmp = planweb.compare(planweb.workspace(ctx.conn, pa), planweb.workspace(ctx.conn, pb))
    return _page(ctx, "compare.html", {"c": cmp, "hide_date": True})


@router.get("/plans/{plan_id}")
def plan_page(plan_id: int, ctx: CtxDep) -> Response:
    plan, _pctx = load_plan(ctx, plan_id)
    ws = planweb.workspace(ctx.conn, plan)
    others = [p for p in _visible_plans(ctx) if p["id"] != plan_id]
    return _page(ctx, "plan.html", {"ws": ws, "others": others, "can_edit": ctx.account.role.edits_plans,
                                    "hide_date": True})


def _workspace_fragment(ctx: Any, plan_id: int, error: str | None = None, status: int = 200) -> Response:
    plan = plan_store.load_plan_by_id(ctx.conn, plan_id)
    ws = planweb.workspace(ctx.conn, plan)
    resp = _page(ctx, "_workspace.html", {"ws": ws, "can_edit": ctx.account.role.edits_plans, "error": error},
                 status_code=status)
    resp.headers["HX-Trigger"] = "plan-changed"
    return resp


def _plan_action(ctx: Any, plan_id: int, action: Any) -> Response:
    ctx.need(ctx.account.role.edits_plans)
    plan, _pctx = load_plan(ctx, plan_id)
    try:
        action(plan)  # the plan operations check before their first write
    except ConflictError as exc:
        return _after(ctx, plan_id, exc.message, 409)
    except BadInput as exc:
        return _after(ctx, plan_id, str(exc), 400)
    return _after(ctx, plan_id, None, 200)


def _after(ctx: Any, plan_id: int, error: str | None, status: int) -> Response:
    if ctx.request.headers.get("hx-request"):
        # 200 even for a refused move: the workspace (with the message) must replace the stale one
        return _workspace_fragment(ctx, plan_id, error, 200)
    if error:
        raise HTTPException(status, error)
    return RedirectResponse(f"/plans/{plan_id}", status_code=303)


@router.post("/plans/{plan_id}/move", dependencies=CSRF)
def plan_move(plan_id: int, ctx: CtxDep, unit_id: Annotated[int, Form()], target: Annotated[str, Form()],
              row_version: Annotated[int, Form()]) -> Response:
    return _plan_action(ctx, plan_id, lambda plan: planweb.move(ctx.conn, plan, unit_id, target, row_version,
                                                                ctx.account.username))


@router.post("/plans/{plan_id}/undo", dependencies=CSRF)
def plan_undo(plan_id: int, ctx: CtxDep, row_version: Annotated[int, Form()]) -> Response:
    return _plan_action(ctx, plan_id, lambda plan: planweb.undo(ctx.conn, plan, row_version))


@router.post("/plans/{plan_id}/redo", dependencies=CSRF)
def plan_redo(plan_id: int, ctx: CtxDep, row_version: Annotated[int, Form()]) -> Response:
    return _plan_action(ctx, plan_id, lambda plan: planweb.redo(ctx.conn, plan, row_version))


@router.post("/plans/{plan_id}/lock", dependencies=CSRF)
def plan_lock(plan_id: int, ctx: CtxDep, unit_id: Annotated[int, Form()]) -> Response:
    return _plan_action(ctx, plan_id, lambda plan: planweb.toggle_lock(ctx.conn, plan, unit_id,
                                                                       ctx.account.username))


__all__ = ["lang_of", "router"]
