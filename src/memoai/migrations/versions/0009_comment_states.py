"""comment_states: what the writer did with each comment of an evaluation (done or dismissed;
no row means open)

Revision ID: 0009_comment_states
Revises: 0008_language
Create Date: 2026-12-01 11:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from memoai.db import UTCDateTime

revision = "0009_comment_states"
down_revision = "0008_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_states",
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("comment_index", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_comment_states_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", "comment_index", name=op.f("pk_comment_states")),
    )


def downgrade() -> None:
    op.drop_table("comment_states")
