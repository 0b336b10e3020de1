"""users.language: the language a signed-in person chose ("en" or "es"); none means the
browser's choice (the switch's cookie, else Accept-Language)

Revision ID: 0010_user_language
Revises: 0009_comment_states
Create Date: 2026-12-02 04:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_user_language"
down_revision = "0009_comment_states"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
