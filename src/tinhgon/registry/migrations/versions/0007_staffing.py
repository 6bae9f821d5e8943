"""staffing after a merger: proposals, pins, decisions (issue 6)

Revision ID: 0007_staffing
Revises: 0002
Create Date: 2026-11-22 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_staffing"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staffing_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("params", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_staffing_proposal_plan_id_plan"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staffing_proposal")),
        sa.UniqueConstraint("plan_id", name=op.f("uq_staffing_proposal_plan_id")),
    )
    op.create_table(
        "staffing_pin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("group_label", sa.String(length=60), nullable=True),
        sa.Column("commune_unit_id", sa.Integer(), nullable=True),
        sa.Column("title_code", sa.String(length=60), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["commune_unit_id"], ["unit.id"], name=op.f("fk_staffing_pin_commune_unit_id_unit")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_staffing_pin_person_id_person")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_staffing_pin_plan_id_plan"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["title_code"], ["title_type.code"],
                                name=op.f("fk_staffing_pin_title_code_title_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staffing_pin")),
    )
    with op.batch_alter_table("staffing_pin", schema=None) as batch_op:
        batch_op.create_index("ix_staffing_pin_plan", ["plan_id"], unique=False)
    op.create_table(
        "staffing_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("group_label", sa.String(length=60), nullable=True),
        sa.Column("commune_unit_id", sa.Integer(), nullable=True),
        sa.Column("title_code", sa.String(length=60), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("concurrent", sa.Boolean(), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["commune_unit_id"], ["unit.id"],
                                name=op.f("fk_staffing_decision_commune_unit_id_unit")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_staffing_decision_person_id_person")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_staffing_decision_plan_id_plan"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["title_code"], ["title_type.code"],
                                name=op.f("fk_staffing_decision_title_code_title_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staffing_decision")),
    )
    with op.batch_alter_table("staffing_decision", schema=None) as batch_op:
        batch_op.create_index("ix_staffing_decision_plan", ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staffing_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_staffing_decision_plan")
    op.drop_table("staffing_decision")
    with op.batch_alter_table("staffing_pin", schema=None) as batch_op:
        batch_op.drop_index("ix_staffing_pin_plan")
    op.drop_table("staffing_pin")
    op.drop_table("staffing_proposal")
