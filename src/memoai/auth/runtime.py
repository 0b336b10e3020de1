"""What the auth domain keeps per process: the token codec and the lockout guard."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from memoai.auth import passwords, service
from memoai.auth.lockout import LoginGuard
from memoai.auth.mode import mode_warning
from memoai.auth.tokens import TokenCodec
from memoai.configs.loader import ConfigRegistry
from memoai.db import Database
from memoai.settings import Settings

log = logging.getLogger("memoai.auth")


@dataclass
class AuthRuntime:
    codec: TokenCodec
    guard: LoginGuard


async def start_auth(settings: Settings, db: Database, configs: ConfigRegistry) -> AuthRuntime:
    """Build the codec and guard, warm the dummy hash, create the first admin if asked."""
    runtime = AuthRuntime(TokenCodec.from_settings(settings), LoginGuard(settings.redis_url))
    # The first unknown-user login must not pay for making the dummy hash.
    await asyncio.to_thread(passwords.dummy_hash, settings.bcrypt_rounds)
    policy = configs.current().auth.authentication.security
    async with db.sessions() as session:
        await service.ensure_initial_admin(session, settings, policy)
    warning = mode_warning(settings, configs.current())
    if warning:
        log.critical(warning)
    return runtime


async def stop_auth(runtime: AuthRuntime) -> None:
    await runtime.guard.close()
