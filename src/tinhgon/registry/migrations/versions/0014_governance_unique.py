"""governance_body: one row per unit, body, source and start date (concurrent first uses cannot duplicate)

Revision ID: 0014_governance_unique
Revises: 0005_coordination
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_governance_unique"
down_revision = "0005_coordination"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows written twice by two first uses at once (before this constraint): keep the first of each
    op.execute(sa.text(
        "DELETE FROM governance_body WHERE id NOT IN (SELECT min(id) FROM governance_body "
        "GROUP BY unit_id, body, source, valid_from)"))
    op.create_index("uq_governance_body_period", "governance_body", ["unit_id", "body", "source", "valid_from"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_governance_body_period", table_name="governance_body")
