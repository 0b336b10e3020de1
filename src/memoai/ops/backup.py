"""`memoai backup`: create, verify, list, prune and restore backups (seed §8.1, §12).

SQLite is copied online through its backup API; PostgreSQL is dumped with pg_dump inside one
exported snapshot, so the row counts in the manifest describe exactly the dumped data.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from memoai.db import create_engine, is_sqlite, utcnow
from memoai.ops import metrics as prom
from memoai.ops import pgtools
from memoai.ops.backup_archive import (
    CONFIG_FOLDER,
    FORMAT,
    PG_MEMBER,
    SQLITE_MEMBER,
    BackupError,
    BackupInfo,
    backup_name,
    backups_to_prune,
    checksum_problems,
    count_problems,
    database_stats,
    pack,
    private_folder,
    read_manifest,
    scan_backups,
    snapshot_sqlite,
    sqlite_file_stats,
    sqlite_integrity,
    unpacked,
)
from memoai.ops.backup_guard import DatabaseInUseError, refuse_if_in_use
from memoai.ops.offsite import publish
from memoai.settings import Settings, sqlite_path
from memoai.translations import gettext as _
from memoai.translations import number

__all__ = [
    "BackupError",
    "BackupInfo",
    "DatabaseInUseError",
    "backup_health",
    "create_backup",
    "list_backups",
    "newest_backup_age",
    "prune_backups",
    "restore_backup",
    "verify_backup",
]

MAX_BACKUP_AGE = timedelta(hours=26)
KEEP_DAILY, KEEP_WEEKLY = 7, 4


@dataclass
class VerifyReport:
    """What `verify` checked and what it found wrong (empty problems = good backup)."""

    file: str
    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        database = self.manifest.get("database", {})
        return {
            "file": self.file,
            "ok": self.ok,
            "problems": self.problems,
            "created_at": self.manifest.get("created_at"),
            "kind": self.manifest.get("kind"),
            "database": database.get("kind"),
            "revision": database.get("revision"),
            "row_counts": database.get("row_counts"),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class RestoreReport:
    """What `restore` replaced, where the safety copy of the old state is, and the result."""

    file: str
    safety_copy: Path | None
    row_counts: dict[str, int]
    config_restored: list[str]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "safety_copy": str(self.safety_copy) if self.safety_copy else None,
            "row_counts": self.row_counts,
            "config_restored": self.config_restored,
            "seconds": round(self.seconds, 3),
        }


def _passphrase(settings: Settings) -> str | None:
    return settings.secret("backup_encryption_key") or None


def _passphrase_for_writing(settings: Settings) -> str | None:
    """The key new backups are sealed with; production refuses to write them in the clear."""
    passphrase = _passphrase(settings)
    if passphrase is None and settings.is_production and not settings.backup_allow_unencrypted:
        raise BackupError(
            "production makes no unencrypted backup: set BACKUP_ENCRYPTION_KEY (or "
            "BACKUP_ENCRYPTION_KEY_FILE), or BACKUP_ALLOW_UNENCRYPTED=true to accept them"
        )
    return passphrase


def list_backups(settings: Settings) -> list[BackupInfo]:
    """The backups in BACKUP_DIR, newest first."""
    return scan_backups(settings.backup_dir)


def _auto_kind(settings: Settings, now: datetime) -> str:
    """The first backup of each ISO week is the weekly one."""
    week = now.isocalendar()[:2]
    taken = any(
        b.created_at.isocalendar()[:2] == week and b.kind != "safety"
        for b in list_backups(settings)
    )
    return "daily" if taken else "weekly"


async def create_backup(settings: Settings, kind: str | None = None) -> Path:
    """Back up the database and the YAML configuration into one archive; returns its path."""
    passphrase = _passphrase_for_writing(settings)
    private_folder(settings.backup_dir)
    created = utcnow()
    kind = kind or _auto_kind(settings, created)
    target = settings.backup_dir / backup_name(created, kind, passphrase is not None)
    with tempfile.TemporaryDirectory(dir=settings.backup_dir, prefix=".tmp-make-") as tmp:
        work = Path(tmp) / "content"
        work.mkdir()
        database = await _snapshot(settings.db_url, work)
        _copy_config(settings.config_dir, work / CONFIG_FOLDER)
        manifest = {
            "format": FORMAT,
            "created_at": created.isoformat(),
            "kind": kind,
            "database": database,
            "settings": _settings_summary(settings),
        }
        await asyncio.to_thread(pack, work, manifest, target, passphrase)
    prom.BACKUP_AGE.set(0)
    if kind != "safety":  # off-site too, when BACKUP_S3_URL is set (retention applied there)
        await publish(settings, target)
    return target


async def _snapshot(url: str, work: Path) -> dict[str, Any]:
    if is_sqlite(url):
        source = sqlite_path(url)
        if source is None:
            raise BackupError("an in-memory SQLite database cannot be backed up")
        member = work / SQLITE_MEMBER
        await asyncio.to_thread(snapshot_sqlite, source, member)
        stats = await asyncio.to_thread(sqlite_file_stats, member)
        return {"kind": "sqlite", "file": SQLITE_MEMBER, **stats}
    return {"kind": "postgresql", "file": PG_MEMBER, **await _dump_postgres(url, work / PG_MEMBER)}


async def _dump_postgres(url: str, target: Path) -> dict[str, Any]:
    """pg_dump and the row counts read in one exported snapshot: they describe the same data."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                snapshot = (await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
                stats = await conn.run_sync(database_stats)
                await pgtools.dump(url, target, snapshot=str(snapshot))
        return stats
    finally:
        await engine.dispose()


def _copy_config(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.yaml")):
        shutil.copy2(path, target / path.name)


def _settings_summary(settings: Settings) -> dict[str, str]:
    """The effective settings, secrets redacted: what to set again on a new machine."""
    from memoai.ops.config_check import redacted_settings

    return redacted_settings(settings)


async def verify_backup(path: Path, settings: Settings) -> VerifyReport:
    """Decrypt, unpack, check every checksum, restore into a scratch copy and count rows."""
    started = time.perf_counter()
    with unpacked(path, _passphrase(settings), _scratch_folder(settings)) as content:
        manifest = read_manifest(content)
        problems = await _content_problems(content, manifest, settings)
    return VerifyReport(path.name, manifest, problems, time.perf_counter() - started)


async def _content_problems(
    content: Path, manifest: dict[str, Any], settings: Settings
) -> list[str]:
    return checksum_problems(content, manifest) or await _database_problems(
        content, manifest, settings
    )


def _scratch_folder(settings: Settings) -> Path:
    return private_folder(settings.backup_dir)


async def _database_problems(
    content: Path, manifest: dict[str, Any], settings: Settings
) -> list[str]:
    database = manifest["database"]
    if database["kind"] == "sqlite":
        member = content / database["file"]
        integrity = await asyncio.to_thread(sqlite_integrity, member)
        if integrity != "ok":
            return [f"SQLite integrity check failed: {integrity}"]
        stats = await asyncio.to_thread(sqlite_file_stats, member)
    else:
        if is_sqlite(settings.db_url):
            raise BackupError(
                "verifying a PostgreSQL backup needs DATABASE_URL on a PostgreSQL server"
            )
        async with pgtools.scratch_database(settings.db_url, "memoai_verify") as scratch_url:
            await pgtools.restore(scratch_url, content / database["file"], clean=False)
            stats = await _live_stats(scratch_url)
    problems = count_problems(database["row_counts"], stats["row_counts"])
    if stats["revision"] != database.get("revision"):
        problems.append(
            f"revision {stats['revision']}, the manifest says {database.get('revision')}"
        )
    return problems


async def _live_stats(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(database_stats)
    finally:
        await engine.dispose()


async def restore_backup(
    path: Path, settings: Settings, *, with_config: bool = False, force: bool = False
) -> RestoreReport:
    """Replace the database (and optionally the configuration) with a verified backup.

    A backup of what is replaced is made first (kind `safety`). Refused while anything else
    has the database open (an app writing meanwhile would lose what it writes), unless `force`.
    """
    started = time.perf_counter()
    if not force:
        await refuse_if_in_use(settings)
    with unpacked(path, _passphrase(settings), _scratch_folder(settings)) as content:
        manifest = read_manifest(content)
        problems = await _content_problems(content, manifest, settings)
        if problems:
            raise BackupError(f"{path.name} failed verification: " + "; ".join(problems))
        database = manifest["database"]
        _check_same_kind(path, database["kind"], settings)
        safety = await safety_copy(settings)
        await _replace_database(content / database["file"], settings, database["row_counts"])
        restored = _restore_config(content, settings.config_dir) if with_config else []
    stats = await _live_stats(settings.db_url)
    problems = count_problems(database["row_counts"], stats["row_counts"])
    if problems:
        where = f"; the previous state is in {safety}" if safety else ""
        raise BackupError(
            "the restored database does not match the backup: " + "; ".join(problems) + where
        )
    return RestoreReport(
        path.name, safety, stats["row_counts"], restored, time.perf_counter() - started
    )


def _check_same_kind(path: Path, kind: str, settings: Settings) -> None:
    current = "sqlite" if is_sqlite(settings.db_url) else "postgresql"
    if kind != current:
        raise BackupError(
            f"{path.name} holds a {kind} database but DATABASE_URL is {current}; "
            "restore it where it came from, then move it with `memoai db copy`"
        )


async def safety_copy(settings: Settings) -> Path | None:
    """Back up what is about to be replaced; None when there is nothing (a deleted file)."""
    if is_sqlite(settings.db_url):
        source = sqlite_path(settings.db_url)
        if source is None or not source.is_file():
            return None
    return await create_backup(settings, kind="safety")


async def _replace_database(member: Path, settings: Settings, expected: dict[str, int]) -> None:
    if is_sqlite(settings.db_url):
        target = sqlite_path(settings.db_url)
        assert target is not None
        await asyncio.to_thread(replace_sqlite_file, member, target)
        return
    await pgtools.restore(settings.db_url, member, clean=True)
    await _drop_extra_tables(settings.db_url, set(expected))


def replace_sqlite_file(member: Path, target: Path) -> None:
    """Swap the file in atomically; a stale -wal beside it would be replayed onto it, and
    Litestream's state beside it describes the replaced file (it starts anew from this one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target.with_name(f".{target.name}-litestream"), ignore_errors=True)
    staged = target.with_name(f".restoring-{target.name}")
    shutil.copyfile(member, staged)
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    staged.replace(target)


async def _drop_extra_tables(url: str, keep: set[str]) -> None:
    """Tables a later migration added would block upgrading the restored, older schema."""
    stats = await _live_stats(url)
    extra = sorted(set(stats["row_counts"]) - keep)
    if not extra:
        return
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for name in extra:
                await conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        await engine.dispose()


def _restore_config(content: Path, config_dir: Path) -> list[str]:
    config_dir.mkdir(parents=True, exist_ok=True)
    restored = []
    for path in sorted((content / CONFIG_FOLDER).glob("*.yaml")):
        shutil.copy2(path, config_dir / path.name)
        restored.append(path.name)
    return restored


def prune_backups(
    settings: Settings,
    keep_daily: int = KEEP_DAILY,
    keep_weekly: int = KEEP_WEEKLY,
    *,
    dry_run: bool = False,
) -> list[BackupInfo]:
    """Delete backups beyond the retention; returns what was (or would be) deleted."""
    doomed = backups_to_prune(list_backups(settings), keep_daily, keep_weekly)
    if not dry_run:
        for backup in doomed:
            backup.path.unlink(missing_ok=True)
    return doomed


def newest_backup_age(settings: Settings, now: datetime | None = None) -> float | None:
    """Seconds since the newest backup (None if there is none); also sets the metric."""
    backups = list_backups(settings)
    if not backups:
        # No backup at all is the oldest backup there is: the backup-age alert should fire.
        prom.BACKUP_AGE.set(math.inf if settings.database_backup_enabled else 0)
        return None
    age = max(0.0, ((now or datetime.now(UTC)) - backups[0].created_at).total_seconds())
    prom.BACKUP_AGE.set(age)
    return age


def backup_health(settings: Settings) -> dict[str, Any]:
    """The readiness check's view of backups: stale only when the newest is over 26 h old."""
    if not settings.database_backup_enabled:
        return {"ok": True, "message": _("backups are disabled (DATABASE_BACKUP_ENABLED=false)")}
    age = newest_backup_age(settings)
    if age is None:
        return {"ok": True, "warning": "no backup yet", "message": _("no backup has been made yet")}
    result: dict[str, Any] = {"ok": age <= MAX_BACKUP_AGE.total_seconds(), "age_seconds": int(age)}
    if not result["ok"]:
        hours = number(age / 3600, "#,##0.0")
        result["message"] = _("the newest backup is %(hours)s hours old (limit 26)") % {
            "hours": hours
        }
    return result
