"""usage indexes: the admin status's usage sums read one covering index of evaluations (no
row lookups); the provider's last success is one index seek; chat replies by time

Revision ID: 0011_usage_indexes
Revises: 0010_user_language
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011_usage_indexes"
down_revision = "0010_user_language"
branch_labels = None
depends_on = None

USAGE_COLUMNS = [
    "created_at",
    "provider",
    "model",
    "user_id",
    "session_id",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_usd",
]


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_usage", USAGE_COLUMNS, unique=False)
        batch_op.create_index(
            "ix_evaluations_provider_status_created_at",
            ["provider", "status", "created_at"],
            unique=False,
        )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index("ix_chat_messages_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_messages_created_at")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluations_provider_status_created_at")
        batch_op.drop_index("ix_evaluations_usage")
