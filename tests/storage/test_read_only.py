"""A database that takes no writes answers 503 DATABASE_READ_ONLY, saying nothing was saved,
and readiness turns 503 within the write probe's interval; reads still work.

SQLite: the file made immutable (`chattr +i`, which even root cannot write) and the
connection opened again, as after any reconnect; readiness' own probe opens a fresh one.
PostgreSQL: the database switched to read-only transactions (as a standby or an operator's
`default_transaction_read_only` would), its sessions reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from memoai.app import stop
from memoai.ops import health, pgtools
from memoai.settings import sqlite_path
from tests.conftest import POSTGRES_URL
from tests.storage.support import MEMO, immutable, immutable_problem

from helpers import ApiClient, make_settings, open_client

PROBE_SECONDS = 0.2


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'memoai.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("MEMOAI_TEST_POSTGRES_URL is not set")
    async with pgtools.scratch_database(POSTGRES_URL, "memoai_readonly") as url:
        yield url


@contextlib.asynccontextmanager
async def read_only(app: Any, url: str) -> AsyncIterator[None]:
    """The database refuses writes for the block; the app's connections are opened again."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        assert path is not None
        problem = immutable_problem(path)
        if problem:
            pytest.skip(problem)
        with immutable(path):
            await app.state.db.engine.dispose()
            yield
        return
    name = url.rsplit("/", 1)[1]
    assert POSTGRES_URL
    await pgtools.admin_execute(
        POSTGRES_URL, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'
    )
    try:
        await app.state.db.engine.dispose()
        yield
    finally:
        await pgtools.admin_execute(
            POSTGRES_URL, f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'
        )
        await app.state.db.engine.dispose()


async def readiness(client: ApiClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/health/ready")
    return response.status_code, response.json()


async def test_a_read_only_database_refuses_writes_and_fails_readiness(
    database: str, tmp_path: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "WRITE_PROBE_SECONDS", PROBE_SECONDS)
    # The test client is a trusted address, so readiness shows its checks.
    settings = make_settings(database, tmp_path, config_dir, metrics_allowed_ips="127.0.0.1")
    app, client = await open_client(settings)
    try:
        await client.start_session()
        kept = await client.post("/api/v1/evaluations", json={"text_content": MEMO})
        assert kept.status_code == 201, kept.text
        status, _ = await readiness(client)
        assert status == 200
        async with read_only(app, database):
            await asyncio.sleep(PROBE_SECONDS * 1.5)
            refused = await client.post(
                "/api/v1/evaluations", json={"text_content": MEMO + "\n\nA second memo."}
            )
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"]
            error = refused.json()["errors"][0]
            assert error["code"] == "DATABASE_READ_ONLY"
            assert "nothing you sent was saved" in error["message"]
            status, body = await readiness(client)
            assert status == 503
            assert body["errors"][0]["details"]["checks"]["database"]["ok"] is False
            listed = await client.get("/api/v1/evaluations")  # reads still work
            assert [i["id"] for i in listed.json()["data"]["items"]] == [kept.json()["data"]["id"]]
        await asyncio.sleep(PROBE_SECONDS * 1.5)
        status, _ = await readiness(client)
        assert status == 200  # writable again: ready again, nothing to restart
    finally:
        await client.aclose()
        await stop(app)
