"""execute: merger applications (exact undo) and holdings awaiting a staffing decision (issue 8)

Revision ID: 0004_execute
Revises: 0002
Create Date: 2026-11-22 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_execute"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merge_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("doc_number", sa.String(length=100), nullable=True),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("issuer", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.Column("finalised_at", sa.DateTime(), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_merge_application_plan_id_plan"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_application")),
    )
    with op.batch_alter_table("merge_application", schema=None) as batch_op:
        batch_op.create_index("ix_merge_application_plan", ["plan_id"], unique=False)
    op.create_table(
        "merge_pending_title",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("holding_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("title_code", sa.String(length=60), nullable=False),
        sa.Column("old_unit_id", sa.Integer(), nullable=False),
        sa.Column("new_unit_id", sa.Integer(), nullable=False),
        sa.Column("concurrent", sa.Boolean(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["merge_application.id"],
                                name=op.f("fk_merge_pending_title_application_id_merge_application"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["holding_id"], ["title_holding.id"],
                                name=op.f("fk_merge_pending_title_holding_id_title_holding")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_merge_pending_title_person_id_person")),
        sa.ForeignKeyConstraint(["old_unit_id"], ["unit.id"], name=op.f("fk_merge_pending_title_old_unit_id_unit")),
        sa.ForeignKeyConstraint(["new_unit_id"], ["unit.id"], name=op.f("fk_merge_pending_title_new_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_pending_title")),
    )
    with op.batch_alter_table("merge_pending_title", schema=None) as batch_op:
        batch_op.create_index("ix_merge_pending_title_application", ["application_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("merge_pending_title", schema=None) as batch_op:
        batch_op.drop_index("ix_merge_pending_title_application")
    op.drop_table("merge_pending_title")
    with op.batch_alter_table("merge_application", schema=None) as batch_op:
        batch_op.drop_index("ix_merge_application_plan")
    op.drop_table("merge_application")
