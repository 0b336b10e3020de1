"""The operator's commands: `memoai backup …`, `memoai config check`, `memoai maintenance`,
`memoai db copy`. Registered on the main app in memoai/cli/__init__.py; heavy imports stay
inside the commands so `memoai --help` stays quick."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from memoai.cli.common import settings_or_exit
from memoai.settings import Settings

backup_app = typer.Typer(
    help="Back up, verify, list, prune and restore: locally, off-site, or to a moment.",
    no_args_is_help=True,
)
config_app = typer.Typer(help="Inspect and validate the configuration.", no_args_is_help=True)

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
OffsiteOpt = Annotated[
    bool, typer.Option("--offsite", help="Read from the off-site storage (BACKUP_S3_URL)")
]


def _secrets(settings: Settings) -> list[str]:
    from memoai.ops.config_check import secret_values

    return secret_values(settings)


def _fail(exc: Exception, secrets: list[str]) -> NoReturn:
    """Print the error (scrubbed of any secret value) and end with status 1."""
    from memoai.ops.config_check import scrub

    message = f"error: {exc}" if str(exc) else f"error: {type(exc).__name__}"
    typer.echo(scrub(message, secrets), err=True)
    raise typer.Exit(1)


def _run(secrets: list[str], work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run async work; expected failures (and unreachable databases) become one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from memoai.ops.backup import BackupError
    from memoai.ops.backup_crypto import BackupCryptoError
    from memoai.ops.dbcopy import CopyError
    from memoai.ops.pgtools import PgToolError

    try:
        return asyncio.run(work())
    except (
        BackupError,
        BackupCryptoError,
        CopyError,
        PgToolError,
        SQLAlchemyError,
        OSError,
    ) as exc:
        _fail(exc, secrets)


def _echo(data: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, indent=2, default=str) if as_json else text)


def _backup_file(name: str, settings: Settings) -> Path:
    """A path, or just the file name of a backup in BACKUP_DIR."""
    path = Path(name)
    return path if path.exists() or path.parent != Path(".") else settings.backup_dir / name


def _fetch(name: str | None, settings: Settings, folder: Path) -> Path:
    """Download a backup (the newest when no name) from the off-site storage into `folder`."""
    from memoai.ops.backup_archive import private_folder
    from memoai.ops.offsite import OffsiteError, OffsiteStore

    def work() -> Path:
        store = OffsiteStore(settings)
        chosen = name
        if chosen is None:
            newest = [b for b in store.backups() if b.kind != "safety"]
            if not newest:
                raise OffsiteError(f"no backups at {store.url}")
            chosen = newest[0].name
        path = store.download(Path(chosen).name, private_folder(folder))
        typer.echo(f"fetched {path.name} from {store.url}", err=True)
        return path

    async def run() -> Path:
        return await asyncio.to_thread(work)

    return _run(_secrets(settings), run)


@backup_app.command("create")
def backup_create(
    kind: Annotated[
        str | None, typer.Option(help="daily or weekly (default: weekly for the week's first)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up the database and the YAML configuration (encrypted if BACKUP_ENCRYPTION_KEY;
    uploaded to BACKUP_S3_URL too when set)."""
    from memoai.ops.backup import create_backup

    if kind not in (None, "daily", "weekly"):
        typer.echo("error: --kind is daily or weekly", err=True)
        raise typer.Exit(2)
    settings = settings_or_exit()
    path = _run(_secrets(settings), lambda: create_backup(settings, kind))
    data: dict[str, Any] = {"file": str(path), "bytes": path.stat().st_size}
    if settings.backup_s3_url:
        data["offsite"] = settings.backup_s3_url.rstrip("/") + "/" + path.name
        typer.echo(f"uploaded to {data['offsite']}", err=True)
    _echo(data, as_json, str(path))


@backup_app.command("verify")
def backup_verify(
    file: Annotated[str | None, typer.Argument(help="Backup file (default: the newest)")] = None,
    offsite: OffsiteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into a scratch copy and check checksums, integrity and row counts."""
    import tempfile

    from memoai.ops.backup import list_backups, verify_backup

    settings = settings_or_exit()
    if offsite:  # into a scratch folder, deleted after the check
        with tempfile.TemporaryDirectory(prefix="memoai-offsite-") as tmp:
            path = _fetch(file, settings, Path(tmp))
            report = _run(_secrets(settings), lambda: verify_backup(path, settings))
    else:
        if file is None:
            newest = list_backups(settings)
            if not newest:
                _fail(FileNotFoundError(f"no backups in {settings.backup_dir}"), [])
            path = newest[0].path
        else:
            path = _backup_file(file, settings)
        report = _run(_secrets(settings), lambda: verify_backup(path, settings))
    summary = report.as_dict()
    lines = [f"{path.name}: " + ("ok" if report.ok else "FAILED")]
    lines += [f"  {table}: {n} rows" for table, n in (summary["row_counts"] or {}).items()]
    lines += [f"  problem: {p}" for p in report.problems]
    _echo(summary, as_json, "\n".join(lines))
    raise typer.Exit(0 if report.ok else 1)


@backup_app.command("list")
def backup_list(offsite: OffsiteOpt = False, as_json: JsonOpt = False) -> None:
    """The backups in BACKUP_DIR (or off-site with --offsite), newest first."""
    from memoai.ops.backup import list_backups
    from memoai.ops.offsite import OffsiteStore

    settings = settings_or_exit()
    if offsite:

        async def remote() -> list[Any]:
            return await asyncio.to_thread(lambda: OffsiteStore(settings).backups())

        backups: list[Any] = _run(_secrets(settings), remote)
    else:
        backups = list_backups(settings)
    rows = [
        f"{Path(b.as_dict()['file']).name}  {b.kind:<7} {b.size_bytes:>12} bytes  "
        f"{b.created_at:%Y-%m-%d %H:%M} UTC"
        for b in backups
    ]
    _echo([b.as_dict() for b in backups], as_json, "\n".join(rows) or "no backups")


@backup_app.command("prune")
def backup_prune(
    keep_daily: Annotated[
        int | None, typer.Option(min=1, help="Days to keep (default: BACKUP_KEEP_DAILY, 7)")
    ] = None,
    keep_weekly: Annotated[
        int | None, typer.Option(min=0, help="Weeks to keep (default: BACKUP_KEEP_WEEKLY, 4)")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Only show what would go")] = False,
) -> None:
    """Delete backups beyond the newest per day and the first per ISO week (BACKUP_KEEP_*)."""
    from memoai.ops.backup import prune_backups

    settings = settings_or_exit()
    daily = settings.backup_keep_daily if keep_daily is None else keep_daily
    weekly = settings.backup_keep_weekly if keep_weekly is None else keep_weekly
    doomed = [b.path.name for b in prune_backups(settings, daily, weekly, dry_run=dry_run)]
    if settings.backup_s3_url:
        from memoai.ops.offsite import OffsiteStore

        async def remote() -> list[str]:
            store = OffsiteStore(settings)
            return await asyncio.to_thread(store.prune, daily, weekly, dry_run=dry_run)

        doomed += [f"{name} (off-site)" for name in _run(_secrets(settings), remote)]
    verb = "would delete" if dry_run else "deleted"
    typer.echo("\n".join(f"{verb} {name}" for name in doomed) or "nothing to prune")


@backup_app.command("restore")
def backup_restore(
    file: Annotated[
        str | None, typer.Argument(help="Backup file (a path or a name in BACKUP_DIR)")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Instead: the moment to go back to, from Litestream's replica"),
    ] = None,
    offsite: Annotated[
        bool, typer.Option("--offsite", help="Fetch the backup (default: newest) off-site first")
    ] = False,
    with_config: Annotated[bool, typer.Option(help="Also restore the YAML files")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Restore even though the database seems in use")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Replace the database with a backup (stop the API first); a safety copy is made first.

    Refused while anything else has the database open (an SQLite file another process holds,
    other PostgreSQL sessions, Litestream), unless --force. `--at TIME` restores the SQLite
    database as it was at TIME from the Litestream replica (LITESTREAM_REPLICA_URL).
    """
    from memoai.ops.backup import restore_backup

    settings = settings_or_exit()
    if at is not None:
        if file is not None or offsite or with_config:
            typer.echo("error: --at takes no backup file, --offsite or --with-config", err=True)
            raise typer.Exit(2)
        _restore_at(settings, at, yes=yes, force=force, as_json=as_json)
        return
    if offsite:
        path = _fetch(file, settings, settings.backup_dir)
    elif file is None:
        typer.echo("error: name a backup file, or use --offsite or --at", err=True)
        raise typer.Exit(2)
    else:
        path = _backup_file(file, settings)
    if not yes:
        typer.confirm(f"Replace the current database with {path.name}?", abort=True)
    report = _run(
        _secrets(settings),
        lambda: restore_backup(path, settings, with_config=with_config, force=force),
    )
    data = report.as_dict()
    lines = [f"restored {path.name} in {data['seconds']} s"]
    lines.append(
        f"safety copy of the replaced state: {data['safety_copy'] or 'none (no database)'}"
    )
    lines += [f"  {table}: {n} rows" for table, n in report.row_counts.items()]
    lines += [f"  config restored: {name}" for name in report.config_restored]
    _echo(data, as_json, "\n".join(lines))


def _restore_at(settings: Settings, at: str, *, yes: bool, force: bool, as_json: bool) -> None:
    from memoai.ops.litestream import parse_time, restore_at

    moment = _run(_secrets(settings), lambda: asyncio.to_thread(parse_time, at))
    if not yes:
        typer.confirm(f"Replace the current database with its state at {moment}?", abort=True)
    report = _run(_secrets(settings), lambda: restore_at(settings, moment, force=force))
    data = report.as_dict()
    lines = [f"restored the database as of {data['at']} in {data['seconds']} s"]
    lines.append(
        f"safety copy of the replaced state: {data['safety_copy'] or 'none (no database)'}"
    )
    lines += [f"  {table}: {n} rows" for table, n in report.row_counts.items()]
    _echo(data, as_json, "\n".join(lines))


@backup_app.command("replicate")
def backup_replicate() -> None:
    """Run Litestream: replicate the SQLite database to LITESTREAM_REPLICA_URL continuously."""
    import os
    import time

    from memoai.db import is_sqlite
    from memoai.ops.litestream import (
        LitestreamError,
        check_bucket_encryption,
        environment,
        replicate_command,
    )

    settings = settings_or_exit()
    if not is_sqlite(settings.db_url):  # idle, so a restart policy does not loop on it
        typer.echo("the database is PostgreSQL: nothing for Litestream to replicate (idle)")
        while True:
            time.sleep(3600)
    try:
        command, env = replicate_command(settings), environment(settings)
        check_bucket_encryption(settings)  # S3: Litestream sends the database in the clear
    except LitestreamError as exc:
        _fail(exc, _secrets(settings))
    os.execve(command[0], command, env)  # noqa: S606 (Litestream takes over this process)


@backup_app.command("check-idle")
def backup_check_idle() -> None:
    """Exit 0 when nothing else uses the database (safe to restore), 1 and who when in use."""
    from memoai.ops.backup_guard import database_in_use

    settings = settings_or_exit()
    user = _run(_secrets(settings), lambda: database_in_use(settings))
    typer.echo(f"in use: {user}" if user else "not in use")
    raise typer.Exit(1 if user else 0)


@config_app.command("check")
def config_check(as_json: JsonOpt = False) -> None:
    """Print the effective configuration (secrets redacted), validate it, warn about risks."""
    from memoai.ops.config_check import run_check

    code, output = run_check(as_json)
    typer.echo(output)
    raise typer.Exit(code)


def maintenance(
    loop: Annotated[bool, typer.Option("--loop/--once", help="Keep running, or run once")] = False,
    interval: Annotated[
        float | None, typer.Option(min=1, help="Seconds between runs (with --loop)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Scheduled work: daily backup, pruning, expired sessions, retention, gauges."""
    from memoai.ops.logging import configure_logging
    from memoai.ops.maintenance import run_forever, run_maintenance

    settings = settings_or_exit()
    configure_logging(str(settings.log_level), settings.log_format)
    if loop:
        _run(_secrets(settings), lambda: run_forever(settings, interval))
        return
    report = _run(_secrets(settings), lambda: run_maintenance(settings))
    text = "\n".join(f"{k}: {v}" for k, v in report.as_dict().items())
    _echo(report.as_dict(), as_json, text)
    raise typer.Exit(1 if report.problems else 0)


def db_copy(
    source: Annotated[
        str, typer.Option("--from", help="Source URL, e.g. sqlite:///data/memoai.db")
    ],
    target: Annotated[str, typer.Option("--to", help="Target URL, e.g. postgresql://…")],
    force: Annotated[bool, typer.Option(help="Replace data already in the target")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per insert")] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """Copy every row into another database (migrated to head), verified by counts and checksums."""
    from memoai.ops.config_check import redact_url, url_passwords
    from memoai.ops.dbcopy import copy_database

    secrets = url_passwords([source, target])
    report = _run(
        secrets, lambda: copy_database(source, target, force=force, batch_size=batch_size)
    )
    data = report.as_dict()
    lines = [f"copied {redact_url(source)} -> {redact_url(target)} in {data['seconds']} s"]
    lines += [
        f"  {name}: {t['rows']} rows, checksum {t['checksum'][:16]}…  ok"
        for name, t in data["tables"].items()
    ]
    _echo(data, as_json, "\n".join(lines))
