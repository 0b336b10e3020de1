"""`memoai maintenance`: daily backup once, pruning, expired sessions, retention, the loop."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from memoai.app import stop
from memoai.db import Database
from memoai.evaluations.models import Evaluation, Submission
from memoai.ops import backup, maintenance
from memoai.ops.backup_archive import backup_name
from memoai.sessions.models import Session
from memoai.settings import Settings
from tests.ops.support import evaluate

from helpers import open_client


async def test_one_scheduled_backup_a_day_and_pruning(settings: Settings) -> None:
    app, _ = await open_client(settings)
    await stop(app)
    settings.backup_dir.mkdir(parents=True)
    old = datetime.now(UTC) - timedelta(days=40)
    for n in range(10):
        when = old - timedelta(days=n)
        (settings.backup_dir / backup_name(when, "daily", encrypted=False)).write_bytes(b"x")

    first = await maintenance.run_maintenance(settings)
    assert first.problems == []
    assert first.backup is not None
    assert first.backup_age_seconds is not None and first.backup_age_seconds < 60
    assert first.pruned and first.backup not in first.pruned
    second = await maintenance.run_maintenance(settings)
    assert second.backup is None and second.pruned == []  # already made and pruned today
    names = [b.path.name for b in backup.list_backups(settings)]
    assert names[0] == first.backup and len(names) == 11 - len(first.pruned) <= 7 + 4

    off = settings.model_copy(update={"database_backup_enabled": False})
    for path in settings.backup_dir.iterdir():
        path.unlink()
    assert (await maintenance.run_maintenance(off)).backup is None


async def test_expired_sessions_without_work_are_purged(settings: Settings) -> None:
    app, client = await open_client(settings)
    try:
        await client.start_session()
        await evaluate(client, 1)  # this session owns work
        client.cookies.clear()
        await client.start_session()
        client.cookies.clear()
        await client.start_session()  # this one stays live
    finally:
        await client.aclose()
        await stop(app)
    db = Database(settings.db_url)
    async with db.sessions() as session:
        ids = list(await session.scalars(select(Session.id).order_by(Session.created_at)))
        past = datetime.now(UTC) - timedelta(hours=1)
        await session.execute(
            update(Session).where(Session.id.in_(ids[:2])).values(expires_at=past)
        )
        await session.commit()
    report = await maintenance.run_maintenance(settings)
    assert report.sessions_purged == 1
    async with db.sessions() as session:
        remaining = set(await session.scalars(select(Session.id)))
    await db.dispose()
    assert remaining == {ids[0], ids[2]}


async def test_retention_keeps_the_newest_submissions_of_each_owner(settings: Settings) -> None:
    app, client = await open_client(settings)
    try:
        await client.start_session()
        busy = [await evaluate(client, n) for n in range(4)]
        client.cookies.clear()
        await client.start_session()
        quiet = [await evaluate(client, 10)]
    finally:
        await client.aclose()
        await stop(app)
    db = Database(settings.db_url)
    try:
        async with db.sessions() as session:
            removed = await maintenance.apply_retention(session, keep=2)
            assert removed == 2
            left = set(map(str, await session.scalars(select(Evaluation.id))))
            assert left == {*busy[2:], *quiet}
            assert await session.scalar(select(func.count()).select_from(Submission)) == 3
            assert await maintenance.apply_retention(session, keep=0) == 0  # 0 keeps everything
    finally:
        await db.dispose()


async def test_the_loop_runs_until_told_to_stop(settings: Settings) -> None:
    app, _ = await open_client(settings)
    await stop(app)
    assert await maintenance.run_forever(settings, interval=0.01, max_runs=3) == 3
    loop = asyncio.get_running_loop()
    loop.call_later(0.5, os.kill, os.getpid(), signal.SIGTERM)
    started = loop.time()
    assert await maintenance.run_forever(settings, interval=3600) == 1
    assert loop.time() - started < 30
