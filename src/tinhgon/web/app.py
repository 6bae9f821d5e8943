"""The FastAPI application: ``create_app(database_url)`` serves the UI (/) and the REST API (/api/v1)."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.middleware.sessions import SessionMiddleware

from tinhgon.errors import BadInput, TinhgonError
from tinhgon.registry import db
from tinhgon.registry.plans import ConflictError
from tinhgon.web import auth, i18n
from tinhgon.web.context import NotLoggedIn, csrf_token, lang_of
from tinhgon.web.jobs import JobRegistry

HERE = Path(__file__).parent
log = logging.getLogger("tinhgon.web")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    # templates ship with the package: checking their mtimes on every render cost a quarter of a page
    env.auto_reload = bool(os.environ.get("TINHGON_DEBUG"))
    env.filters.update(vnint=i18n.fmt_int, vndec=i18n.fmt_dec, vnpct=i18n.fmt_pct, vndate=i18n.fmt_date,
                       vnend=i18n.fmt_end)
    return templates


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A page with the helpers every template uses: t(), the account, the CSRF token, the language."""
    templates: Jinja2Templates = request.app.state.templates
    lang = lang_of(request)
    base: dict[str, Any] = {
        "t": lambda key, **kw: i18n.translate(lang, key, **kw),
        "lang": lang,
        "account": getattr(request.state, "account", None),
        "csrf": csrf_token(request),
        "integrations": request.app.state.integrations,
        "path_qs": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    base.update(context)
    return templates.TemplateResponse(request, name, base, status_code=status_code)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    if request.headers.get("hx-request"):
        # HTMX swaps the fragment in place; the message shows where the result would have gone
        return render(request, "_error.html", {"status": status, "message": message}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


# Requests run in a pool of threads (the routes are plain functions over a blocking database driver).
# Python runs one thread at a time per process: past a few threads, more only queue for the interpreter
# lock and the connection pool, and every request in flight gets slower. Each worker process serves at
# most this many requests at once; the rest wait their turn in order.
REQUEST_THREADS = int(os.environ.get("TINHGON_REQUEST_THREADS", "8"))
GC_YOUNG_THRESHOLD = 20_000  # allocations between young collections (Python's default: 700)


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
    # The objects made at start-up (modules, templates, table metadata, compiled statements) live as
    # long as the process. Frozen, they are no longer walked by every full collection: measured under
    # the mixed load, a worker's full collections took 50–150 ms each, a pause for every request in it.
    # Young collections run less often too: a request makes thousands of short-lived objects.
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    yield


def create_app(database_url: str | None = None) -> FastAPI:
    from tinhgon.web import api, integrations, views

    engine = db.get_engine(database_url)
    with engine.begin() as conn:
        secret = auth.secret_key(conn)
    app = FastAPI(title="tinhgon", version="1", description="Sắp xếp đơn vị hành chính cơ sở — REST API",
                  docs_url="/api/docs", openapi_url="/api/v1/openapi.json", redoc_url=None,
                  lifespan=_lifespan)
    app.state.engine = engine
    app.state.templates = make_templates()
    app.state.jobs = JobRegistry()
    app.state.integrations = integrations.available()
    # behind HTTPS set TINHGON_SECURE_COOKIES=1 so the session cookie never travels in clear
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="tinhgon_session", same_site="lax",
                       max_age=12 * 3600, https_only=os.environ.get("TINHGON_SECURE_COOKIES") == "1")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    if app.state.integrations.get("consult"):
        from tinhgon.web import consultweb

        app.include_router(consultweb.router)
    if app.state.integrations.get("execute"):
        from tinhgon.web import executeweb

        app.include_router(executeweb.router)
    if app.state.integrations.get("staffing") or app.state.integrations.get("reports"):
        from tinhgon.web import staffreport

        app.include_router(staffreport.router)
    from tinhgon.web import coordweb, dossierweb  # coordination and the merger dossier (always installed)

    app.include_router(coordweb.router)
    app.include_router(dossierweb.router)
    app.include_router(views.router)

    @app.exception_handler(NotLoggedIn)
    async def _not_logged_in(request: Request, _exc: NotLoggedIn) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Chưa đăng nhập."}, status_code=401)
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> Response:
        return _error(request, 409, exc.message)

    @app.exception_handler(BadInput)
    async def _bad(request: Request, exc: BadInput) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(TinhgonError)
    async def _failure(request: Request, exc: TinhgonError) -> Response:
        return _error(request, 500, str(exc))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, _exc: Exception) -> Response:
        # an id or number larger than the database can store (SQLite: 8 bytes): no such record can exist
        return _error(request, 422, "Giá trị số vượt quá giới hạn cho phép.")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Dữ liệu gửi lên không hợp lệ.", "errors": exc.errors()},
                                status_code=422)
        return _error(request, 422, "Dữ liệu gửi lên không hợp lệ.")

    return app
