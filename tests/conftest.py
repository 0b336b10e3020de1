"""Apps on real, temporary databases: an SQLite file per test, and PostgreSQL when
MEMOAI_TEST_POSTGRES_URL is set (one scratch database per run, tables emptied per test)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from memoai.app import create_app, start, stop
from memoai.db import Base, create_engine
from memoai.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
POSTGRES_URL = os.environ.get("MEMOAI_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("MEMOAI_TEST_REDIS_URL")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A scratch PostgreSQL database for this run, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("MEMOAI_TEST_POSTGRES_URL is not set")
    name = f"memoai_test_{uuid.uuid4().hex[:10]}"
    base, _, _ = POSTGRES_URL.rpartition("/")

    async def admin(sql: str) -> None:
        engine = create_engine(POSTGRES_URL)
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def empty_tables(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        tables = await conn.run_sync(lambda c: c.dialect.has_table(c, "evaluations"))
        if tables:
            names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
            await conn.execute(text(f"TRUNCATE {names} CASCADE"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each API test runs on SQLite, and on PostgreSQL when it is available."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'memoai.db'}"
    url = request.getfixturevalue("postgres_database")
    asyncio.run(empty_tables(url))
    return str(url)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the default configuration, safe to edit in a test."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target


def make_settings(db_url: str, tmp_path: Path, config_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "config_dir": config_dir,
        "data_dir": tmp_path,
        "backup_dir": tmp_path / "backups",
        "llm_provider": "offline",
        "llm_retry_base_delay": 0.01,
        "llm_retry_max_delay": 0.05,
        "csrf_protection": False,
        "debug_mode": False,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(db_url: str, tmp_path: Path, config_dir: Path) -> Settings:
    return make_settings(db_url, tmp_path, config_dir)


class ApiClient(httpx.AsyncClient):
    """An httpx client on the in-process app that knows how to start a session."""

    async def start_session(self) -> dict[str, Any]:
        response = await self.post("/api/v1/sessions")
        assert response.status_code in (200, 201), response.text
        data: dict[str, Any] = response.json()["data"]
        return data


async def open_client(settings: Settings) -> tuple[Any, ApiClient]:
    app = create_app(settings)
    await start(app, settings)
    client = ApiClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return app, client


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[ApiClient]:
    """A client on a started app, with no session yet."""
    app, client = await open_client(settings)
    try:
        yield client
    finally:
        await client.aclose()
        await stop(app)


@pytest.fixture
async def client(app_client: ApiClient) -> ApiClient:
    """A client with an anonymous session cookie."""
    await app_client.start_session()
    return app_client
