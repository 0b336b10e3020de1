"""SQLite off the event loop, one thread hand-off per statement.

Each engine connection is a `Connection` of this module: one `sqlite3` connection owned by one
dedicated thread, which runs every call on it in order. The event loop hands a whole statement
to that thread at once (execute, fetch the rows, note the description and row count) and gets
the outcome back in one step; commit and rollback are one hand-off each, and none at all when
no transaction is open (SQLAlchemy rolls back every connection it takes back into its pool).
aiosqlite, which SQLAlchemy's dialect drives by default, costs four hand-offs per statement
(cursor, execute, fetch, close); under load each hand-off waits for a turn of the busy event
loop while the pool's one connection stays checked out.

SQLAlchemy's `sqlite+aiosqlite` dialect drives these connections through its public
`async_creator` hook: `Connection` offers the driver API the dialect uses (`cursor()` with
`execute`/`executemany`/`fetch*`/`close`, `commit`, `rollback`, `close`, `stop`,
`create_function`, `isolation_level`), built on the standard library's `sqlite3` only. Rows
beyond the first `PREFETCH_ROWS` are fetched by further hand-offs, so a streamed result (the
database copy) is still read in chunks.

A lock held by another process (a maintenance run, a backup, an operator's sqlite3 shell) makes
the connection's thread wait in SQLite's busy handler while the event loop keeps answering.

A statement's time limit is SQLite's progress handler (Datasette's `sqlite_timelimit`): the
clock starts when the thread starts the statement and stops when its rows are read; past the
deadline the handler tells SQLite to interrupt, and the statement fails with
`OperationalError: interrupted` (answered 503 DATABASE_BUSY, see memoai.errors).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from queue import SimpleQueue
from typing import Any, TypeVar

from sqlalchemy.engine import URL

T = TypeVar("T")

# How long a statement waits for another process's write lock before "database is locked"
# (answered 503 DATABASE_BUSY with Retry-After). The wait happens on the connection's thread.
SQLITE_BUSY_TIMEOUT_MS = 2000
# The longest a statement may run on the server (a runaway query cannot hold the one connection).
SQLITE_STATEMENT_LIMIT_S = 10.0
# SQLite calls the progress handler every this many virtual-machine steps (~1 ms of work): the
# statements of a request finish before the first call, so the hot path never takes the GIL
# from inside SQLite; a long scan checks its clock about every millisecond.
PROGRESS_STEPS = 20_000
# Rows read in the statement's own hand-off; a longer result is read in chunks of this size.
PREFETCH_ROWS = 512

PRAGMAS = (
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS};"
)


class StatementClock:
    """The deadline of the statement running on one connection (read by SQLite's thread)."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.deadline = math.inf

    def start(self) -> None:
        self.deadline = time.monotonic() + self.limit_s

    def stop(self) -> None:
        self.deadline = math.inf

    def expired(self) -> int:
        """SQLite's progress handler: non-zero interrupts the running statement."""
        return 1 if time.monotonic() > self.deadline else 0


def _deliver(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class _Thread:
    """One thread running one connection's calls in the order they were handed over."""

    def __init__(self, name: str) -> None:
        self._calls: SimpleQueue[tuple[Any, ...] | None] = SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            loop, future, fn, args = call
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # handed to the awaiting task, whatever it is
                result, error = None, exc
            if loop is None:
                continue
            # RuntimeError: the loop closed while the call ran, so nobody is waiting.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_deliver, future, result, error)

    def run(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Hand `fn(*args)` to the thread; the future resolves on the caller's loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.put((loop, future, fn, args))
        return future

    def run_detached(self, fn: Callable[..., object], *args: Any) -> None:
        """Hand over a call nobody waits for (closing from outside any event loop)."""
        self._calls.put((None, None, fn, args))

    def stop(self) -> None:
        """The thread ends once the calls already handed over have run."""
        self._calls.put(None)


# What one hand-off brings back: description, the first rows, row count, last row id, and the
# still-open cursor when more rows remain (else None).
Outcome = tuple[Any, list[Any], int, int | None, sqlite3.Cursor | None]


class Cursor:
    """A statement's outcome, read in the same hand-off as the statement itself."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._open: sqlite3.Cursor | None = None  # only while rows remain unread
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        await self._drop_open()
        outcome = await self._connection.call(self._connection.run_statement, sql, parameters)
        self._take(outcome)
        return self

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> Cursor:
        await self._drop_open()
        outcome = await self._connection.call(self._connection.run_many, sql, parameters)
        self._take(outcome)
        return self

    def _take(self, outcome: Outcome) -> None:
        self.description, self._rows, self.rowcount, self.lastrowid, self._open = outcome

    async def _more(self, size: int | None) -> None:
        """Read further rows of a long result from the thread."""
        if self._open is None:
            return
        rows, done = await self._connection.call(_read, self._open, size)
        self._rows.extend(rows)
        if done:
            self._open = None

    async def fetchone(self) -> Any:
        if not self._rows:
            await self._more(PREFETCH_ROWS)
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        if len(self._rows) < size:
            await self._more(max(size, PREFETCH_ROWS))
        taken, self._rows = self._rows[:size], self._rows[size:]
        return taken

    async def fetchall(self) -> list[Any]:
        await self._more(None)
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []
        await self._drop_open()

    async def _drop_open(self) -> None:
        if self._open is not None:
            open_cursor, self._open = self._open, None
            await self._connection.call(open_cursor.close)


def _read(cursor: sqlite3.Cursor, size: int | None) -> tuple[list[Any], bool]:
    """Rows of an open cursor (all when `size` is None) and whether it is used up."""
    if size is None:
        rows = cursor.fetchall()
        cursor.close()
        return rows, True
    rows = cursor.fetchmany(size)
    if len(rows) < size:
        cursor.close()
        return rows, True
    return rows, False


class Connection:
    """One SQLite connection and its thread, with the asyncio driver API SQLAlchemy drives."""

    def __init__(self, database: sqlite3.Connection, thread: _Thread, clock: StatementClock | None):
        # SQLAlchemy's aiosqlite adapter checks this attribute of its driver connection before a
        # commit or rollback; None once closed.
        self._connection: sqlite3.Connection | None = database
        self._thread = thread
        self._clock = clock

    @classmethod
    async def open(
        cls, database: str, options: dict[str, Any], statement_limit_s: float | None
    ) -> Connection:
        """Connect on a new thread, set the pragmas and, when given, the statement time limit."""
        thread = _Thread(f"sqlite {database}")
        clock = StatementClock(statement_limit_s) if statement_limit_s is not None else None

        def connect() -> sqlite3.Connection:
            db = sqlite3.connect(database, **{**options, "check_same_thread": False})
            try:
                db.executescript(PRAGMAS)
                if clock is not None:
                    db.set_progress_handler(clock.expired, PROGRESS_STEPS)
            except BaseException:
                db.close()
                raise
            return db

        try:
            db = await thread.run(connect)
        except BaseException:
            thread.stop()
            raise
        return cls(db, thread, clock)

    @property
    def database(self) -> sqlite3.Connection:
        if self._connection is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return self._connection

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the connection's thread (one hand-off)."""
        if self._connection is None:
            raise ValueError("Connection closed")
        return await self._thread.run(fn, *args)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` with the `sqlite3` connection on its thread (tests, tuning)."""
        return await self.call(fn, self.database)

    # --- statements (run on the connection's thread) -------------------------------------

    def run_statement(self, sql: str, parameters: Any) -> Outcome:
        return self._timed(lambda cursor: cursor.execute(sql, parameters))

    def run_many(self, sql: str, parameters: Any) -> Outcome:
        return self._timed(lambda cursor: cursor.executemany(sql, parameters))

    def _timed(self, execute: Callable[[sqlite3.Cursor], object]) -> Outcome:
        cursor = self.database.cursor()
        clock = self._clock
        if clock is not None:
            clock.start()
        try:
            execute(cursor)
            rows = cursor.fetchmany(PREFETCH_ROWS) if cursor.description else []
        except BaseException:
            cursor.close()
            raise
        finally:
            if clock is not None:
                clock.stop()
        outcome: Outcome = (cursor.description, rows, cursor.rowcount, cursor.lastrowid, None)
        if len(rows) < PREFETCH_ROWS:
            cursor.close()
            return outcome
        return (*outcome[:4], cursor)  # rows remain: the cursor stays open for them

    # --- the driver API SQLAlchemy uses ---------------------------------------------------

    def cursor(self) -> Cursor:
        return Cursor(self)

    async def commit(self) -> None:
        # Reading the transaction flag touches no file and takes no lock.
        if self.database.in_transaction:
            await self.call(self.database.commit)

    async def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction:
            await self.call(self._connection.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        await self.call(lambda: self.database.create_function(*args, **kwargs))

    @property
    def isolation_level(self) -> str | None:
        return self.database.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._connection is not None and self._connection.in_transaction

    async def close(self) -> None:
        if self._connection is None:
            return
        database, self._connection = self._connection, None
        try:
            await self._thread.run(database.close)
        finally:
            self._thread.stop()

    def stop(self) -> None:
        """Close without waiting (SQLAlchemy's terminate, e.g. at garbage collection)."""
        if self._connection is None:
            return
        database, self._connection = self._connection, None
        self._thread.run_detached(database.close)
        self._thread.stop()


def connect_args(url: URL, dialect: Any) -> tuple[str, dict[str, Any]]:
    """The file name and `sqlite3.connect` options SQLAlchemy's dialect derives from a URL."""
    args, options = dialect.create_connect_args(url)
    return str(args[0]), dict(options)
