"""Point-in-time restore from Litestream's replica: `memoai backup restore --at TIME`, with the
same safety copy and in-use refusal as restoring a backup."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memoai.app import stop
from memoai.ops import backup
from memoai.ops.backup_guard import DatabaseInUseError
from memoai.ops.litestream import LitestreamError, parse_time, restore_at
from memoai.settings import Settings
from tests.ops.litestream_support import MEMOAI, replicate_env, replicating, wait_replicated
from tests.ops.support import evaluate, titles_of

from helpers import make_settings, open_client


def pitr_settings(tmp_path: Path, config_dir: Path) -> Settings:
    (tmp_path / "data").mkdir()
    return make_settings(
        f"sqlite:///{tmp_path}/data/memoai.db",
        tmp_path,
        config_dir,
        litestream_replica_url=f"file://{tmp_path}/replica",
        rate_limit_enabled=False,
    )


async def test_restore_at_brings_back_the_moment_and_keeps_a_safety_copy(
    tmp_path: Path, config_dir: Path
) -> None:
    settings = pitr_settings(tmp_path, config_dir)
    app, client = await open_client(settings)
    token = str((await client.start_session())["token"])
    with replicating(settings, tmp_path / "litestream.log") as litestream:
        try:
            for n in range(3):
                await evaluate(client, n)
            wait_replicated(settings, "evaluations", 3, tmp_path)
            time.sleep(1.2)  # Litestream's steps are one second: the moment falls between them
            moment = datetime.now(UTC)
            time.sleep(1.2)
            for n in range(3, 5):  # the mistake to undo
                await evaluate(client, n)
            wait_replicated(settings, "evaluations", 5, tmp_path)
        finally:
            await client.aclose()
            await stop(app)
        # Litestream still has the database open: a restore would swap it under it.
        with pytest.raises(DatabaseInUseError, match="in use"):
            await restore_at(settings, moment)
        assert litestream.poll() is None
    report = await restore_at(settings, moment)

    assert report.row_counts["evaluations"] == 3
    assert await titles_of(settings, token) == ["memo 0", "memo 1", "memo 2"]
    assert report.safety_copy is not None and report.safety_copy.name.endswith("-safety.tar.gz")
    safety = await backup.verify_backup(report.safety_copy, settings)
    assert safety.ok and safety.manifest["database"]["row_counts"]["evaluations"] == 5
    assert not (tmp_path / "data" / ".memoai.db-litestream").exists()  # starts anew from here


async def test_restore_at_names_impossible_moments(tmp_path: Path, config_dir: Path) -> None:
    settings = pitr_settings(tmp_path, config_dir)
    app, client = await open_client(settings)
    await client.start_session()
    with replicating(settings, tmp_path / "litestream.log"):
        try:
            await evaluate(client, 0)
            wait_replicated(settings, "evaluations", 1, tmp_path)
        finally:
            await client.aclose()
            await stop(app)
    before = datetime.now(UTC) - timedelta(days=2)
    with pytest.raises(LitestreamError, match=r"holds nothing as old as .*; the oldest it holds"):
        await restore_at(settings, before)
    with pytest.raises(LitestreamError, match="in the future"):
        await restore_at(settings, datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(LitestreamError, match="not an ISO 8601 time"):
        parse_time("yesterday at noon")
    assert parse_time("2026-12-01T10:15:00") == datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
    # Nothing was replaced by the refused restores, and no safety copies were made.
    assert backup.list_backups(settings) == []
    # A moment after the last change (Litestream wrote nothing since): the newest state.
    time.sleep(1.5)
    report = await restore_at(settings, datetime.now(UTC))
    assert report.row_counts["evaluations"] == 1 and report.safety_copy is not None

    unset = settings.model_copy(update={"litestream_replica_url": None})
    with pytest.raises(LitestreamError, match="LITESTREAM_REPLICA_URL is not set"):
        await restore_at(unset, datetime.now(UTC))

    env = replicate_env(settings) | {"BACKUP_DIR": str(settings.backup_dir)}
    cli = subprocess.run(
        [str(MEMOAI), "backup", "restore", "--at", "noon", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 1 and "is not an ISO 8601 time" in cli.stderr
