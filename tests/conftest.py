"""Apps on real, temporary databases: an SQLite file per test, and PostgreSQL when
MEMOAI_TEST_POSTGRES_URL is set (one scratch database per run, tables emptied per test)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from memoai.app import stop
from memoai.db import Base, create_engine
from memoai.ops import pgtools
from memoai.settings import Settings

from helpers import ApiClient, make_settings, open_client

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
POSTGRES_URL = os.environ.get("MEMOAI_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("MEMOAI_TEST_REDIS_URL")


# The modules that take longest (minutes: traffic for a set time, a whole topology, disaster
# drills, a fuzzing run), dispatched first so that no worker starts one of them near the end while
# the others sit idle (`make test` runs pytest-xdist with --dist loadscope --no-loadscope-reorder:
# each module whole on one worker, in the order below). Then every other `slow` module (browsers,
# real servers), then the rest.
LONGEST_FIRST = (
    "tests/chaos/test_chaos.py",
    "tests/deploy/test_topology.py",
    "tests/ops/test_dr_drill.py",
    "tests/contract/test_schemathesis.py",
    "tests/web/test_browser.py",
    "tests/web/test_theme_browser.py",
    "tests/web/test_reload_limits_browser.py",
    "tests/llm/test_llama_server.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = item.nodeid.split("::", 1)[0]
        if module in LONGEST_FIRST:
            return LONGEST_FIRST.index(module)
        return len(LONGEST_FIRST) + (0 if item.get_closest_marker("slow") else 1)

    items.sort(key=rank)  # stable: each module's tests keep their order


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A scratch PostgreSQL database for this run, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("MEMOAI_TEST_POSTGRES_URL is not set")
    url = asyncio.run(pgtools.create_database(POSTGRES_URL, "memoai_test"))
    try:
        yield url
    finally:
        asyncio.run(pgtools.drop_database(POSTGRES_URL, url))


async def empty_tables(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        tables = await conn.run_sync(lambda c: c.dialect.has_table(c, "evaluations"))
        if tables:
            names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
            await conn.execute(text(f"TRUNCATE {names} CASCADE"))
    await engine.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module (the browser suites open contexts in it)."""
    from playwright import sync_api

    from tests.web import browser

    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        yield launched
        launched.close()


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


@pytest.fixture
def settings(db_url: str, tmp_path: Path, config_dir: Path) -> Settings:
    return make_settings(db_url, tmp_path, config_dir)


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
