"""web application: accounts, settings, plan edit history and pinned units

Revision ID: 0006_web
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_web"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("scope_unit_id", sa.Integer(), nullable=False),
        sa.Column("scope_at", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["scope_unit_id"], ["unit.id"], name=op.f("fk_web_user_scope_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_user")),
        sa.UniqueConstraint("username", name=op.f("uq_web_user_username")),
    )
    op.create_table(
        "web_setting",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_setting")),
    )
    op.create_table(
        "web_plan_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("undone", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_web_plan_step_plan_id_plan"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_plan_step")),
        sa.UniqueConstraint("plan_id", "seq", name="uq_web_plan_step_seq"),
    )
    op.create_index("ix_web_plan_step_plan", "web_plan_step", ["plan_id"], unique=False)
    op.create_table(
        "web_plan_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_web_plan_lock_plan_id_plan"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_web_plan_lock_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_plan_lock")),
        sa.UniqueConstraint("plan_id", "unit_id", name="uq_web_plan_lock_unit"),
    )


def downgrade() -> None:
    op.drop_table("web_plan_lock")
    op.drop_index("ix_web_plan_step_plan", table_name="web_plan_step")
    op.drop_table("web_plan_step")
    op.drop_table("web_setting")
    op.drop_table("web_user")
