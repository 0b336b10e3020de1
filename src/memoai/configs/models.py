"""config_versions: every version of every configuration file; the newest of a type is active."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from memoai.db import Base, utcnow


class Source:
    FILE = "file"
    ADMIN = "admin"


class ConfigVersion(Base):
    __tablename__ = "config_versions"
    __table_args__ = (
        UniqueConstraint("type", "version"),
        Index("ix_config_versions_type_id", "type", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(16))
    # 1, 2, 3… per type; unique, so two writers racing for the same number cannot both win.
    version: Mapped[int]
    # sha256 of the text exactly as stored.
    hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # sha256 of the file content this version was imported from or written to (None: the file
    # never held it). The newest non-null one per type is what the file was last synced with.
    file_hash: Mapped[str | None] = mapped_column(String(64), default=None)
