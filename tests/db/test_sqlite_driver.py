"""SQLite statements run on the connection's thread, never the event loop's; a runaway
statement is interrupted at its time limit and answered 503 DATABASE_BUSY; long results are
complete."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from memoai import errors, sqlite_driver
from memoai.db import Database

# Counts to a billion: minutes of work for SQLite unless something interrupts it.
RUNAWAY = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n"
)


async def test_statements_run_off_the_event_loop_thread(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'off.db'}")
    threads: list[int] = []
    try:
        async with db.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            # sqlite3's trace hook: SQLite calls it on the thread running the statement.
            await driver.run(
                lambda db: db.set_trace_callback(lambda _sql: threads.append(threading.get_ident()))
            )
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1), (2)"))
            rows = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).all()
            await conn.commit()
            await driver.run(lambda db: db.set_trace_callback(None))
    finally:
        await db.dispose()
    assert [r.x for r in rows] == [1, 2]
    assert threads, "the trace callback saw no statement"
    assert threading.get_ident() not in threads


async def test_a_runaway_statement_is_interrupted_and_the_connection_still_works(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'limit.db'}", statement_limit_s=0.3)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        started = time.monotonic()
        async with db.engine.connect() as conn:
            with pytest.raises(OperationalError, match="interrupted"):
                await conn.execute(RUNAWAY)
        elapsed = time.monotonic() - started
        async with db.engine.connect() as conn:  # the clock stopped with the failed statement
            assert (await conn.execute(text("SELECT 41 + 1"))).scalar() == 42
    finally:
        ticker.cancel()
        await db.dispose()
    assert 0.3 <= elapsed < 3.0
    assert ticks >= 10, "the event loop was blocked while SQLite worked"


async def test_an_interrupted_statement_answers_503_database_busy_with_retry_after(
    tmp_path: Path,
) -> None:
    """The product's error handlers, on a route whose statement runs past the time limit."""
    db = Database(f"sqlite:///{tmp_path / 'busy.db'}", statement_limit_s=0.3)
    app = FastAPI()
    errors.install(app)

    @app.get("/slow")
    async def slow() -> dict[str, int]:
        async with db.engine.connect() as conn:
            return {"count": int((await conn.execute(RUNAWAY)).scalar() or 0)}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/slow")
    finally:
        await db.dispose()
    assert response.status_code == 503, response.text
    error = response.json()["errors"][0]
    assert error["code"] == "DATABASE_BUSY"
    assert "Try again" in error["message"]
    assert int(response.headers["Retry-After"]) > 0


async def test_long_results_are_read_in_chunks_and_commit_only_hands_off_in_a_transaction(
    tmp_path: Path,
) -> None:
    """Results longer than one hand-off's rows are complete, streamed or not; a connection with
    no open transaction commits and rolls back without a hand-off (nothing to do)."""
    db = Database(f"sqlite:///{tmp_path / 'rows.db'}")
    count = sqlite_driver.PREFETCH_ROWS * 2 + 7
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (:x)"), [{"x": i} for i in range(count)])
            driver = (await conn.get_raw_connection()).driver_connection
            assert isinstance(driver, sqlite_driver.Connection)
            assert driver.in_transaction
            await conn.commit()
            assert not driver.in_transaction
            rows = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).all()
            streamed = await conn.stream(text("SELECT x FROM t ORDER BY x"))
            parts = [len(part) async for part in streamed.partitions(100)]
            # Reads open no transaction: SQLAlchemy's rollback at check-in has nothing to undo.
            assert not driver.in_transaction
    finally:
        await db.dispose()
    assert [r.x for r in rows] == list(range(count))
    assert sum(parts) == count and max(parts) == 100
