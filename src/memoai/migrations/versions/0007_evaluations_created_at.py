"""ix_evaluations_created_at: the admin status's time windows (today, week, hour, usage)

Revision ID: 0007_created_at
Revises: 0006_debug
Create Date: 2026-12-01 07:05:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007_created_at"
down_revision = "0006_debug"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluations_created_at")
