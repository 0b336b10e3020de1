"""user_budgets (a user's own daily model budget); chat replies' prompt tokens and cost

Revision ID: 0005_usage
Revises: 0004
Create Date: 2026-12-01 06:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from memoai.db import UTCDateTime

revision = "0005_usage"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_budgets",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("daily_usd", sa.Double(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_budgets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_budgets")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("prompt_tokens", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("cost_usd", sa.Double(), nullable=True))
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.alter_column("prompt_tokens", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_column("cost_usd")
        batch_op.drop_column("prompt_tokens")
    op.drop_table("user_budgets")
