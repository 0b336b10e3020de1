"""PostgreSQL's own tools (pg_dump, pg_restore) and scratch databases, for backups and checks.

The password never goes on a command line (other users could read it in `ps`): the tools get
a libpq URL without it and PGPASSWORD in their environment.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from memoai.db import create_engine

# asyncpg spells some connection options differently from libpq.
LIBPQ_QUERY_NAMES = {"ssl": "sslmode"}


class PgToolError(Exception):
    """A PostgreSQL tool failed; the message carries its (password-free) error output."""


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it."""
    parsed = make_url(url)
    query = {LIBPQ_QUERY_NAMES.get(k, k): v for k, v in parsed.query.items()}
    plain = parsed.set(drivername="postgresql", password=None, query=query)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return plain.render_as_string(hide_password=False), env


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at another database."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def run_tool(*args: str, env: dict[str, str]) -> None:
    """Run a client tool; its stderr becomes the error message when it fails."""
    try:
        process = await asyncio.create_subprocess_exec(
            *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError:
        raise PgToolError(f"{args[0]} is not installed (install the PostgreSQL client)") from None
    _, stderr = await process.communicate()
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip()
        password = env.get("PGPASSWORD")
        if password:
            message = message.replace(password, "***")
        raise PgToolError(f"{args[0]} failed: {message}")


async def dump(url: str, target: Path, snapshot: str | None = None) -> None:
    """pg_dump in the custom format (compressed, restorable table by table)."""
    dsn, env = libpq_target(url)
    args = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    await run_tool(*args, dsn, env=env)


async def restore(url: str, source: Path, *, clean: bool) -> None:
    """pg_restore in one transaction, so a failure leaves the database as it was."""
    dsn, env = libpq_target(url)
    args = [
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ]
    if clean:
        args += ["--clean", "--if-exists"]
    await run_tool(*args, f"--dbname={dsn}", str(source), env=env)


async def admin_execute(url: str, sql: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def create_database(url: str, prefix: str = "memoai_scratch") -> str:
    """A new, empty database on the server of `url`; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await admin_execute(url, f'CREATE DATABASE "{name}"')
    return with_database(url, name)


async def drop_database(url: str, database_url: str) -> None:
    """Drop the database `database_url` names, connected through `url` (another database)."""
    name = make_url(database_url).database
    await admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def scratch_database(url: str, prefix: str = "memoai_scratch") -> AsyncIterator[str]:
    """A new, empty database on the same server, dropped afterwards whatever happens."""
    scratch = await create_database(url, prefix)
    try:
        yield scratch
    finally:
        await drop_database(url, scratch)
