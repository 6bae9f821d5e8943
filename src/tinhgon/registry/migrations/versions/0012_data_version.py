"""data version: a counter raised by every committed change (cache validation across processes)

Revision ID: 0012_data_version
Revises: 0010_reliability
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_data_version"
down_revision = "0010_reliability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.bulk_insert(table, [{"id": 1, "n": 0}, {"id": 2, "n": 0}])  # 1 registry, 2 activity


def downgrade() -> None:
    op.drop_table("data_version")
