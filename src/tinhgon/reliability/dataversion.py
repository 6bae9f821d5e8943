"""A registry-wide data version: one counter, raised in the same transaction as every committed change.

Web processes cache what they read (a unit's figures, scopes, accounts) keyed on this number, so a
change committed by any process (another web worker, the CLI, an import) is seen by every process on
its next request, and nothing stale is served. Reading it is one primary-key lookup.

The counter is raised at commit time, not at the first write, so the row lock it takes on PostgreSQL
lasts only for the commit itself: long transactions (a merger, an import) do not hold up other writers.
Commits are serialised on that row, so the number grows in commit order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event, inspect, select
from sqlalchemy.sql.dml import Delete, Insert, Update

from tinhgon.reliability.tables import data_version

# tables whose rows are not registry data: sessions, background jobs, settings, the counter itself
VOLATILE = {"data_version", "alembic_version", "web_session", "web_job", "web_setting"}
_DIRTY = "tinhgon_dirty"
_SEEN = "_tinhgon_version_seen"


def mark_changed(conn: Connection) -> None:
    """Say that this transaction changed registry data (for writes that bypass SQLAlchemy, e.g. COPY)."""
    conn.info[_DIRTY] = True


def current(conn: Connection) -> int:
    n = conn.execute(select(data_version.c.n).where(data_version.c.id == 1)).scalar()
    return int(n or 0)


def seen(conn: Connection) -> int:
    """The version read once by this Connection's current transaction (forgotten at commit or rollback)."""
    v = conn.__dict__.get(_SEEN)
    if v is None:
        v = conn.__dict__[_SEEN] = current(conn)
    return int(v)


def wrote(conn: Connection) -> bool:
    """Whether the current transaction on CONN has changed registry data (not yet committed)."""
    return bool(conn.info.get(_DIRTY))


def _after_execute(conn: Connection, clauseelement: Any, multiparams: Any, params: Any,
                   execution_options: Any, result: Any) -> None:
    if conn.info.get("tinhgon_access_log"):
        return  # a logged read of personal data changes no data
    if isinstance(clauseelement, Insert | Update | Delete):
        name = getattr(clauseelement.table, "name", None)
        if name not in VOLATILE:
            conn.info[_DIRTY] = True
    elif isinstance(clauseelement, str) and clauseelement.lstrip()[:6].lower() in ("insert", "update", "delete"):
        conn.info[_DIRTY] = True


def _on_commit(conn: Connection) -> None:
    conn.__dict__.pop(_SEEN, None)
    if conn.info.pop(_DIRTY, False):
        # straight on the driver's cursor: inside the commit no SQLAlchemy event must fire again
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute("UPDATE data_version SET n = n + 1 WHERE id = 1")
        finally:
            cursor.close()


def _on_rollback(conn: Connection) -> None:
    conn.__dict__.pop(_SEEN, None)
    conn.info.pop(_DIRTY, None)


def install(engine: Engine) -> None:
    """Raise the counter on every commit that changed data (idempotent; needs the table to exist)."""
    if getattr(engine, "_tinhgon_data_version", False):
        return
    with engine.connect() as conn:
        if not inspect(conn).has_table("data_version"):
            return  # an engine on a database not (yet) migrated: nothing to keep in step
    event.listen(engine, "after_execute", _after_execute)
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)
    engine._tinhgon_data_version = True  # type: ignore[attr-defined]
