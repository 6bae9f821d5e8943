"""Tables of the web application: accounts, settings (the session signing key), plan edit history and
units pinned in a plan workspace. On ``tinhgon.registry.schema.metadata``; migration ``0006_web``."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tinhgon.registry.schema import metadata

web_user = Table(
    "web_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(30), nullable=False),
    Column("scope_unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("scope_at", Date),  # the date the scope code was resolved on (for the record)
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
)

web_setting = Table(
    "web_setting",
    metadata,
    Column("key", String(60), primary_key=True),
    Column("value", Text, nullable=False),
)

# One hand edit of a plan (a move): the assignment before and after, so it can be undone and redone.
web_plan_step = Table(
    "web_plan_step",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("before", Text, nullable=False),   # JSON {unit_id: label}
    Column("after", Text, nullable=False),    # JSON {unit_id: label}
    Column("undone", Boolean, nullable=False, default=False),
    Column("username", String(100)),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("plan_id", "seq", name="uq_web_plan_step_seq"),
)
Index("ix_web_plan_step_plan", web_plan_step.c.plan_id)

# A unit pinned in a plan workspace: hand moves and re-solves leave it where it is.
web_plan_lock = Table(
    "web_plan_lock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("username", String(100)),
    UniqueConstraint("plan_id", "unit_id", name="uq_web_plan_lock_unit"),
)
