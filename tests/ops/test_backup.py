"""Backups: online and consistent while the app writes, encrypted, verified, pruned, restored."""

from __future__ import annotations

import asyncio
import json
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from memoai import migrations
from memoai.app import stop
from memoai.db import create_engine, is_sqlite
from memoai.ops import backup
from memoai.ops.backup_archive import backup_name, backups_to_prune, scan_backups
from memoai.ops.backup_crypto import BackupCryptoError, WrongKeyError
from memoai.settings import Settings, sqlite_path
from tests.ops.support import evaluate, titles_of

from helpers import make_settings, open_client


async def test_backups_made_while_the_app_writes_are_consistent(settings: Settings) -> None:
    # Consistency, not limits: a slow machine makes backups slow and the writer busy.
    settings = settings.model_copy(update={"rate_limit_enabled": False})
    app, client = await open_client(settings)
    await client.start_session()
    written = 0
    stop_writing = asyncio.Event()

    async def writer() -> None:
        nonlocal written
        while not stop_writing.is_set():
            await evaluate(client, written)
            written += 1
            await asyncio.sleep(0.02)

    task = asyncio.create_task(writer())
    try:
        while written < 3:
            await asyncio.sleep(0.01)
        first = await backup.create_backup(settings)
        during = written
        second = await backup.create_backup(settings)
        while written < during + 2:
            await asyncio.sleep(0.01)
    finally:
        stop_writing.set()
        await task
        await client.aclose()
        await stop(app)
    listed = backup.list_backups(settings)
    assert [b.path for b in listed] == [second, first]
    assert [b.kind for b in listed] == ["daily", "weekly"]  # the week's first is the weekly
    for path in (first, second):
        report = await backup.verify_backup(path, settings)
        assert report.ok, report.problems
        counts = report.manifest["database"]["row_counts"]
        # A submission is stored before its evaluation: a snapshot may fall in between.
        assert 3 <= counts["evaluations"] <= counts["submissions"] <= counts["evaluations"] + 1
        kind = "sqlite" if is_sqlite(settings.db_url) else "postgresql"
        assert report.manifest["database"]["kind"] == kind
        assert report.manifest["database"]["revision"] == migrations.head()
    with tarfile.open(first) as archive:
        names = set(archive.getnames())
    assert {"manifest.json", "config/rubric.yaml", "config/prompt.yaml"} <= names


async def test_encrypted_backup_round_trip_and_a_wrong_key(
    tmp_path: Path, config_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'memoai.db'}"
    key = "correct horse battery"
    settings = make_settings(url, tmp_path, config_dir, backup_encryption_key=key)
    app, client = await open_client(settings)
    await client.start_session()
    await evaluate(client, 1)
    await client.aclose()
    await stop(app)

    path = await backup.create_backup(settings)
    assert path.name.endswith(".tar.gz.age")
    raw = path.read_bytes()
    assert b"manifest" not in raw and b"rubric" not in raw
    report = await backup.verify_backup(path, settings)
    assert report.ok and report.manifest["database"]["row_counts"]["evaluations"] == 1
    assert report.manifest["settings"]["BACKUP_ENCRYPTION_KEY"] == "***"
    assert "correct horse" not in json.dumps(report.manifest)

    wrong = make_settings(url, tmp_path, config_dir, backup_encryption_key="incorrect")
    with pytest.raises(WrongKeyError, match="BACKUP_ENCRYPTION_KEY is not the key"):
        await backup.verify_backup(path, wrong)
    keyless = make_settings(url, tmp_path, config_dir)
    with pytest.raises(backup.BackupError, match="encrypted: set BACKUP_ENCRYPTION_KEY"):
        await backup.verify_backup(path, keyless)
    damaged = bytearray(raw)
    damaged[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(damaged))
    with pytest.raises(BackupCryptoError, match="damaged"):
        await backup.verify_backup(path, settings)
    path.write_bytes(raw[: len(raw) - 100])
    with pytest.raises(BackupCryptoError, match=r"damaged|truncated"):
        await backup.verify_backup(path, settings)


async def test_verify_finds_a_tampered_member(tmp_path: Path, config_dir: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir)
    app, _ = await open_client(settings)
    await stop(app)
    path = await backup.create_backup(settings)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(path) as archive:
        archive.extractall(unpacked, filter="data")
    (unpacked / "config" / "rubric.yaml").write_text("edited: true\n")
    with tarfile.open(path, "w:gz") as archive:
        for member in sorted(unpacked.rglob("*")):
            archive.add(member, arcname=member.relative_to(unpacked).as_posix(), recursive=False)
    report = await backup.verify_backup(path, settings)
    assert not report.ok
    assert report.problems == ["config/rubric.yaml does not match its checksum"]


async def destroy_database(settings: Settings) -> None:
    if is_sqlite(settings.db_url):
        path = sqlite_path(settings.db_url)
        assert path is not None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(settings.db_url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def test_restore_keeps_a_safety_copy_and_brings_the_data_back(settings: Settings) -> None:
    app, client = await open_client(settings)
    token = (await client.start_session())["token"]
    for n in (1, 2):
        await evaluate(client, n)
    saved = await backup.create_backup(settings)
    await evaluate(client, 3)  # written after the backup: only the safety copy will hold it
    await client.aclose()
    await stop(app)

    report = await backup.restore_backup(saved, settings, with_config=True)
    assert report.safety_copy is not None and report.safety_copy.exists()
    assert report.row_counts["evaluations"] == 2
    assert "rubric.yaml" in report.config_restored
    safety = await backup.verify_backup(report.safety_copy, settings)
    assert safety.ok and safety.manifest["database"]["row_counts"]["evaluations"] == 3
    assert safety.manifest["kind"] == "safety"
    assert await titles_of(settings, token) == ["memo 1", "memo 2"]

    await destroy_database(settings)
    report = await backup.restore_backup(saved, settings)
    # A deleted SQLite file leaves nothing to keep; an emptied PostgreSQL database is kept.
    assert (report.safety_copy is None) == is_sqlite(settings.db_url)
    assert await titles_of(settings, token) == ["memo 1", "memo 2"]


def test_prune_keeps_seven_days_four_weeks_and_three_safety_copies(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    monday = datetime(2026, 3, 30, tzinfo=UTC)
    for days_ago in range(60):
        for hour in (2, 14):  # two a day: the day keeps its newer one
            when = monday - timedelta(days=days_ago) + timedelta(hours=hour)
            (folder / backup_name(when, "daily", encrypted=False)).write_bytes(b"x")
    for n in range(5):
        when = monday - timedelta(days=n) + timedelta(hours=20)
        (folder / backup_name(when, "safety", encrypted=True)).write_bytes(b"x")
    backups = scan_backups(folder)
    doomed = {b.path for b in backups_to_prune(backups, keep_daily=7, keep_weekly=4)}
    kept = {(b.created_at.strftime("%m-%d %H"), b.kind) for b in backups if b.path not in doomed}
    daily = {(f"03-{day} 14", "daily") for day in range(24, 31)}
    weekly = {(f"03-{day:02d} 02", "daily") for day in (9, 16, 23, 30)}  # Mondays, first of week
    safety = {(f"03-{day} 20", "safety") for day in (28, 29, 30)}
    assert kept == daily | weekly | safety
    assert len(doomed) == 60 * 2 + 5 - len(kept)


async def test_readiness_reports_backup_age(tmp_path: Path, config_dir: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir)
    app, client = await open_client(settings)
    try:
        check = (await client.get("/health/ready")).json()["data"]["checks"]["backup"]
        assert check["ok"] is True and check["warning"] == "no backup yet"
        stale = datetime.now(UTC) - timedelta(hours=30)
        settings.backup_dir.mkdir(parents=True, exist_ok=True)
        (settings.backup_dir / backup_name(stale, "weekly", encrypted=False)).write_bytes(b"x")
        ready = await client.get("/health/ready")
        check = ready.json()["data"]["checks"]["backup"]
        assert check["ok"] is False and "30.0 hours" in check["message"]
        assert ready.status_code == 200  # advisory: a stale backup keeps replicas in service
        metrics = (await client.get("/metrics")).text
        age = next(
            float(line.split()[1])
            for line in metrics.splitlines()
            if line.startswith("memoai_backup_age_seconds ")
        )
        assert 29 * 3600 < age < 31 * 3600
        await backup.create_backup(settings)
        check = (await client.get("/health/ready")).json()["data"]["checks"]["backup"]
        assert check["ok"] is True and check["age_seconds"] < 60
    finally:
        await client.aclose()
        await stop(app)
    disabled = make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir, database_backup_enabled=False
    )
    assert backup.backup_health(disabled)["ok"] is True
