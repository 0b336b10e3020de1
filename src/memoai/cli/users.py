"""`memoai users …`: accounts from the command line, on the same services as the API."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from memoai import migrations
from memoai.api import AppError
from memoai.auth import service
from memoai.auth.audit import CLI
from memoai.auth.mode import config_env
from memoai.auth.models import Role, User
from memoai.cli.common import settings_or_exit
from memoai.configs.loader import ConfigError, load_active_config
from memoai.configs.schemas import AuthSecurity
from memoai.db import Database
from memoai.settings import Settings

users_app = typer.Typer(help="User accounts: create, list, passwords, roles.", no_args_is_help=True)
T = TypeVar("T")

NameArg = Annotated[str, typer.Argument(help="The username (compared case-insensitively)")]
PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the password from this file (first line); without it, ask in the terminal",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


def _interactive() -> bool:
    return sys.stdin.isatty()


def read_password(password_file: Path | None) -> str:
    """From the file, or asked twice with hidden input; refused without a terminal."""
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    if not _interactive():
        typer.echo("No terminal to ask for the password: pass --password-file FILE.", err=True)
        raise typer.Exit(2)
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _policy(settings: Settings) -> AuthSecurity:
    try:
        config = load_active_config(settings.config_dir, config_env(settings))
    except ConfigError as exc:
        typer.echo(f"The configuration is invalid: {exc}", err=True)
        raise typer.Exit(2) from None
    return config.auth.authentication.security


def _run(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Run one unit of work on the database; an AppError ends the command with its message."""
    settings = settings_or_exit()

    async def main() -> T:
        db = Database(settings.db_url)
        try:
            if settings.run_migrations_on_start:
                await migrations.upgrade(db.engine)
            async with db.sessions() as session:
                return await work(session, settings)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except AppError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None


@users_app.command()
def create(
    name: NameArg,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator")] = False,
    display_name: Annotated[str | None, typer.Option(help="The name shown in the app")] = None,
    password_file: PasswordFileOpt = None,
    must_change_password: Annotated[
        bool, typer.Option(help="Ask the user to choose a new password at first sign-in")
    ] = False,
) -> None:
    """Create a user (asks for the password twice unless --password-file is given)."""
    password = read_password(password_file)

    async def work(db: AsyncSession, settings: Settings) -> str:
        user = await service.create_user(
            db,
            name,
            password,
            policy=_policy(settings),
            rounds=settings.bcrypt_rounds,
            origin=CLI,
            display_name=display_name,
            role=Role.ADMIN if admin else Role.USER,
            must_change_password=must_change_password,
        )
        return f"Created {user.role} {user.username!r} ({user.id})."

    typer.echo(_run(work))


@users_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Every user with role, state and last sign-in."""

    async def work(db: AsyncSession, settings: Settings) -> list[dict[str, str | bool | None]]:
        return [
            {
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "active": u.is_active,
                "must_change_password": u.must_change_password,
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in await service.list_users(db)
        ]

    rows = _run(work)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "active" if row["active"] else "deactivated"
        typer.echo(
            f"{row['username']:<24} {row['role']:<6} {state:<12} "
            f"last sign-in: {row['last_login_at'] or 'never'}"
        )
    if not rows:
        typer.echo("No users yet. Create one with: memoai users create NAME --admin")


@users_app.command("set-password")
def set_password(
    name: NameArg,
    password_file: PasswordFileOpt = None,
    must_change_password: Annotated[
        bool, typer.Option(help="Ask the user to choose a new one at next sign-in")
    ] = False,
) -> None:
    """Set a user's password (ends all of the user's sessions)."""
    password = read_password(password_file)

    async def work(db: AsyncSession, settings: Settings) -> str:
        user = await service.user_by_name(db, name)
        ended = await service.set_password(
            db,
            user,
            password,
            policy=_policy(settings),
            rounds=settings.bcrypt_rounds,
            origin=CLI,
            must_change=must_change_password,
        )
        return f"Password of {user.username!r} changed; {ended} session(s) ended."

    typer.echo(_run(work))


def _change(name: str, change: Callable[[AsyncSession, User], Awaitable[None]], done: str) -> None:
    async def work(db: AsyncSession, settings: Settings) -> str:
        user = await service.user_by_name(db, name)
        await change(db, user)
        return f"{user.username!r} {done}."

    typer.echo(_run(work))


@users_app.command()
def deactivate(name: NameArg) -> None:
    """Deactivate a user: sign-in refused, sessions ended; their work stays stored."""
    _change(name, lambda db, u: service.set_active(db, u, False, origin=CLI), "deactivated")


@users_app.command()
def activate(name: NameArg) -> None:
    """Allow a deactivated user to sign in again."""
    _change(name, lambda db, u: service.set_active(db, u, True, origin=CLI), "activated")


@users_app.command("grant-admin")
def grant_admin(name: NameArg) -> None:
    """Make a user an administrator."""
    _change(name, lambda db, u: service.set_role(db, u, Role.ADMIN, origin=CLI), "is an admin")


@users_app.command("revoke-admin")
def revoke_admin(name: NameArg) -> None:
    """Make an administrator a plain user (never the last active one)."""
    _change(name, lambda db, u: service.set_role(db, u, Role.USER, origin=CLI), "is a user")
