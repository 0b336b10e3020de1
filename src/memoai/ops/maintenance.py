"""`memoai maintenance`: the scheduled work, once or in a loop (the compose `maintenance` service).

Each run: the daily backup when none was made today (UTC), pruning to 7 daily and 4 weekly,
deleting expired sessions that own nothing, keeping only the newest N submissions per session
or user when a retention is set, and refreshing the gauges Prometheus alerts on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.db import Database, utcnow
from memoai.evaluations.models import Evaluation, Status, Submission
from memoai.ops import backup
from memoai.ops import metrics as prom
from memoai.sessions.models import Session
from memoai.settings import Settings

log = logging.getLogger("memoai.maintenance")

# Used until Settings has these fields (then the settings win).
DEFAULTS: dict[str, Any] = {
    "retention_submissions": 0,
    "maintenance_interval_seconds": 3600,
    "backup_keep_daily": backup.KEEP_DAILY,
    "backup_keep_weekly": backup.KEEP_WEEKLY,
}
LIVE_STATUSES = (Status.PENDING, Status.RUNNING)


def setting(settings: Settings, name: str) -> Any:
    value = getattr(settings, name, None)
    return DEFAULTS[name] if value is None else value


@dataclass
class MaintenanceReport:
    """What one run did; problems are collected so one failing task does not stop the rest."""

    backup: str | None = None
    pruned: list[str] = field(default_factory=list)
    sessions_purged: int = 0
    submissions_removed: int = 0
    backup_age_seconds: float | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def backup_due(settings: Settings, now: datetime | None = None) -> bool:
    """A scheduled backup is due when none was made yet today (UTC)."""
    if not settings.database_backup_enabled:
        return False
    today = (now or utcnow()).date()
    scheduled = [b for b in backup.list_backups(settings) if b.kind != "safety"]
    return not scheduled or scheduled[0].created_at.date() < today


async def purge_expired_sessions(db: AsyncSession, now: datetime) -> int:
    """Delete ended sessions that own no submissions (ones that do keep the user's history)."""
    owns_work = exists().where(Submission.session_id == Session.id)
    ended = or_(Session.expires_at < now, Session.revoked_at < now)
    result = await db.execute(delete(Session).where(ended, ~owns_work))
    await db.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def apply_retention(db: AsyncSession, keep: int) -> int:
    """Keep the newest `keep` submissions per user (or per session when anonymous).

    Evaluations go with their submission (ON DELETE CASCADE); a submission whose evaluation is
    still running is never removed.
    """
    if keep <= 0:
        return 0
    owner = func.coalesce(Submission.user_id, Submission.session_id)
    rank = (
        func.row_number()
        .over(partition_by=owner, order_by=(Submission.created_at.desc(), Submission.id.desc()))
        .label("recency")
    )
    ranked = select(Submission.id, rank).subquery()
    running = exists().where(
        Evaluation.submission_id == Submission.id, Evaluation.status.in_(LIVE_STATUSES)
    )
    old = select(ranked.c.id).where(ranked.c.recency > keep)
    result = await db.execute(delete(Submission).where(Submission.id.in_(old), ~running))
    await db.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def run_maintenance(settings: Settings) -> MaintenanceReport:
    """One pass of every scheduled task."""
    started = time.perf_counter()
    report = MaintenanceReport()
    db = Database(settings.db_url, settings.database_pool_size)
    try:
        if not await _has_schema(db):
            report.problems.append("the database has no schema yet (the API migrates at start)")
        else:
            await _backup_tasks(settings, report)
            await _database_tasks(db, settings, report)
    finally:
        await db.dispose()
    _update_gauges(settings, report)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


async def _has_schema(db: Database) -> bool:
    async with db.engine.connect() as conn:
        return bool(await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")))


async def _backup_tasks(settings: Settings, report: MaintenanceReport) -> None:
    try:
        if backup_due(settings):
            report.backup = (await backup.create_backup(settings)).name
        doomed = backup.prune_backups(
            settings,
            setting(settings, "backup_keep_daily"),
            setting(settings, "backup_keep_weekly"),
        )
        report.pruned = [b.path.name for b in doomed]
    except Exception as exc:
        log.exception("scheduled backup failed")
        report.problems.append(f"backup: {type(exc).__name__}: {exc}")


async def _database_tasks(db: Database, settings: Settings, report: MaintenanceReport) -> None:
    try:
        async with db.sessions() as session:
            report.sessions_purged = await purge_expired_sessions(session, utcnow())
            keep = int(setting(settings, "retention_submissions"))
            report.submissions_removed = await apply_retention(session, keep)
    except Exception as exc:
        log.exception("database maintenance failed")
        report.problems.append(f"database: {type(exc).__name__}: {exc}")


def _update_gauges(settings: Settings, report: MaintenanceReport) -> None:
    report.backup_age_seconds = backup.newest_backup_age(settings)
    try:
        prom.DISK_FREE.set(shutil.disk_usage(settings.data_dir).free)
    except OSError as exc:
        report.problems.append(f"disk: cannot read {settings.data_dir}: {exc.strerror}")


async def run_forever(
    settings: Settings, interval: float | None = None, *, max_runs: int | None = None
) -> int:
    """Run, sleep, repeat until SIGTERM/SIGINT (or `max_runs`); returns the number of runs."""
    pause = float(interval or setting(settings, "maintenance_interval_seconds"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runs = 0
    try:
        while not stop.is_set() and (max_runs is None or runs < max_runs):
            report = await run_maintenance(settings)
            runs += 1
            log.info("maintenance run finished", extra=report.as_dict())
            if max_runs is not None and runs >= max_runs:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return runs
