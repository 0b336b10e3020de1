"""Brute-force protection: lock a name after repeated failures, limit spraying addresses.

A name (known or not, so a lock reveals nothing about which accounts exist) is locked for
`lockout_duration` after `max_login_attempts` failures within that time; an address that
fails against `max_accounts_per_address` different names in that time is refused for as
long. Counters live in Redis when REDIS_URL is set, so every replica counts the same
attempts; otherwise in this process. If Redis cannot be reached, this process's counters
take over (and the log says so) rather than letting every attempt through.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Protocol

from redis.asyncio import Redis

from memoai import translations
from memoai.api import AppError, ErrorCode
from memoai.configs.schemas import AuthSecurity

log = logging.getLogger("memoai.auth")

PREFIX = "memoai-login"
REDIS_TIMEOUT_SECONDS = 1.0
WARN_EVERY = 60.0


class Counters(Protocol):
    async def remaining(self, key: str) -> int: ...
    async def incr(self, key: str, window: int) -> int: ...
    async def add(self, key: str, member: str, window: int) -> int: ...
    async def lock(self, key: str, seconds: int) -> None: ...
    async def delete(self, key: str) -> None: ...


class MemoryCounters:
    """Per-process counters with expiry (what runs without Redis)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, int | set[str]]] = {}

    def _get(self, key: str) -> int | set[str] | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._values[key]
            return None
        return entry[1]

    async def remaining(self, key: str) -> int:
        if self._get(key) is None:
            return 0
        return max(1, math.ceil(self._values[key][0] - time.monotonic()))

    async def incr(self, key: str, window: int) -> int:
        value = self._get(key)
        count = (value if isinstance(value, int) else 0) + 1
        expires = self._values[key][0] if value is not None else time.monotonic() + window
        self._values[key] = (expires, count)
        return count

    async def add(self, key: str, member: str, window: int) -> int:
        value = self._get(key)
        members = value if isinstance(value, set) else set()
        members.add(member)
        if value is None:
            self._values[key] = (time.monotonic() + window, members)
        return len(members)

    async def lock(self, key: str, seconds: int) -> None:
        self._values[key] = (time.monotonic() + seconds, 1)

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)


class RedisCounters:
    """The same counters in Redis, shared by every replica."""

    def __init__(self, url: str) -> None:
        self.redis = Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )

    async def remaining(self, key: str) -> int:
        ttl = int(await self.redis.ttl(key))
        return ttl if ttl > 0 else 0

    async def incr(self, key: str, window: int) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def add(self, key: str, member: str, window: int) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, member)
            pipe.expire(key, window, nx=True)
            pipe.scard(key)
            _, _, size = await pipe.execute()
        return int(size)

    async def lock(self, key: str, seconds: int) -> None:
        await self.redis.set(key, 1, ex=seconds)

    async def delete(self, key: str) -> None:
        await self.redis.delete(key)

    async def close(self) -> None:
        await self.redis.aclose()


class LoginGuard:
    """Checks before a password is looked at, and counts what happened after."""

    def __init__(self, redis_url: str | None = None) -> None:
        self.memory = MemoryCounters()
        self.shared = RedisCounters(redis_url) if redis_url else None
        self._warned_at = -math.inf

    async def check(self, username: str, address: str) -> None:
        """Raise 429 for a spraying address, 423 for a locked name (even before a password)."""
        wait = await self._call("remaining", _key("address-lock", address))
        if wait:
            raise too_many_failures(wait)
        wait = await self._call("remaining", _key("lock", _name(username)))
        if wait:
            raise account_locked(wait)

    async def failed(self, username: str, address: str, policy: AuthSecurity) -> int:
        """Count a failure; returns the lock's seconds when this failure locked the name."""
        name, window = _name(username), policy.lockout_duration
        names = await self._call("add", _key("address", address), name, window)
        if names >= policy.max_accounts_per_address:
            await self._call("lock", _key("address-lock", address), window)
        failures = await self._call("incr", _key("failures", name), window)
        if failures < policy.max_login_attempts:
            return 0
        await self._call("lock", _key("lock", name), window)
        await self._call("delete", _key("failures", name))
        return window

    async def succeeded(self, username: str) -> None:
        """A correct password clears the name's failures."""
        await self._call("delete", _key("failures", _name(username)))

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()

    async def _call(self, method: str, *args: object) -> int:
        if self.shared is not None:
            try:
                return int(await getattr(self.shared, method)(*args) or 0)
            except Exception as exc:  # Redis down: this process's counters still protect
                self._warn(exc)
        return int(await getattr(self.memory, method)(*args) or 0)

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning(
                "login lockout counters are per process: Redis is unreachable",
                extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
            )


def account_locked(seconds: int) -> AppError:
    minutes = max(1, math.ceil(seconds / 60))
    return AppError(
        423,
        ErrorCode.ACCOUNT_LOCKED,
        translations.ngettext(
            "Too many failed sign-ins. This account is locked; try again in %(num)s minute.",
            "Too many failed sign-ins. This account is locked; try again in %(num)s minutes.",
            minutes,
        )
        % {"num": minutes},
        details={"retry_after_seconds": seconds},
        headers={"Retry-After": str(seconds)},
    )


def too_many_failures(seconds: int) -> AppError:
    minutes = max(1, math.ceil(seconds / 60))
    return AppError(
        429,
        ErrorCode.RATE_LIMITED,
        translations.ngettext(
            "Too many failed sign-ins from your network. Try again in %(num)s minute.",
            "Too many failed sign-ins from your network. Try again in %(num)s minutes.",
            minutes,
        )
        % {"num": minutes},
        details={"retry_after_seconds": seconds},
        headers={"Retry-After": str(seconds)},
    )


def _name(username: str) -> str:
    """Names are counted case-insensitively and by digest (any length, any characters)."""
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]


def _key(kind: str, value: str) -> str:
    return f"{PREFIX}:{kind}:{value}"
