"""Registry-wide data versions: counters raised in the same transaction as every committed change.

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

# Two counters, so that a ballot entered does not throw away every ward's cached page:
REGISTRY = 1   # units and their versions, lineage, households, people, titles, holdings, accounts...
ACTIVITY = 2   # work done on top of the registry: consultations and ballots, plans, staffing, dossiers,
#                coordination, opinions. Caches of registry data never depend on these tables.
# Any table not named here counts as REGISTRY, so a new table can only cause extra refreshes, never a
# stale page.
ACTIVITY_TABLES = frozenset({
    "official", "consultation", "consultation_unit", "roll_entry", "consultation_round",
    "consultation_round_unit", "candidate", "ballot",
    "plan", "plan_group", "plan_member", "web_plan_step", "web_plan_lock",
    "staffing_proposal", "staffing_pin", "staffing_decision",
    "dossier", "dossier_step", "dossier_event", "dossier_document",
    "coord_rule", "coord_rule_version", "coord_signing", "coord_signatory", "coord_evaluation",
    "coord_evaluation_score", "delegation", "delegation_act", "governance_body",
    "meeting_opinion",
})
_DIRTY = "tinhgon_dirty"
_SEEN = "_tinhgon_version_seen"


def domain_of(table_name: str) -> int:
    return ACTIVITY if table_name in ACTIVITY_TABLES else REGISTRY


def mark_changed(conn: Connection, domain: int = REGISTRY) -> None:
    """Say that this transaction changed data (for writes that bypass SQLAlchemy, e.g. COPY)."""
    conn.info.setdefault(_DIRTY, set()).add(domain)


_CURRENT = select(data_version.c.id, data_version.c.n)  # built once: every web request reads it


def current(conn: Connection) -> tuple[int, int]:
    """(registry version, activity version) as committed now."""
    got = dict(conn.execute(_CURRENT).all())
    return int(got.get(REGISTRY, 0)), int(got.get(ACTIVITY, 0))


def seen(conn: Connection) -> tuple[int, int]:
    """The versions read once by this Connection's current transaction (forgotten at commit or rollback)."""
    v = conn.__dict__.get(_SEEN)
    if v is None:
        v = conn.__dict__[_SEEN] = current(conn)
    return v


def noted(conn: Connection) -> frozenset[int]:
    """The domains the current transaction has changed so far (see unnote)."""
    return frozenset(conn.info.get(_DIRTY) or ())


def unnote(conn: Connection, before: frozenset[int]) -> None:
    """After a write that matched no row: the transaction has changed no more than it had when noted()
    answered BEFORE, so its commit raises no other counter."""
    if before:
        conn.info[_DIRTY] = set(before)
    else:
        conn.info.pop(_DIRTY, None)


def wrote(conn: Connection, domain: int | None = None) -> bool:
    """Whether the current transaction on CONN has changed data (of DOMAIN, or any), not yet committed."""
    dirty = conn.info.get(_DIRTY) or set()
    return bool(dirty) if domain is None else domain in dirty


def _after_execute(conn: Connection, clauseelement: Any, multiparams: Any, params: Any,
                   execution_options: Any, result: Any) -> None:
    if isinstance(clauseelement, Insert | Update | Delete):
        name = getattr(clauseelement.table, "name", None)
        # an audit_log row follows the change it records (or is a logged read of personal data)
        if name is None or (name not in VOLATILE and name != "audit_log"):
            mark_changed(conn, domain_of(name) if name else REGISTRY)
    elif isinstance(clauseelement, str) and clauseelement.lstrip()[:6].lower() in ("insert", "update", "delete"):
        mark_changed(conn, REGISTRY)


def _on_commit(conn: Connection) -> None:
    conn.__dict__.pop(_SEEN, None)
    dirty = conn.info.pop(_DIRTY, None)
    if dirty:
        # straight on the driver's cursor: inside the commit no SQLAlchemy event must fire again
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            for domain in sorted(dirty):  # always in the same order: no deadlock between two commits
                cursor.execute(f"UPDATE data_version SET n = n + 1 WHERE id = {int(domain)}")
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
