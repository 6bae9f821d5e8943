"""execute: how a title awaiting a staffing decision was settled (who, when, which decision) (issue 8)

Revision ID: 0013_pending_resolution
Revises: 0004_execute
Create Date: 2026-11-22 10:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_pending_resolution"
down_revision = "0004_execute"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merge_pending_title", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("resolved_holding_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("resolved_decision", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("resolved_decision_date", sa.Date(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_merge_pending_title_resolved_holding_id_title_holding"),
                                    "title_holding", ["resolved_holding_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("merge_pending_title", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_merge_pending_title_resolved_holding_id_title_holding"), type_="foreignkey")
        for col in ("resolved_decision_date", "resolved_decision", "resolved_by", "resolved_at",
                    "resolved_holding_id", "resolution"):
            batch_op.drop_column(col)
