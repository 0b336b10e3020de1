"""runtime_flags (the debug switch every replica follows); debug_records (what debug mode
captured, redacted), replacing the evaluations' raw_prompt, raw_response and debug_timings

Revision ID: 0006_debug
Revises: 0005_usage
Create Date: 2026-12-01 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from memoai.db import UTCDateTime

revision = "0006_debug"
down_revision = "0005_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runtime_flags",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_runtime_flags")),
    )
    op.create_table(
        "debug_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("chat_message_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_debug_records_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debug_records")),
    )
    with op.batch_alter_table("debug_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_debug_records_evaluation_id_created_at",
            ["evaluation_id", "created_at"],
            unique=False,
        )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_column("debug_timings")
        batch_op.drop_column("raw_response")
        batch_op.drop_column("raw_prompt")


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_prompt", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("raw_response", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("debug_timings", sa.JSON(), nullable=True))
    with op.batch_alter_table("debug_records", schema=None) as batch_op:
        batch_op.drop_index("ix_debug_records_evaluation_id_created_at")
    op.drop_table("debug_records")
    op.drop_table("runtime_flags")
