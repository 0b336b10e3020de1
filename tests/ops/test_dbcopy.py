"""`db copy`: a populated SQLite installation moves to PostgreSQL (or SQLite) row for row."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from memoai.app import stop
from memoai.db import create_engine
from memoai.ops import pgtools
from memoai.ops.dbcopy import CopyError, copy_database, database_checksums
from tests.ops.support import evaluate, titles_of

from helpers import make_settings, open_client

POSTGRES_URL = os.environ.get("MEMOAI_TEST_POSTGRES_URL")


async def populate(url: str, tmp_path: Path, config_dir: Path) -> dict[str, list[str]]:
    """Two sessions with evaluations, one a revision of another (a self-reference)."""
    settings = make_settings(url, tmp_path, config_dir)
    app, client = await open_client(settings)
    titles: dict[str, list[str]] = {}
    try:
        for who in ("ana", "ben"):
            client.cookies.clear()
            token = (await client.start_session())["token"]
            first = await evaluate(client, 1, title=f"{who} 1")
            await evaluate(client, 2, title=f"{who} 2", revision_of=first)
            titles[token] = [f"{who} 1", f"{who} 2"]
        client.cookies.clear()
        await client.start_session()  # a session without work
    finally:
        await client.aclose()
        await stop(app)
    return titles


@pytest.fixture
async def scratch_postgres() -> AsyncIterator[str]:
    if not POSTGRES_URL:
        pytest.skip("MEMOAI_TEST_POSTGRES_URL is not set")
    async with pgtools.scratch_database(POSTGRES_URL, "memoai_copy_test") as url:
        yield url


@pytest.mark.postgres
async def test_sqlite_moves_to_postgres_with_every_row_verified(
    tmp_path: Path, config_dir: Path, scratch_postgres: str
) -> None:
    source = f"sqlite:///{tmp_path / 'memoai.db'}"
    titles = await populate(source, tmp_path, config_dir)

    report = await copy_database(source, scratch_postgres, batch_size=2)
    assert report.ok
    tables = report.as_dict()["tables"]
    assert tables["sessions"]["rows"] == 3
    assert tables["submissions"]["rows"] == tables["evaluations"]["rows"] == 4
    assert await database_checksums(source) == await database_checksums(scratch_postgres)
    for token, expected in titles.items():
        assert (
            await titles_of(make_settings(scratch_postgres, tmp_path, config_dir), token)
            == expected
        )

    with pytest.raises(CopyError, match="already holds data"):
        await copy_database(source, scratch_postgres)
    again = await copy_database(source, scratch_postgres, force=True)
    assert again.ok and again.as_dict()["tables"]["sessions"]["rows"] == 3


@pytest.mark.postgres
async def test_and_back_from_postgres_to_sqlite(
    tmp_path: Path, config_dir: Path, scratch_postgres: str
) -> None:
    source = f"sqlite:///{tmp_path / 'memoai.db'}"
    await populate(source, tmp_path, config_dir)
    await copy_database(source, scratch_postgres)
    back = f"sqlite:///{tmp_path / 'back.db'}"
    report = await copy_database(scratch_postgres, back)
    assert report.ok
    assert await database_checksums(back) == await database_checksums(source)


async def test_checksums_notice_a_changed_value_and_copies_refuse_bad_sources(
    tmp_path: Path, config_dir: Path
) -> None:
    source = f"sqlite:///{tmp_path / 'memoai.db'}"
    await populate(source, tmp_path, config_dir)
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    assert (await copy_database(source, target)).ok
    engine = create_engine(target)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE submissions SET title = 'changed' WHERE title = 'ana 2'"))
    await engine.dispose()
    before, after = await database_checksums(source), await database_checksums(target)
    assert {name for name in before if before[name] != after[name]} == {"submissions"}
    assert before["submissions"][0] == after["submissions"][0]  # same count, different rows

    with pytest.raises(CopyError, match="same database"):
        await copy_database(source, source)
    with pytest.raises(CopyError, match="no SQLite database"):
        await copy_database(f"sqlite:///{tmp_path / 'missing.db'}", target)
