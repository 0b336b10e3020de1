"""A full disk refuses new work with 507 DISK_FULL and says nothing was saved; everything
acknowledged before stays listed, and the same memo goes through once there is room again.

SQLite lives on a 2 MiB tmpfs that the test fills up; where no tmpfs can be mounted it falls
back to `PRAGMA max_page_count` (SQLite's own "database or disk is full") and says so.
PostgreSQL keeps the submissions table in a tablespace on a small tmpfs, so the server itself
runs out of room (SQLSTATE 53100, disk_full).
"""

from __future__ import annotations

import asyncio
import pwd
import random
import shutil
import tempfile
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from memoai.app import stop
from memoai.db import create_engine
from memoai.ops import pgtools
from memoai.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.storage.support import MEMO, fill, small_volume, unmount

from helpers import ApiClient, make_settings, open_client

NOT_SAVED = "nothing you sent was saved"


async def started(settings: Settings) -> tuple[Any, ApiClient]:
    app, client = await open_client(settings)
    await client.start_session()
    return app, client


async def acknowledged(client: ApiClient, memo: str) -> dict[str, Any]:
    response = await client.post("/api/v1/evaluations", json={"text_content": memo})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def listed_texts(client: ApiClient) -> list[str]:
    response = await client.get("/api/v1/evaluations", params={"limit": 100})
    assert response.status_code == 200, response.text
    ids = [item["id"] for item in response.json()["data"]["items"]]
    texts = []
    for evaluation_id in ids:
        one = await client.get(f"/api/v1/evaluations/{evaluation_id}")
        texts.append(one.json()["data"]["text_content"])
    return texts


def assert_disk_full(response: Any) -> str:
    """A 507 DISK_FULL; returns its message."""
    assert response.status_code == 507, response.text
    error = response.json()["errors"][0]
    assert error["code"] == "DISK_FULL"
    return str(error["message"])


def filler_text(n: int) -> str:
    """A memo that does not compress (PostgreSQL compresses long values before storing them)."""
    words = random.Random(n).choices(["budget", "pilot", "clinic", "overtime", "March"], k=600)
    return f"{MEMO}\n\nAttempt {n}: " + " ".join(
        f"{w}{random.Random(i).random()}"[:14] for i, w in enumerate(words)
    )


async def refused_while_full(client: ApiClient, chat_id: str) -> tuple[list[str], str]:
    """Memos sent to the full volume until one is refused: it must be refused with 507 saying
    nothing was saved (memos that fitted in room the database had kept are acknowledged and
    must be listed later). Returns (acknowledged, refused)."""
    kept: list[str] = []
    for attempt in range(40):
        memo = filler_text(attempt)
        response = await client.post("/api/v1/evaluations", json={"text_content": memo})
        if response.status_code == 201:
            kept.append(memo)
            continue
        assert NOT_SAVED in assert_disk_full(response)
        return kept, memo
    raise AssertionError("40 memos were all stored on a full volume")


async def asked_while_full(client: ApiClient, chat_id: str) -> None:
    """Questions until one is refused with 507; the refusal says whether the question was kept,
    and the conversation agrees."""
    for attempt in range(40):
        question = filler_text(attempt)[:1900]
        response = await client.post(
            f"/api/v1/chat/sessions/{chat_id}/messages", json={"message_content": question}
        )
        if response.status_code == 201:
            continue
        message = assert_disk_full(response)
        kept = "Your question is saved" in message
        assert kept or NOT_SAVED in message, message
        history = await client.get(f"/api/v1/chat/sessions/{chat_id}")
        contents = [m["content"] for m in history.json()["data"]["messages"]]
        assert (question in contents) is kept
        return
    raise AssertionError("40 questions were all stored on a full volume")


async def open_chat(client: ApiClient, evaluation_id: str) -> str:
    response = await client.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation_id})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def test_sqlite_on_a_full_disk(tmp_path: Path, config_dir: Path) -> None:
    volume = tmp_path / "volume"
    with small_volume(volume) as no_mount:
        settings = make_settings(f"sqlite:///{volume / 'memoai.db'}", volume, config_dir)
        app, client = await started(settings)
        try:
            first = await acknowledged(client, MEMO)
            chat_id = await open_chat(client, first["id"])
            if no_mount is None:
                filler = fill(volume)
            else:
                warnings.warn(
                    f"no tmpfs ({no_mount}): PRAGMA max_page_count stands in for it", stacklevel=1
                )
                await set_max_pages(app, None)
            kept, refused = await refused_while_full(client, chat_id)
            await asked_while_full(client, chat_id)
            ready = await client.get("/health/ready")
            assert ready.status_code == 503  # the volume has no room: this replica cannot serve
            if no_mount is None:
                filler.unlink()
            else:
                await set_max_pages(app, 1_000_000)
            listed = await listed_texts(client)
            assert sorted(listed) == sorted([MEMO, *kept]) and refused not in listed
            again = await acknowledged(client, refused)  # room again: the same memo goes in
            assert again["text_content"] == refused
        finally:
            await client.aclose()
            await stop(app)


async def set_max_pages(app: Any, pages: int | None) -> None:
    """Cap the file at its current size (None) or lift the cap, on the app's one connection."""
    async with app.state.db.engine.connect() as conn:
        count = (await conn.execute(text("PRAGMA page_count"))).scalar()
        await conn.execute(text(f"PRAGMA max_page_count = {pages or count}"))


@pytest.fixture
async def small_tablespace(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """A scratch database whose submissions table lives on a 1 MiB tmpfs (a tablespace)."""
    if not POSTGRES_URL:
        pytest.skip("MEMOAI_TEST_POSTGRES_URL is not set")
    # PostgreSQL's own user must reach the folder: not under pytest's private tmp_path.
    parent = Path(tempfile.mkdtemp(prefix="memoai-tablespace-"))
    parent.chmod(0o755)
    folder = parent / "space"

    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no local postgres user: the PostgreSQL server is not on this machine")
    problem = await asyncio.to_thread(_mount_for_postgres, folder, owner.pw_uid, owner.pw_gid)
    if problem:
        pytest.skip(problem)
    name = f"memoai_small_{tmp_path.name[-8:].replace('-', '_')}"
    try:
        await pgtools.admin_execute(POSTGRES_URL, f"CREATE TABLESPACE {name} LOCATION '{folder}'")
    except Exception as exc:  # a server on another machine cannot see the folder
        unmount(folder)
        shutil.rmtree(parent, ignore_errors=True)
        pytest.skip(f"cannot create a tablespace on the tmpfs: {exc}")
    url = await pgtools.create_database(POSTGRES_URL, "memoai_storage")
    try:
        yield url, folder
    finally:
        await pgtools.drop_database(POSTGRES_URL, url)
        await pgtools.admin_execute(POSTGRES_URL, f"DROP TABLESPACE IF EXISTS {name}")
        unmount(folder)
        shutil.rmtree(parent, ignore_errors=True)


def _mount_for_postgres(folder: Path, uid: int, gid: int) -> str | None:
    from tests.storage.support import mount_tmpfs

    return mount_tmpfs(folder, "1m", f"uid={uid}", f"gid={gid}", "mode=0700")


@pytest.mark.postgres
async def test_postgres_on_a_full_disk(
    small_tablespace: tuple[str, Path], tmp_path: Path, config_dir: Path
) -> None:
    url, folder = small_tablespace
    settings = make_settings(url, tmp_path, config_dir)
    app, client = await started(settings)
    try:
        first = await acknowledged(client, MEMO)
        chat_id = await open_chat(client, first["id"])
        tablespace = await _tablespace_name(url, folder)
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text(f"ALTER TABLE submissions SET TABLESPACE {tablespace}"))
            await conn.execute(text(f"ALTER TABLE chat_messages SET TABLESPACE {tablespace}"))
        await engine.dispose()
        filler = await asyncio.to_thread(fill, folder)
        kept, refused = await refused_while_full(client, chat_id)
        await asked_while_full(client, chat_id)
        filler.unlink()
        listed = await listed_texts(client)
        assert sorted(listed) == sorted([MEMO, *kept]) and refused not in listed
    finally:
        await client.aclose()
        await stop(app)


async def _tablespace_name(url: str, folder: Path) -> str:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                text("SELECT spcname FROM pg_tablespace WHERE pg_tablespace_location(oid) = :p"),
                {"p": str(folder)},
            )
            return str(found.scalar_one())
    finally:
        await engine.dispose()
