"""Tables of merger dossiers (hồ sơ), on the registry's metadata.

A dossier copies the procedure steps of the rule pack in force when it starts (and when the pack changes
while it runs, the steps not yet reached), so a later pack never rewrites a step already taken. Statuses
stored are what officials did (pending, in progress, done, stopped); "overdue" depends on the day asked
and is computed, never stored.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
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

dossier = Table(
    "dossier",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False),
    # the commune whose groups merge: it drafts the scheme and consults its households
    Column("commune_unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("status", String(10), nullable=False, default="open"),
    Column("has_commune_council", Boolean, nullable=False),
    Column("procedure_rule_id", String(120), nullable=False),
    Column("procedure_citation", Text, nullable=False),
    Column("consultation_rule_id", String(120)),
    Column("consultation_max_rounds", Integer, nullable=False, default=1),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100)),
    Column("row_version", Integer, nullable=False, default=1),
    UniqueConstraint("plan_id", "commune_unit_id", name="uq_dossier_plan_commune"),
    CheckConstraint("status IN ('open', 'stopped', 'done')", name="status"),
)

dossier_step = Table(
    "dossier_step",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("step_code", String(60), nullable=False),       # the step id of the rule pack
    Column("name_vi", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("working_days", Integer),                      # deadline after the previous step; NULL: none
    Column("rule_id", String(120), nullable=False),       # the procedure rule the step was copied from
    Column("tag", String(10), nullable=False),
    Column("status", String(12), nullable=False, default="pending"),
    Column("done_on", Date),
    Column("done_by", String(100)),
    Column("failed_attempts", Integer, nullable=False, default=0),
    UniqueConstraint("dossier_id", "position", name="uq_dossier_step_position"),
    UniqueConstraint("dossier_id", "step_code", name="uq_dossier_step_code"),
    CheckConstraint("status IN ('pending', 'done', 'stopped')", name="status"),
)
Index("ix_dossier_step_dossier", dossier_step.c.dossier_id)

# every move: who did what on which day (the day the step was done, and when it was typed in)
dossier_event = Table(
    "dossier_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False),
    Column("step_code", String(60)),
    Column("action", String(20), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("by_user", String(100)),
    Column("recorded_at", DateTime, nullable=False),
    Column("note", Text),
    CheckConstraint("action IN ('created', 'done', 'failed', 'stopped', 'attached', 'generated', 'resynced')",
                    name="action"),
)
Index("ix_dossier_event_dossier", dossier_event.c.dossier_id)

dossier_document = Table(
    "dossier_document",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False),
    Column("step_code", String(60)),
    Column("origin", String(10), nullable=False),          # generated | uploaded
    Column("doc_kind", String(40), nullable=False),        # de-an, to-trinh, ... or 'file' for uploads
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100)),
    CheckConstraint("origin IN ('generated', 'uploaded')", name="origin"),
)
Index("ix_dossier_document_dossier", dossier_document.c.dossier_id)
