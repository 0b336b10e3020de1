"""Backup procedures an operator relies on: no restore under a running app, private files,
no unencrypted backup in production, age files the age tool opens, old backups still
restorable, pruning by the configured retention, and `db downgrade -1` as documented."""

from __future__ import annotations

import os
import pty
import shutil
import stat
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from memoai import migrations
from memoai.app import stop
from memoai.cli import app as cli
from memoai.ops import backup
from memoai.ops.backup_archive import backup_name
from memoai.ops.backup_crypto import WrongKeyError
from memoai.settings import Settings
from tests.ops.support import evaluate, titles_of

from helpers import make_settings, open_client

DATA = Path(__file__).resolve().parent / "data"
DRILL = Path(__file__).resolve().parents[2] / "scripts" / "dr-drill.sh"
# Made by the scrypt + AES-GCM format of our own, before backups were age files: one
# evaluation titled "made before age", on an SQLite database at the revision of that time.
LEGACY_BACKUP = DATA / "memoai-20261201-061743-675741-daily.tar.gz.enc"
LEGACY_KEY = "legacy format key"


@pytest.fixture(autouse=True)
def no_stray_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # `memoai` commands would read a .env in the working folder


async def test_restore_refuses_while_the_app_has_the_database_open(settings: Settings) -> None:
    app, client = await open_client(settings)
    token = (await client.start_session())["token"]
    await evaluate(client, 1)
    saved = await backup.create_backup(settings)
    await evaluate(client, 2)
    try:
        with pytest.raises(backup.DatabaseInUseError, match="in use"):
            await backup.restore_backup(saved, settings)
        await evaluate(client, 3)  # refused before anything changed: the app still writes
    finally:
        await client.aclose()
        await stop(app)
    assert await titles_of(settings, token) == ["memo 1", "memo 2", "memo 3"]
    report = await backup.restore_backup(saved, settings)  # with the app stopped: restored
    assert report.row_counts["evaluations"] == 1
    assert await titles_of(settings, token) == ["memo 1"]


@contextmanager
def held_open(db_file: Path) -> Iterator[None]:
    """Another process with the SQLite file open, as a running replica has it."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
            " c.execute('PRAGMA journal_mode=WAL'); c.execute('SELECT 1 FROM alembic_version');"
            " print('open', flush=True); sys.stdin.read()",
            str(db_file),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        yield
    finally:
        holder.communicate("", timeout=10)


def test_an_sqlite_file_another_process_holds_is_in_use(tmp_path: Path, config_dir: Path) -> None:
    db_file = tmp_path / "memoai.db"
    settings = make_settings(f"sqlite:///{db_file}", tmp_path, config_dir)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=_env(settings)).exit_code == 0
    with held_open(db_file):
        busy = runner.invoke(cli, ["backup", "check-idle"], env=_env(settings))
        assert busy.exit_code == 1 and "in use: another process has memoai.db open" in busy.output
    idle = runner.invoke(cli, ["backup", "check-idle"], env=_env(settings))
    assert idle.exit_code == 0 and "not in use" in idle.output


def test_the_dr_drill_refuses_while_the_database_is_in_use(
    tmp_path: Path, config_dir: Path
) -> None:
    db_file = tmp_path / "memoai.db"
    settings = make_settings(f"sqlite:///{db_file}", tmp_path, config_dir)
    assert CliRunner().invoke(cli, ["db", "upgrade"], env=_env(settings)).exit_code == 0
    env = {
        "PATH": os.environ["PATH"],
        "MEMOAI": str(Path(sys.executable).parent / "memoai"),
        **_env(settings),
    }
    with held_open(db_file):
        drill = subprocess.run(
            ["bash", str(DRILL), "--yes"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert drill.returncode == 1, drill.stdout + drill.stderr
    assert "DR drill refused" in drill.stderr and "in use" in drill.stderr
    assert db_file.exists() and not settings.backup_dir.exists()  # nothing done


async def test_backups_are_readable_by_their_owner_only(tmp_path: Path, config_dir: Path) -> None:
    for key in (None, "a passphrase"):
        settings = make_settings(
            f"sqlite:///{tmp_path / 'memoai.db'}",
            tmp_path,
            config_dir,
            backup_dir=tmp_path / f"backups-{bool(key)}",
            backup_encryption_key=key,
        )
        app, _ = await open_client(settings)
        await stop(app)
        old_umask = os.umask(0o022)
        try:
            path = await backup.create_backup(settings)
        finally:
            os.umask(old_umask)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_production_makes_no_unencrypted_backup_unless_allowed(
    tmp_path: Path, config_dir: Path
) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir)
    app, _ = await open_client(settings)
    await stop(app)
    production = settings.model_copy(update={"app_env": "production"})
    with pytest.raises(backup.BackupError, match="BACKUP_ALLOW_UNENCRYPTED=true"):
        await backup.create_backup(production)
    assert backup.list_backups(production) == []
    allowed = production.model_copy(update={"backup_allow_unencrypted": True})
    assert (await backup.create_backup(allowed)).name.endswith(".tar.gz")


@pytest.mark.skipif(shutil.which("age") is None, reason="age is not installed (setup-system.sh)")
async def test_the_age_tool_opens_a_backup(tmp_path: Path, config_dir: Path) -> None:
    key = "an operator's passphrase"
    settings = make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir, backup_encryption_key=key
    )
    app, client = await open_client(settings)
    await client.start_session()
    await evaluate(client, 1)
    await client.aclose()
    await stop(app)
    sealed = await backup.create_backup(settings)
    assert sealed.name.endswith(".tar.gz.age")

    opened = tmp_path / "opened.tar.gz"
    output = age_decrypt(sealed, opened, key)  # as docs/operations.md shows it
    with tarfile.open(opened) as archive:
        names = set(archive.getnames())
    assert {"manifest.json", "database.sqlite3", "config/rubric.yaml"} <= names, output


def age_decrypt(sealed: Path, target: Path, passphrase: str) -> str:
    """`age -d -o TARGET SEALED`, typing the passphrase at the terminal it asks on."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: age reads the passphrase from its controlling terminal
        os.execvp("age", ["age", "-d", "-o", str(target), str(sealed)])
    seen = b""
    try:
        while b"passphrase" not in seen.lower():
            seen += os.read(terminal, 1024)
        os.write(terminal, passphrase.encode() + b"\r")
        while True:
            try:
                chunk = os.read(terminal, 1024)
            except OSError:  # the terminal closes when age exits
                break
            if not chunk:
                break
            seen += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, seen.decode(errors="replace")
    return seen.decode(errors="replace")


async def test_a_backup_of_the_format_before_age_still_restores(
    tmp_path: Path, config_dir: Path
) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        backup_encryption_key=LEGACY_KEY,
    )
    settings.backup_dir.mkdir()
    old = settings.backup_dir / LEGACY_BACKUP.name
    shutil.copy(LEGACY_BACKUP, old)
    assert [b.encrypted for b in backup.list_backups(settings)] == [True]

    report = await backup.verify_backup(old, settings)
    assert report.ok, report.problems
    restored = await backup.restore_backup(old, settings)
    assert restored.row_counts["evaluations"] == 1
    app, _ = await open_client(settings)  # starts on it, migrated to this release
    await stop(app)

    wrong = make_settings(settings.db_url, tmp_path, config_dir, backup_encryption_key="not it")
    with pytest.raises(WrongKeyError, match="BACKUP_ENCRYPTION_KEY is not the key"):
        await backup.verify_backup(old, wrong)


def test_prune_keeps_what_backup_keep_daily_and_weekly_say(
    tmp_path: Path, config_dir: Path
) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir)
    settings.backup_dir.mkdir()
    today = datetime.now(UTC).replace(hour=3, minute=0, second=0, microsecond=0)
    for days_ago in range(20):
        when = today - timedelta(days=days_ago)
        (settings.backup_dir / backup_name(when, "daily", encrypted=False)).write_bytes(b"x")
    env = {**_env(settings), "BACKUP_KEEP_DAILY": "2", "BACKUP_KEEP_WEEKLY": "0"}
    result = CliRunner().invoke(cli, ["backup", "prune"], env=env)
    assert result.exit_code == 0, result.output
    kept = backup.list_backups(settings)
    assert [b.created_at for b in kept] == [today, today - timedelta(days=1)]
    assert result.output.count("deleted ") == 18


def test_db_downgrade_minus_one_as_documented(tmp_path: Path, config_dir: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=_env(settings)).exit_code == 0
    result = runner.invoke(cli, ["db", "downgrade", "-1"], env=_env(settings))
    assert result.exit_code == 0, result.output
    current = runner.invoke(cli, ["db", "current"], env=_env(settings)).output
    assert f'"head": "{migrations.head()}"' in current
    assert f'"current": "{migrations.head()}"' not in current


def _env(settings: Settings) -> dict[str, str]:
    """The environment that makes `memoai` commands use these settings."""
    return {
        "DATABASE_URL": settings.db_url,
        "DATA_DIR": str(settings.data_dir),
        "BACKUP_DIR": str(settings.backup_dir),
        "CONFIG_DIR": str(settings.config_dir),
        "LLM_PROVIDER": "offline",
        "BACKUP_ENCRYPTION_KEY": settings.secret("backup_encryption_key") or "",
    }
