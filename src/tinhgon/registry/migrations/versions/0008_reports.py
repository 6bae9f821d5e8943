"""opinions heard at review meetings

Revision ID: 0008_reports
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_reports"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("speaker_role", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("to_higher_level", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_meeting_opinion_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_opinion")),
    )
    op.create_index("ix_meeting_opinion_unit_date", "meeting_opinion", ["unit_id", "meeting_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_meeting_opinion_unit_date", table_name="meeting_opinion")
    op.drop_table("meeting_opinion")
