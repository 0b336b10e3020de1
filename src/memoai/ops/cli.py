"""The operator's commands: `memoai backup …`, `memoai config check`, `memoai maintenance`,
`memoai db copy`. Registered on the main app in memoai/cli.py; heavy imports stay inside the
commands so `memoai --help` stays quick."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from memoai.settings import Settings

backup_app = typer.Typer(help="Back up, verify, list, prune and restore.", no_args_is_help=True)
config_app = typer.Typer(help="Inspect and validate the configuration.", no_args_is_help=True)

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _settings() -> Settings:
    from memoai.cli import settings_or_exit

    return settings_or_exit()


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


@backup_app.command("create")
def backup_create(
    kind: Annotated[
        str | None, typer.Option(help="daily or weekly (default: weekly for the week's first)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Back up the database and the YAML configuration (encrypted if BACKUP_ENCRYPTION_KEY)."""
    from memoai.ops.backup import create_backup

    if kind not in (None, "daily", "weekly"):
        typer.echo("error: --kind is daily or weekly", err=True)
        raise typer.Exit(2)
    settings = _settings()
    path = _run(_secrets(settings), lambda: create_backup(settings, kind))
    _echo({"file": str(path), "bytes": path.stat().st_size}, as_json, str(path))


@backup_app.command("verify")
def backup_verify(
    file: Annotated[str | None, typer.Argument(help="Backup file (default: the newest)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into a scratch copy and check checksums, integrity and row counts."""
    from memoai.ops.backup import list_backups, verify_backup

    settings = _settings()
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
def backup_list(as_json: JsonOpt = False) -> None:
    """The backups in BACKUP_DIR, newest first."""
    from memoai.ops.backup import list_backups

    backups = list_backups(_settings())
    rows = [
        f"{b.path.name}  {b.kind:<7} {b.size_bytes:>12} bytes  {b.created_at:%Y-%m-%d %H:%M} UTC"
        for b in backups
    ]
    _echo([b.as_dict() for b in backups], as_json, "\n".join(rows) or "no backups")


@backup_app.command("prune")
def backup_prune(
    keep_daily: Annotated[int, typer.Option(min=1, help="Days to keep")] = 7,
    keep_weekly: Annotated[int, typer.Option(min=0, help="Weeks to keep")] = 4,
    dry_run: Annotated[bool, typer.Option(help="Only show what would go")] = False,
) -> None:
    """Delete backups beyond the newest per day (7 days) and the first per ISO week (4 weeks)."""
    from memoai.ops.backup import prune_backups

    doomed = prune_backups(_settings(), keep_daily, keep_weekly, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    typer.echo("\n".join(f"{verb} {b.path.name}" for b in doomed) or "nothing to prune")


@backup_app.command("restore")
def backup_restore(
    file: Annotated[str, typer.Argument(help="Backup file (a path or a name in BACKUP_DIR)")],
    with_config: Annotated[bool, typer.Option(help="Also restore the YAML files")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Replace the database with a backup (stop the API first); a safety copy is made first."""
    from memoai.ops.backup import restore_backup

    settings = _settings()
    path = _backup_file(file, settings)
    if not yes:
        typer.confirm(f"Replace the current database with {path.name}?", abort=True)
    report = _run(
        _secrets(settings), lambda: restore_backup(path, settings, with_config=with_config)
    )
    data = report.as_dict()
    lines = [f"restored {path.name} in {data['seconds']} s"]
    lines.append(
        f"safety copy of the replaced state: {data['safety_copy'] or 'none (no database)'}"
    )
    lines += [f"  {table}: {n} rows" for table, n in report.row_counts.items()]
    lines += [f"  config restored: {name}" for name in report.config_restored]
    _echo(data, as_json, "\n".join(lines))


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

    settings = _settings()
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
