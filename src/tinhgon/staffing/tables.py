"""Tables of the staffing domain: a proposal per plan, officials' pins, and the decisions themselves.

One proposal per plan (proposing again replaces it); pins outlive proposals so that officials can pin a
choice and solve again. A decision names either a new group (``group_label`` of the plan) or a commune
(``commune_unit_id``) and one title; ``person_id`` NULL means the title is left vacant.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text

from tinhgon.registry.schema import metadata

staffing_proposal = Table(
    "staffing_proposal",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("effective_date", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("params", Text),   # JSON: commune classes and age limits supplied by the official
    Column("notes", Text),    # JSON: what the proposal says about communes (quota unknown, ended...)
)

staffing_pin = Table(
    "staffing_pin",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False),
    Column("scope", String(10), nullable=False),          # "group" | "commune"
    Column("group_label", String(60)),                    # the plan group's label (scope group)
    Column("commune_unit_id", Integer, ForeignKey("unit.id")),  # scope commune
    Column("title_code", String(60), ForeignKey("title_type.code"), nullable=False),
    Column("person_id", Integer, ForeignKey("person.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_staffing_pin_plan", staffing_pin.c.plan_id)

staffing_decision = Table(
    "staffing_decision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id", ondelete="CASCADE"), nullable=False),
    Column("scope", String(10), nullable=False),          # "group" | "commune"
    Column("group_label", String(60)),
    Column("commune_unit_id", Integer, ForeignKey("unit.id")),
    Column("title_code", String(60), ForeignKey("title_type.code"), nullable=False),
    Column("person_id", Integer, ForeignKey("person.id")),  # NULL: vacant
    Column("concurrent", Boolean, nullable=False, default=False),
    Column("reason_code", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("pinned", Boolean, nullable=False, default=False),
)
Index("ix_staffing_decision_plan", staffing_decision.c.plan_id)
