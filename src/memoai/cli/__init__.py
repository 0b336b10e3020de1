"""The `memoai` command: everything an operator does, on the same services as the API.

The top layer of the package: it may import anything, and nothing but `memoai.cli.*` imports it.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from memoai.cli.common import settings_or_exit
from memoai.cli.operations import backup_app, config_app, db_copy, maintenance
from memoai.cli.users import users_app
from memoai.settings import Settings

app = typer.Typer(help="Memo AI Coach: serve, migrate, evaluate, operate.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations and moves.", no_args_is_help=True)
app.add_typer(db_app, name="db")

HostOpt = Annotated[str, typer.Option(help="Interface to listen on")]
PortOpt = Annotated[int, typer.Option(help="Port to listen on")]


def _run_uvicorn(factory: str, host: str, port: int, settings: Settings) -> None:
    import uvicorn

    from memoai.ops.logging import configure_logging
    from memoai.runtime import tune_collector

    configure_logging(str(settings.log_level), settings.log_format)
    importlib.import_module(factory.partition(":")[0])
    tune_collector()
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        log_config=None,
        # The app resolves X-Forwarded-* itself, from FORWARDED_ALLOW_IPS only
        # (memoai.ops.forwarding): the same rule in every server and for in-process calls.
        proxy_headers=False,
        timeout_graceful_shutdown=30,
        # Longer than nginx's upstream keep-alive, so the proxy never reuses a connection the
        # app is closing at that instant (a request lost to a race, not to a fault).
        timeout_keep_alive=75,
    )


def _database_or_exit(settings: Settings) -> None:
    """Stop with one line naming the database and the cause (no traceback) when it cannot
    serve: a folder that cannot be created, a file that takes no writes, a corrupt file."""
    from memoai.ops.storage import start_problem

    problem = start_problem(settings.db_url)
    if problem:
        typer.echo(f"memoai: cannot start: {problem}", err=True)
        raise typer.Exit(1)


@app.command()
def serve(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Serve the API and the web interface in one process (the embedded default)."""
    settings = settings_or_exit()
    _database_or_exit(settings)
    _run_uvicorn("memoai.server:create_combined_app", host, port, settings)


@app.command()
def api(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
    """Serve the JSON API only (the backend container)."""
    settings = settings_or_exit()
    _database_or_exit(settings)
    _run_uvicorn("memoai.app:create_app", host, port, settings)


@app.command()
def web(host: HostOpt = "127.0.0.1", port: PortOpt = 3000) -> None:
    """Serve the web interface only, talking to the API at BACKEND_URL (the frontend container)."""
    settings = settings_or_exit()
    _run_uvicorn("memoai.web.pages:create_web_app", host, port, settings)


@app.command()
def evaluate(
    file: Annotated[str, typer.Argument(help="Memo file, or - for standard input")],
    title: Annotated[str | None, typer.Option(help="Title of the memo")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    fresh: Annotated[bool, typer.Option(help="Do not reuse an identical evaluation")] = False,
) -> None:
    """Evaluate a memo from the terminal."""
    from memoai.cli.evaluate import evaluate_text

    settings = settings_or_exit()
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"Cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    code, output = asyncio.run(evaluate_text(settings, text, title, fresh=fresh, as_json=as_json))
    typer.echo(output)
    raise typer.Exit(code)


def _engine(settings: Settings) -> Any:
    from memoai.db import create_engine

    return create_engine(settings.db_url)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from memoai import migrations

    settings = settings_or_exit()
    _database_or_exit(settings)
    engine = _engine(settings)
    asyncio.run(_with_engine(engine, migrations.upgrade(engine, revision)))
    typer.echo(f"database upgraded to {revision}")


# "-1" is a revision, not an option: Click would otherwise answer "No such option: -1".
@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(revision: Annotated[str, typer.Argument(help="e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION (for rollbacks)."""
    from memoai import migrations

    engine = _engine(settings_or_exit())
    asyncio.run(_with_engine(engine, migrations.downgrade(engine, revision)))
    typer.echo(f"database downgraded to {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision and the newest one available."""
    from memoai import migrations

    engine = _engine(settings_or_exit())
    revision = asyncio.run(_with_engine(engine, migrations.current(engine)))
    typer.echo(json.dumps({"current": revision, "head": migrations.head()}))


async def _with_engine(engine: Any, work: Any) -> Any:
    try:
        return await work
    finally:
        await engine.dispose()


app.command()(maintenance)
app.add_typer(backup_app, name="backup")
app.add_typer(config_app, name="config")
app.add_typer(users_app, name="users")
db_app.command("copy")(db_copy)


def main() -> None:
    app()
