"""The audit log: every change (who, when, what, before and after) and every read or export of
personal data by a person (Nghị định 13/2023/NĐ-CP expects both to be traceable)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, Text

from tinhgon.registry.schema import metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(10), nullable=False),       # insert | update | delete | read | export
    Column("table_name", String(60), nullable=False),
    Column("row_id", String(60)),
    Column("unit_id", Integer),                         # the unit the row belongs to, when it has one
    Column("person_id", Integer),                       # the person the row is about, when it is one
    Column("before", Text),                             # JSON of the row before (update, delete)
    Column("after", Text),                              # JSON of the row after (insert, update)
    Column("context", String(200)),                     # command or page that made the change
)
Index("ix_audit_log_unit", audit_log.c.unit_id, audit_log.c.at)
Index("ix_audit_log_person", audit_log.c.person_id, audit_log.c.at)
Index("ix_audit_log_at", audit_log.c.at)

# One row whose counter goes up with every committed change to the registry (see dataversion.py):
# caches in the web processes key on it, so an edit in one process is seen at once by all others.
data_version = Table(
    "data_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("n", BigInteger, nullable=False),
)
