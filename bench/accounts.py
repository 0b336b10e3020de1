"""Accounts for the login-mode benchmarks, created on the benchmark's database before the server
starts (through the same service as `memoai users create`, much faster than one CLI per user)."""

from __future__ import annotations

import asyncio

from memoai import migrations
from memoai.auth import service
from memoai.auth.audit import CLI
from memoai.configs.schemas import AuthSecurity
from memoai.db import Database

PASSWORD = "benchmark passphrase 1234"
JWT_SECRET = "benchmark-signing-key-" + "b" * 32


def login_env(rounds: int) -> dict[str, str]:
    """The server settings of login mode (rate limits off: every client is 127.0.0.1)."""
    return {
        "AUTH_ENABLED": "true",
        "JWT_SECRET_KEY": JWT_SECRET,
        "BCRYPT_ROUNDS": str(rounds),
        "RATE_LIMIT_ENABLED": "false",
    }


def seed_users(database_url: str, count: int, rounds: int) -> list[str]:
    """`count` users named user0.. with PASSWORD hashed at `rounds`; returns their names."""
    names = [f"user{i}" for i in range(count)]

    async def main() -> None:
        db = Database(database_url)
        try:
            await migrations.upgrade(db.engine)
            async with db.sessions() as session:
                for name in names:
                    await service.create_user(
                        session, name, PASSWORD, policy=AuthSecurity(), rounds=rounds, origin=CLI
                    )
        finally:
            await db.dispose()

    asyncio.run(main())
    return names
