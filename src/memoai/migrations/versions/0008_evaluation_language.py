"""evaluations.language: the writer's language ("en" or "es") the evaluation was written in;
earlier evaluations were all English

Revision ID: 0008_language
Revises: 0007_created_at
Create Date: 2026-12-01 10:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_language"
down_revision = "0007_created_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="en")
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_column("language")
