"""config_versions: configuration versions, the newest of each type active

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from memoai.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_versions")),
        sa.UniqueConstraint("type", "version", name=op.f("uq_config_versions_type_version")),
    )
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.create_index("ix_config_versions_type_id", ["type", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_config_versions_type_id")

    op.drop_table("config_versions")
