"""An aiosqlite-compatible connection that runs SQLite on the event loop's own thread.

aiosqlite sends every call (cursor, execute, fetch, close, commit) to a worker thread and back.
On these machines each round trip costs more than the SQLite work it carries, and the worker
competes with the event loop for the GIL: measured, the same evaluation's statements take
0.5 ms in plain sqlite3 and about 13 ms through aiosqlite under SQLAlchemy. SQLite statements
on a local file take microseconds, so running them inline is cheaper than any hand-off.

SQLAlchemy's aiosqlite dialect accepts this object through `create_async_engine(...,
async_creator=...)`: it only needs the awaitable methods below. One connection per process
(the pool hands it out in turn) means the loop never waits on a lock held by itself; another
process holding the write lock (a maintenance run) can block the loop for at most the busy
timeout, which the engine keeps short.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class InlineCursor:
    """The awaitable cursor interface SQLAlchemy's adapter drives, done synchronously."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _Immediate:
    """Stands in for aiosqlite's work queue: SQLAlchemy's isolation-level setter uses it."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    """The awaitable connection interface of aiosqlite over a plain sqlite3 connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _Immediate()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        """Force-close (SQLAlchemy's terminate); there is no thread to stop."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()


async def connect(database: str, **kwargs: Any) -> InlineConnection:
    """Open a connection the way aiosqlite.connect would, minus the thread."""
    kwargs["check_same_thread"] = False
    return InlineConnection(sqlite3.connect(database, **kwargs))
