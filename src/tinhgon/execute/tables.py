"""Tables of the execute domain: what applying a merger plan did (so that undo is exact) and the
title holdings that were closed without a staffing decision (never dropped silently), until a later
decision settles them."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text

from tinhgon.registry.schema import metadata

merge_application = Table(
    "merge_application",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("doc_number", String(100)),
    Column("doc_date", Date),
    Column("issuer", String(200)),
    Column("status", String(20), nullable=False),   # applied | finalised | undone
    Column("applied_at", DateTime, nullable=False),
    Column("finalised_at", DateTime),
    Column("undone_at", DateTime),
    Column("record", Text, nullable=False),   # JSON: rows created and rows closed (with their old end date)
    Column("summary", Text),                  # JSON: counts shown to the official
)
Index("ix_merge_application_plan", merge_application.c.plan_id)

merge_pending_title = Table(
    "merge_pending_title",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("merge_application.id", ondelete="CASCADE"), nullable=False),
    Column("holding_id", Integer, ForeignKey("title_holding.id"), nullable=False),   # the holding closed
    Column("person_id", Integer, ForeignKey("person.id"), nullable=False),
    Column("title_code", String(60), nullable=False),
    Column("old_unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("new_unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("concurrent", Boolean, nullable=False, default=False),
    Column("resolved", Boolean, nullable=False, default=False),
    # set when a staffing decision later settles the title (tinhgon staffing decide): kept (the person holds
    # a title in the new unit: that holding) or released; who, when, and the decision's number and date
    Column("resolution", String(20)),
    Column("resolved_holding_id", Integer, ForeignKey("title_holding.id")),
    Column("resolved_at", DateTime),
    Column("resolved_by", String(100)),
    Column("resolved_decision", String(100)),
    Column("resolved_decision_date", Date),
)
Index("ix_merge_pending_title_application", merge_pending_title.c.application_id)
