"""Per-request context: the account, the date asked, the scope, and the checks every route makes."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Connection, Engine

from tinhgon.domain.units import Unit
from tinhgon.registry import repo
from tinhgon.reliability import auditlog
from tinhgon.web import auth, cache, service
from tinhgon.web.auth import Account, Role
from tinhgon.web.i18n import DEFAULT_LANG, LANGS

OUT_OF_SCOPE = "Đơn vị này nằm ngoài phạm vi tài khoản của bạn; bạn không có quyền xem hoặc thao tác."
NO_PERSONAL = "Vai trò của bạn không được xem dữ liệu cá nhân (họ tên, ngày sinh)."
NO_ROLE = "Vai trò của bạn không được thực hiện thao tác này."
CSRF_FAILED = "Yêu cầu bị từ chối: thiếu hoặc sai mã chống giả mạo (CSRF). Hãy tải lại trang rồi làm lại."


class NotLoggedIn(Exception):
    """No valid session: pages redirect to the login form, the API answers 401."""


def engine(request: Request) -> Engine:
    return request.app.state.engine


def lang_of(request: Request) -> str:
    lang = request.cookies.get("lang", DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def require_csrf(request: Request) -> None:
    """Every state-changing request carries the session's token: in X-CSRF-Token (HTMX, API) or a form field."""
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise HTTPException(status_code=403, detail=CSRF_FAILED)


def _account(request: Request, conn: Connection) -> Account:
    """The session's account, read once per data version (a deactivated account is refused at once)."""
    uid = request.session.get("uid")
    if uid is None:
        raise NotLoggedIn()
    acc = cache.memo(conn, ("account", int(uid)), lambda: auth.account_by_id(conn, int(uid)))
    if acc is None:
        request.session.clear()
        raise NotLoggedIn()
    request.state.account = acc
    return acc


def current_account(request: Request) -> Account:
    if request.session.get("uid") is None:
        raise NotLoggedIn()
    with engine(request).connect() as conn:
        return _account(request, conn)


class _RequestDb:
    """The request's one connection and account, opened on first use by the thread that runs the route.

    Why not open it in the dependency: FastAPI runs a plain-function dependency and the route in two
    separate trips to the thread pool. A connection taken in the first trip would be held while the
    request waits for the second; under load every pooled connection ends up held by requests waiting
    for a thread, while the threads wait for a connection. Opened here, a connection is held only while
    a route runs and until its transaction ends (in a pool of its own, so it always ends)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.conn: Connection | None = None
        self.account: Account | None = None

    def open(self) -> Connection:
        if self.conn is None:
            conn = engine(self.request).connect()
            conn.begin()
            self.conn = conn
            try:  # the account is checked on the same data the route reads
                self.account = _account(self.request, conn)
            except BaseException:
                self.close(False)
                raise
            # the audit log names the logged-in account for every change made on this connection
            conn.info[auditlog.ACTOR_KEY] = self.account.username
        return self.conn

    def close(self, ok: bool) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                if ok:
                    conn.commit()
                else:
                    conn.rollback()
        finally:
            conn.info.pop(auditlog.ACTOR_KEY, None)  # info stays with the pooled connection
            conn.close()


class Ctx:
    """What a route needs: the account, its scope on the date asked, and a connection."""

    def __init__(self, request: Request, db: _RequestDb, on: dt.date, lang: str) -> None:
        self.request = request
        self._db = db
        self.on = on
        self.lang = lang

    @property
    def conn(self) -> Connection:
        return self._db.open()

    @property
    def account(self) -> Account:
        self._db.open()
        assert self._db.account is not None
        return self._db.account

    @property
    def roots(self) -> frozenset[int]:
        if not hasattr(self, "_roots"):
            self._roots = auth.scope_roots(self.conn, self.account.scope_unit_id, self.on)
        return self._roots

    def allows(self, unit: Unit) -> bool:
        return auth.in_scope(self.conn, self.roots, unit, self.on)

    def allowed_ids(self, units: list[Unit]) -> set[int]:
        """The ids of UNITS inside the scope on the date asked (a few queries for the whole list)."""
        return auth.in_scope_ids(self.conn, self.roots, units, self.on)

    def unit(self, unit_id: int) -> Unit:
        """The unit in force on the date asked, refused when it lies outside the account's scope."""
        u = cache.memo(self.conn, ("unit_at", unit_id, self.on), lambda: repo.unit_at(self.conn, unit_id, self.on))
        if u is None:
            # say 403 rather than 404 for a unit outside the scope, so ids cannot be probed
            hist = repo.unit_history(self.conn, unit_id)
            if hist and any(self._allows_some_version(h) for h in hist):
                raise HTTPException(status_code=404, detail=f"Đơn vị không có hiệu lực vào ngày {self.on:%d/%m/%Y}.")
            raise HTTPException(status_code=403, detail=OUT_OF_SCOPE)
        if not self.allows(u):
            raise HTTPException(status_code=403, detail=OUT_OF_SCOPE)
        return u

    def _allows_some_version(self, v: Unit) -> bool:
        day = v.valid_from or (v.valid_to - dt.timedelta(days=1) if v.valid_to else self.on)
        roots = auth.scope_roots(self.conn, self.account.scope_unit_id, day)
        return auth.in_scope(self.conn, roots, v, day)

    def commit(self) -> None:
        """Commit the request's writes now and go on reading in a new transaction. A write route calls it
        as soon as its change is made, so the write lock (SQLite) or row locks (PostgreSQL) are held
        for the write alone, not while the answer is computed and sent."""
        self.conn.commit()
        self.conn.begin()

    def at(self, day: dt.date) -> Ctx:
        """The same request looked at on another date (a plan is checked on its own date)."""
        return Ctx(self.request, self._db, day, self.lang)

    def need_personal(self) -> None:
        if not self.account.role.sees_personal_data:
            raise HTTPException(status_code=403, detail=NO_PERSONAL)

    def log_personal(self, what: str, unit_id: int | None, person_ids: list[int],
                          action: str = "read", detail: dict[str, Any] | None = None) -> None:
        """Log that the account is shown (or, with action="export", sent a file of) these people's personal
        data (Nghị định 13/2023/NĐ-CP): one entry per person, in the request's transaction, never the data
        itself. Nothing shown, nothing logged."""
        if person_ids:
            auditlog.record_access(self.conn, action, what, unit_id=unit_id, person_ids=sorted(set(person_ids)),
                                   detail=detail)

    def need(self, allowed: bool) -> None:
        if not allowed:
            raise HTTPException(status_code=403, detail=NO_ROLE)

    def root_units(self) -> list[Unit]:
        return cache.memo(self.conn, ("root_units", self.roots, self.on),
                          lambda: auth.root_units(self.conn, self.roots, self.on))


# ends the requests' transactions: a limiter of its own, so an ending never waits behind routes that
# wait for a connection (see _RequestDb)
_ENDINGS = anyio.CapacityLimiter(64)


async def get_ctx(request: Request) -> AsyncIterator[Ctx]:
    if request.session.get("uid") is None:
        raise NotLoggedIn()
    on = service.parse_at(request.query_params.get("at"))
    # one connection for the whole request: the account, the scope and the page read the same data version
    db = _RequestDb(request)
    try:
        yield Ctx(request, db, on, lang_of(request))
    except BaseException:
        if db.conn is not None:
            await anyio.to_thread.run_sync(db.close, False, limiter=_ENDINGS)
        raise
    if db.conn is not None:
        await anyio.to_thread.run_sync(db.close, True, limiter=_ENDINGS)


# "function" scope: the transaction commits before the response leaves, so a client that reads right
# after a write sees it
CtxDep = Annotated[Ctx, Depends(get_ctx, scope="function")]


__all__ = ["Ctx", "CtxDep", "NotLoggedIn", "Role", "csrf_token", "current_account", "get_ctx", "require_csrf"]
