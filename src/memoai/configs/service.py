"""Stored configuration versions: the newest of each type is the active one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.configs.models import ConfigVersion
from memoai.db import Executor, utcnow

_TABLE: Table = ConfigVersion.__table__  # type: ignore[assignment]
# The cheap check every replica runs each tick: a new version anywhere changes it.
_MAX_ID = select(func.max(_TABLE.c.id))


async def max_id(db: Executor) -> int:
    """The id of the newest version of any type (0 before the first)."""
    return int((await db.execute(_MAX_ID)).scalar() or 0)


async def active_rows(db: AsyncSession) -> dict[str, ConfigVersion]:
    """The newest version of every type that has one."""
    newest = select(_TABLE.c.type, func.max(_TABLE.c.id).label("id")).group_by(_TABLE.c.type)
    sub = newest.subquery()
    rows = await db.execute(select(ConfigVersion).join(sub, ConfigVersion.id == sub.c.id))
    return {row.type: row for row in rows.scalars()}


async def active_row(db: AsyncSession, config_type: str) -> ConfigVersion | None:
    """The newest version of one type."""
    query = (
        select(ConfigVersion)
        .where(ConfigVersion.type == config_type)
        .order_by(ConfigVersion.id.desc())
        .limit(1)
    )
    return (await db.execute(query)).scalars().first()


async def synced_hashes(db: Executor) -> dict[str, str]:
    """Per type, the file content the newest file-synced version was imported from or written to."""
    newest = (
        select(func.max(_TABLE.c.id))
        .where(_TABLE.c.file_hash.is_not(None))
        .group_by(_TABLE.c.type)
        .scalar_subquery()
    )
    rows = await db.execute(
        select(_TABLE.c.type, _TABLE.c.file_hash).where(_TABLE.c.id.in_(newest))
    )
    return {row.type: row.file_hash for row in rows}


async def get_version(db: AsyncSession, config_type: str, version: int) -> ConfigVersion | None:
    query = select(ConfigVersion).where(
        ConfigVersion.type == config_type, ConfigVersion.version == version
    )
    return (await db.execute(query)).scalars().first()


async def list_versions(
    db: AsyncSession, config_type: str, *, limit: int, offset: int
) -> tuple[Sequence[ConfigVersion], int]:
    """Newest first, with the total for paging."""
    query = (
        select(ConfigVersion)
        .where(ConfigVersion.type == config_type)
        .order_by(ConfigVersion.version.desc())
        .limit(limit)
        .offset(offset)
    )
    total = select(func.count()).where(_TABLE.c.type == config_type)
    rows = (await db.execute(query)).scalars().all()
    return rows, int((await db.execute(total)).scalar() or 0)


async def add_version(
    db: AsyncSession,
    config_type: str,
    content: str,
    digest: str,
    *,
    after: int,
    author: str,
    source: str,
    comment: str = "",
    file_hash: str | None = None,
) -> ConfigVersion:
    """Version `after + 1`, `after` being the version the change was decided on: (type,
    version) is unique, so of two writers deciding on the same version, the second fails."""
    row = ConfigVersion(
        type=config_type,
        version=after + 1,
        hash=digest,
        content=content,
        author=author[:64],
        source=source,
        comment=comment[:500],
        created_at=utcnow(),
        file_hash=file_hash,
    )
    db.add(row)
    await db.flush()
    return row


async def set_file_hash(db: Executor, version_id: int, file_hash: str | None) -> None:
    """Record that the file now holds (or, None, does not hold) this version's text."""
    await db.execute(update(_TABLE).where(_TABLE.c.id == version_id).values(file_hash=file_hash))
