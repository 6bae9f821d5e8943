"""merger dossiers: steps, moves and documents

Revision ID: 0009_dossier
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_dossier"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("commune_unit_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("has_commune_council", sa.Boolean(), nullable=False),
        sa.Column("procedure_rule_id", sa.String(length=120), nullable=False),
        sa.Column("procedure_citation", sa.Text(), nullable=False),
        sa.Column("consultation_rule_id", sa.String(length=120), nullable=True),
        sa.Column("consultation_max_rounds", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'stopped', 'done')", name=op.f("ck_dossier_status")),
        sa.ForeignKeyConstraint(["commune_unit_id"], ["unit.id"], name=op.f("fk_dossier_commune_unit_id_unit")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_dossier_plan_id_plan"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier")),
        sa.UniqueConstraint("plan_id", "commune_unit_id", name="uq_dossier_plan_commune"),
    )
    op.create_table(
        "dossier_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("step_code", sa.String(length=60), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.String(length=120), nullable=False),
        sa.Column("tag", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'done', 'stopped')", name=op.f("ck_dossier_step_status")),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"], name=op.f("fk_dossier_step_dossier_id_dossier"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_step")),
        sa.UniqueConstraint("dossier_id", "position", name="uq_dossier_step_position"),
        sa.UniqueConstraint("dossier_id", "step_code", name="uq_dossier_step_code"),
    )
    op.create_index("ix_dossier_step_dossier", "dossier_step", ["dossier_id"], unique=False)
    op.create_table(
        "dossier_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("step_code", sa.String(length=60), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("by_user", sa.String(length=100), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("action IN ('created', 'done', 'failed', 'stopped', 'attached', 'generated', "
                           "'resynced')", name=op.f("ck_dossier_event_action")),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"], name=op.f("fk_dossier_event_dossier_id_dossier"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_event")),
    )
    op.create_index("ix_dossier_event_dossier", "dossier_event", ["dossier_id"], unique=False)
    op.create_table(
        "dossier_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("step_code", sa.String(length=60), nullable=True),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("doc_kind", sa.String(length=40), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("origin IN ('generated', 'uploaded')", name=op.f("ck_dossier_document_origin")),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"],
                                name=op.f("fk_dossier_document_dossier_id_dossier"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_document")),
    )
    op.create_index("ix_dossier_document_dossier", "dossier_document", ["dossier_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dossier_document_dossier", table_name="dossier_document")
    op.drop_table("dossier_document")
    op.drop_index("ix_dossier_event_dossier", table_name="dossier_event")
    op.drop_table("dossier_event")
    op.drop_index("ix_dossier_step_dossier", table_name="dossier_step")
    op.drop_table("dossier_step")
    op.drop_table("dossier")
