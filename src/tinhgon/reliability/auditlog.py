"""Change capture for the audit log, at the engine: every INSERT, UPDATE and DELETE issued through
SQLAlchemy on a registry table is written to ``audit_log`` in the same transaction, with the row
before and after. Services need not remember to log: a change that commits is logged, and a change
that rolls back leaves no log either.

Who: a context variable set by the CLI (``--as`` / ``TINHGON_USER`` / the OS account) or by the web
session. Bulk system loads (national seed, demo) run inside ``suspended()`` and are logged as one
summary entry instead of one per row.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import getpass
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Table, event, insert, select
from sqlalchemy.sql.dml import Delete, Insert, Update

from tinhgon.reliability import dataversion
from tinhgon.reliability.tables import audit_log

_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar("tinhgon_actor", default=None)
_context: contextvars.ContextVar[str | None] = contextvars.ContextVar("tinhgon_context", default=None)
_suspended: contextvars.ContextVar[bool] = contextvars.ContextVar("tinhgon_audit_suspended", default=False)

# tables whose changes are not themselves worth a log line (the log, sessions, caches, migrations)
SKIP = {"audit_log", "alembic_version", "web_setting", "web_session", "web_job"}


def current_actor() -> str:
    actor = _actor.get() or os.environ.get("TINHGON_USER")
    if actor:
        return actor
    try:
        return f"os:{getpass.getuser()}"
    except Exception:  # no user database entry (containers)
        return "os:unknown"


# Key of Connection.info naming who acts on that connection (the web app's logged-in account). It wins
# over the context variable: a web request's statements run in pooled threads whose context variables
# are not the request's, while its connection is its own. Set it with `as_account`.
ACTOR_KEY = "tinhgon_actor"


def actor_of(conn: Connection) -> str:
    actor = conn.info.get(ACTOR_KEY)
    return actor if actor else current_actor()


@contextmanager
def as_account(conn: Connection, username: str) -> Iterator[Connection]:
    """Log what happens on CONN as done by USERNAME, until the block ends (info outlives a checkout:
    the key is always removed)."""
    conn.info[ACTOR_KEY] = username
    try:
        yield conn
    finally:
        conn.info.pop(ACTOR_KEY, None)


@contextmanager
def acting_as(actor: str | None, context: str | None = None) -> Iterator[None]:
    t1 = _actor.set(actor)
    t2 = _context.set(context)
    try:
        yield
    finally:
        _actor.reset(t1)
        _context.reset(t2)


@contextmanager
def suspended() -> Iterator[None]:
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _dump(row: dict[str, Any]) -> str:
    return json.dumps({k: _jsonable(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True)


def _refs(table: Table, row: dict[str, Any]) -> tuple[str | None, int | None, int | None]:
    pk = [c.name for c in table.primary_key.columns]
    row_id = "/".join(str(row.get(c)) for c in pk) if pk and all(row.get(c) is not None for c in pk) else None
    unit_id = row.get("unit_id")
    if table.name == "unit":
        unit_id = row.get("id")
    person_id = row.get("person_id")
    if table.name == "person":
        person_id = row.get("id")
    return row_id, unit_id if isinstance(unit_id, int) else None, person_id if isinstance(person_id, int) else None


def _entries(conn: Connection, action: str, table: Table,
             rows: Sequence[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    actor, context = actor_of(conn), _context.get()
    out = []
    for before, after in rows:
        row_id, unit_id, person_id = _refs(table, after or before or {})
        out.append({"at": now, "actor": actor, "action": action, "table_name": table.name, "row_id": row_id,
                    "unit_id": unit_id, "person_id": person_id,
                    "before": _dump(before) if before is not None else None,
                    "after": _dump(after) if after is not None else None, "context": context})
    return out


def _target(stmt: Any) -> Table | None:
    table = getattr(stmt, "table", None)
    if isinstance(table, Table) and table.name not in SKIP and table.name in audit_log.metadata.tables:
        return table
    return None


# execution option of an UPDATE whose caller logs it itself with record_updates(): it knows the rows
# before and after (from RETURNING), so the SELECT before and after each UPDATE is not needed
CALLER_LOGS = {"tinhgon_caller_logs": True}


def _before_execute(conn: Connection, clauseelement: Any, multiparams: Any, params: Any,
                    execution_options: Any) -> None:
    if _suspended.get() or conn.info.get("tinhgon_in_audit") or execution_options.get("tinhgon_caller_logs"):
        return
    if not isinstance(clauseelement, Update | Delete):
        return
    table = _target(clauseelement)
    if table is None or multiparams:  # executemany updates: logged from their parameters afterwards
        return
    where = clauseelement.whereclause
    conn.info["tinhgon_in_audit"] = True
    try:
        q = select(table) if where is None else select(table).where(where)
        # a statement built once takes its WHERE values as parameters: the SELECT needs them too
        before = [dict(r._mapping) for r in conn.execute(q, params or None)]
    finally:
        conn.info["tinhgon_in_audit"] = False
    conn.info.setdefault("tinhgon_pending", []).append((clauseelement, before))


def _after_execute(conn: Connection, clauseelement: Any, multiparams: Any, params: Any,
                   execution_options: Any, result: Any) -> None:
    if _suspended.get() or conn.info.get("tinhgon_in_audit") or execution_options.get("tinhgon_caller_logs"):
        return
    if not isinstance(clauseelement, Insert | Update | Delete):
        return
    table = _target(clauseelement)
    if table is None:
        return
    entries: list[dict[str, Any]] = []
    if isinstance(clauseelement, Insert):
        # the bound values as the dialect received them: .values(...), execute() parameters and
        # column defaults alike, one dict per row (also for executemany)
        param_sets = list(getattr(result.context, "compiled_parameters", None) or [params or {}])
        try:
            pks = result.inserted_primary_key_rows
        except Exception:  # some executemany forms cannot tell the keys
            pks = None
        pk_cols = [c.name for c in table.primary_key.columns]
        cols = {c.name for c in table.columns}
        rows = []
        for i, p in enumerate(param_sets):
            row = {k: v for k, v in (p or {}).items() if k in cols}
            if pks and i < len(pks) and pks[i] is not None:
                row.update({c: v for c, v in zip(pk_cols, pks[i], strict=False) if v is not None})
            rows.append((None, row))
        entries = _entries(conn, "insert", table, rows)
    else:
        pending = conn.info.get("tinhgon_pending") or []
        match = next((i for i in range(len(pending) - 1, -1, -1) if pending[i][0] is clauseelement), None)
        if match is None:  # executemany update/delete: the parameters are what we know
            sets = list(getattr(result.context, "compiled_parameters", None) or [params or {}])
            entries = _entries(conn, "update" if isinstance(clauseelement, Update) else "delete", table,
                               [(dict(p), None) for p in sets])
        else:
            _stmt, before = pending.pop(match)
            if isinstance(clauseelement, Delete):
                entries = _entries(conn, "delete", table, [(b, None) for b in before])
            else:
                pk = list(table.primary_key.columns)
                conn.info["tinhgon_in_audit"] = True
                try:
                    after_rows = []
                    if len(pk) == 1:  # one query per chunk of keys, not one per row
                        col = pk[0]
                        found: dict[Any, dict[str, Any]] = {}
                        keys = [b[col.name] for b in before]
                        for i in range(0, len(keys), 900):
                            for r in conn.execute(select(table).where(col.in_(keys[i:i + 900]))):
                                found[r._mapping[col.name]] = dict(r._mapping)
                        after_rows = [(b, found.get(b[col.name])) for b in before]
                    else:
                        for b in before:
                            got = conn.execute(select(table).where(*[c == b[c.name] for c in pk])).first()
                            after_rows.append((b, dict(got._mapping) if got is not None else None))
                finally:
                    conn.info["tinhgon_in_audit"] = False
                entries = _entries(conn, "update", table, [(b, a) for b, a in after_rows if a != b])
    if entries:
        conn.info["tinhgon_in_audit"] = True
        try:
            for i in range(0, len(entries), 2000):
                conn.execute(insert(audit_log), entries[i:i + 2000])
        finally:
            conn.info["tinhgon_in_audit"] = False


def install(engine: Engine) -> None:
    """Attach change capture to an engine (idempotent)."""
    if getattr(engine, "_tinhgon_audit", False):
        return
    event.listen(engine, "before_execute", _before_execute)
    event.listen(engine, "after_execute", _after_execute)
    engine._tinhgon_audit = True  # type: ignore[attr-defined]


def record_updates(conn: Connection, table: Table,
                   rows: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Log UPDATEs run with CALLER_LOGS: every (before, after) pair of whole rows of TABLE, in one INSERT,
    as the capture would have logged them (a row left as it was is not logged)."""
    if _suspended.get() or table.name in SKIP:
        return
    entries = _entries(conn, "update", table, [(b, a) for b, a in rows if a != b])
    if entries:
        conn.info["tinhgon_in_audit"] = True
        try:
            conn.execute(insert(audit_log), entries)
        finally:
            conn.info["tinhgon_in_audit"] = False


def record_access(conn: Connection, action: str, what: str, *, unit_id: int | None = None,
                  person_ids: list[int] | None = None, detail: dict[str, Any] | None = None) -> None:
    """Log a read or an export of personal data by the current actor (never the data itself)."""
    if action not in ("read", "export"):
        raise ValueError("action must be read or export")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    base = {"at": now, "actor": actor_of(conn), "action": action, "table_name": what, "row_id": None,
            "unit_id": unit_id, "before": None, "context": _context.get()}
    ids: list[int | None] = list(person_ids) if person_ids else [None]
    info = _dump(detail or {}) if detail else None
    rows = [{**base, "person_id": pid, "after": info} for pid in ids]
    conn.info["tinhgon_in_audit"] = True
    try:
        for i in range(0, len(rows), 2000):
            conn.execute(insert(audit_log), rows[i:i + 2000])
    finally:
        conn.info["tinhgon_in_audit"] = False


def record_system(conn: Connection, what: str, table_name: str, summary: dict[str, Any]) -> None:
    """One entry for a bulk system load done with capture suspended (seed, demo, imports' summary)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # the rows themselves went in with capture suspended (some through COPY): say what changed
    dataversion.mark_changed(conn, dataversion.domain_of(table_name))
    conn.info["tinhgon_in_audit"] = True
    try:
        conn.execute(insert(audit_log).values(
            at=now, actor=actor_of(conn), action="insert", table_name=table_name, row_id=None, unit_id=None,
            person_id=None, before=None, after=_dump({"bulk": what, **summary}), context=_context.get() or what))
    finally:
        conn.info["tinhgon_in_audit"] = False
