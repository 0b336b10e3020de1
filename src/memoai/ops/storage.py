"""Is the database usable: reachable, readable, not corrupt, taking writes?

Asked twice: once before a server or migration starts (`start_problem`, thorough, so an
unwritable, missing or corrupt database stops the command with one line naming the file and
the cause), and by readiness every few seconds (`WriteProbe`, cheap: a write rolled back at
once on a fresh connection, which a read-only file, folder or mount refuses; ~0.1-1 ms).
Plain `sqlite3` in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from sqlalchemy import make_url, text

from memoai.db import create_engine, is_sqlite
from memoai.settings import sqlite_path

# Above this size the start-up check reads the header and schema only: a full quick_check of a
# large file takes seconds (measured ~1 s per 300 MB here), too long for every start.
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024
PROBE_TIMEOUT_SECONDS = 0.1  # another writer holding the lock is busy, not broken
CORRUPT = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
RESTORE = "restore it from a backup (memoai backup restore)"


def _name(exc: sqlite3.Error) -> str:
    return str(getattr(exc, "sqlite_errorname", "") or "")


def _is(exc: sqlite3.Error, prefixes: tuple[str, ...]) -> bool:
    name = _name(exc)
    return any(name == p or name.startswith(p + "_") for p in prefixes)


def _try_write(conn: sqlite3.Connection) -> None:
    """Take the write lock, write the header's user_version back unchanged, roll back.

    The lock alone is not enough: in WAL mode SQLite grants it on a file opened read-only
    (an immutable file, say) and refuses only the first write.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute(f"PRAGMA user_version = {version}")
    finally:
        conn.execute("ROLLBACK")


def sqlite_write_problem(path: Path) -> str | None:
    """Why the SQLite file takes no writes now, or None (busy with another writer is fine)."""
    try:
        conn = sqlite3.connect(
            f"file:{path}?mode=rw", uri=True, timeout=PROBE_TIMEOUT_SECONDS, isolation_level=None
        )
        try:
            _try_write(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if _is(exc, BUSY):
            return None
        return f"the database file {path} takes no writes ({exc})"
    return None


def sqlite_start_problem(path: Path) -> str | None:
    """Why a server cannot start on this SQLite file, in one line naming it, or None."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"the folder {folder} of the database {path} cannot be created ({exc.strerror})"
    if path.exists() and not path.is_file():
        return f"the database {path} is not a file"
    existed = path.exists()
    try:
        conn = sqlite3.connect(path, timeout=5, isolation_level=None)
        try:
            conn.execute("PRAGMA schema_version").fetchone()  # reads the header
            if existed and path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
                found = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if found != "ok":
                    return f"the database {path} is corrupt ({found}); {RESTORE}"
            _try_write(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return _start_failure(path, existed, exc)
    return None


def _start_failure(path: Path, existed: bool, exc: sqlite3.Error) -> str | None:
    if _is(exc, BUSY):
        return None  # another process writes now; the server waits its turn like any writer
    if _is(exc, CORRUPT):
        return f"the database {path} is corrupt or not an SQLite file ({exc}); {RESTORE}"
    if not existed:
        return f"the database {path} cannot be created ({exc}); check the folder's permissions"
    return (
        f"the database {path} cannot be written ({exc}); check its owner, permissions, "
        "immutable flag (lsattr) and whether its volume is mounted read-only"
    )


async def server_start_problem(url: str) -> str | None:
    """Why a server cannot reach this PostgreSQL database, or None."""
    shown = make_url(url).render_as_string(hide_password=True)
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or network failure: said in one line
        reason = " ".join(str(exc).split())[:300]
        return f"the database {shown} cannot be reached ({type(exc).__name__}: {reason})"
    finally:
        await engine.dispose()
    return None


def start_problem(url: str) -> str | None:
    """Why the database at `url` cannot serve a starting server, or None (call before the loop)."""
    if not is_sqlite(url):
        return asyncio.run(server_start_problem(url))
    path = sqlite_path(url)
    return sqlite_start_problem(path) if path is not None else None


class WriteProbe:
    """Whether the SQLite database takes writes, asked at most every `interval` seconds."""

    def __init__(self, url: str, interval: float = 5.0) -> None:
        self.path = sqlite_path(url) if is_sqlite(url) else None
        self.interval = interval
        self._checked_at = -float("inf")
        self._problem: str | None = None
        self._lock = asyncio.Lock()

    async def problem(self) -> str | None:
        """The cached answer, refreshed in a worker thread when older than the interval."""
        if self.path is None:
            return None
        async with self._lock:
            if time.monotonic() - self._checked_at >= self.interval:
                self._problem = await asyncio.to_thread(sqlite_write_problem, self.path)
                self._checked_at = time.monotonic()
        return self._problem
