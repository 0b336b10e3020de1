"""Whether the database is in use: a restore must not swap it under a running app.

An app that keeps writing while its database is replaced loses what it writes (it was
acknowledged, then overwritten), so `backup restore` and the DR drill refuse unless forced.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from memoai.db import create_engine, is_sqlite
from memoai.ops.backup_archive import BackupError, sqlite_in_use
from memoai.settings import Settings, sqlite_path


class DatabaseInUseError(BackupError):
    """A restore would swap the database under a running app (`--force` overrides)."""


async def database_in_use(settings: Settings) -> str | None:
    """Who else uses the database (one sentence), or None when nothing seems to.

    SQLite: another process holds the file open (WAL mode lets nobody leave it while one
    does). PostgreSQL: another session is connected to the database (pg_stat_activity).
    """
    if is_sqlite(settings.db_url):
        path = sqlite_path(settings.db_url)
        return None if path is None else await asyncio.to_thread(sqlite_in_use, path)
    engine = create_engine(settings.db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(_OTHER_SESSIONS))).all()
    finally:
        await engine.dispose()
    if not rows:
        return None
    who = ", ".join(f"{r.application_name or 'unnamed'} from {r.client or 'local'}" for r in rows)
    return f"{len(rows)} other session(s) are connected to the database: {who}"


_OTHER_SESSIONS = """
SELECT application_name, host(client_addr) AS client FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND backend_type = 'client backend'
ORDER BY backend_start
"""


async def refuse_if_in_use(settings: Settings) -> None:
    """Raise DatabaseInUseError when something else has the database open."""
    user = await database_in_use(settings)
    if user is not None:
        raise DatabaseInUseError(
            f"the database is in use ({user}): stop the API replicas and the maintenance "
            "service first, or pass --force if nothing writes to it"
        )
