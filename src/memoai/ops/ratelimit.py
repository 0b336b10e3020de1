"""Rate limits per session and per client address, per endpoint class (SPEC §8).

A pure ASGI middleware in front of the API: no database access (the session key is the sha256
of the token the client presents), one-minute sliding-window counters from the `limits` library
(constant cost per request whatever the limit), kept in memory or, when REDIS_URL is set, in
Redis so that every replica counts the same requests.
If Redis cannot be reached the product keeps working without limits and says so in the log.

Every limited response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (Unix time, seconds); a refusal is a 429 in the envelope with `Retry-After`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memoai.api import ErrorCode, error_item, fail
from memoai.deps import session_token
from memoai.ops import metrics as prom
from memoai.settings import Settings

log = logging.getLogger("memoai.ratelimit")

KEY_PREFIX = "memoai-ratelimit"
REDIS_TIMEOUT_SECONDS = 1.0
# After a storage failure, skip it for a while so requests do not each wait on a dead Redis.
RETRY_STORAGE_AFTER = 5.0
WARN_EVERY = 60.0
LOOPBACK = frozenset({"127.0.0.1", "::1"})
RETRY_PATH = re.compile(r"^/api/v1/evaluations/[^/]+/retry/?$")
WHAT = {
    "evaluations": "evaluation requests",
    "chat": "chat messages",
    "admin": "administration requests",
    "api": "requests",
}


def endpoint_class(method: str, path: str) -> str | None:
    """Which limit a request counts against; None for what is never limited (health, metrics)."""
    if not path.startswith("/api/") or method == "OPTIONS":
        return None
    if path.startswith("/api/v1/admin/"):
        return "admin"
    if method == "POST":
        if path.rstrip("/") == "/api/v1/evaluations" or RETRY_PATH.match(path):
            return "evaluations"
        if path.startswith("/api/v1/chat/"):
            return "chat"
    return "api"


def identities(scope: Scope) -> list[str]:
    """The caller's session (hashed token, no database lookup) and network address."""
    keys = []
    token, _ = session_token(Request(scope))
    if token:
        keys.append("session:" + hashlib.sha256(token.encode()).hexdigest())
    keys.append(f"address:{client_address(scope)}")
    return keys


def client_address(scope: Scope) -> str:
    """The client's address; behind a local proxy or the in-process web layer, the one it names.

    uvicorn (proxy_headers) already resolves X-Forwarded-For from trusted proxies; a loopback
    peer that still forwards an address is the web interface calling the API in-process.
    """
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if peer in LOOPBACK:
        forwarded = Headers(scope=scope).get("x-forwarded-for", "")
        named = forwarded.rsplit(",", 1)[-1].strip()
        if named:
            return named
    return str(peer)


@dataclass(frozen=True)
class Decision:
    """The outcome for one request, with what the headers tell the client."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float

    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after())
        return headers


def make_storage(settings: Settings) -> Storage:
    """Redis when configured (shared by replicas), otherwise this process's memory."""
    if not settings.redis_url:
        return MemoryStorage()
    storage = storage_from_string(
        "async+" + settings.redis_url,
        implementation="redispy",
        key_prefix=KEY_PREFIX,
        wrap_exceptions=True,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    assert isinstance(storage, Storage)
    return storage


class RateLimiter:
    """The per-minute limit of each endpoint class, checked for every identity of a caller."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.items: dict[str, RateLimitItem] = {
            "evaluations": RateLimitItemPerMinute(settings.rate_limit_evaluations_per_minute),
            "chat": RateLimitItemPerMinute(settings.rate_limit_chat_per_minute),
            "admin": RateLimitItemPerMinute(settings.rate_limit_admin_per_minute),
            "api": RateLimitItemPerMinute(settings.rate_limit_per_minute),
        }
        self.strategy = SlidingWindowCounterRateLimiter(storage or make_storage(settings))
        self._skip_until = 0.0
        self._warned_at = -math.inf

    async def check(self, klass: str, keys: list[str]) -> Decision | None:
        """Count the request; None when limits cannot be enforced right now (fail open)."""
        if time.monotonic() < self._skip_until:
            return None
        try:
            return await self._hit_all(self.items[klass], klass, keys)
        except Exception as exc:
            self._fail_open(exc)
            return None

    async def _hit_all(self, item: RateLimitItem, klass: str, keys: list[str]) -> Decision:
        """Every identity must have room; the headers describe the tightest one."""
        tightest: Decision | None = None
        for key in keys:
            allowed = await self.strategy.hit(item, klass, key)
            stats = await self.strategy.get_window_stats(item, klass, key)
            decision = Decision(allowed, item.amount, max(0, stats.remaining), stats.reset_time)
            if not allowed:
                return decision
            if tightest is None or decision.remaining < tightest.remaining:
                tightest = decision
        assert tightest is not None
        return tightest

    def _fail_open(self, exc: Exception) -> None:
        now = time.monotonic()
        self._skip_until = now + RETRY_STORAGE_AFTER
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning(
                "rate limits are not enforced: their storage is unreachable",
                extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
            )


class RateLimitMiddleware:
    """Refuses over-limit API requests with 429 and adds the X-RateLimit-* headers."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        klass = endpoint_class(scope.get("method", ""), scope.get("path", ""))
        if scope["type"] != "http" or klass is None:
            await self.app(scope, receive, send)
            return
        decision = await self.limiter.check(klass, identities(scope))
        if decision is None:
            await self.app(scope, receive, send)
        elif not decision.allowed:
            prom.RATE_LIMITED.labels(klass).inc()
            await _refusal(klass, decision)(scope, receive, send)
        else:
            await self.app(scope, receive, _with_headers(send, decision.headers()))


def _refusal(klass: str, decision: Decision) -> JSONResponse:
    wait = decision.retry_after()
    message = (
        f"Too many {WHAT[klass]}: the limit is {decision.limit} a minute. "
        f"Try again in {wait} second{'s' if wait != 1 else ''}."
    )
    details = {"scope": klass, "limit": decision.limit, "retry_after": wait}
    return fail(
        429, [error_item(ErrorCode.RATE_LIMITED, message, details=details)], decision.headers()
    )


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return wrapped


def install_rate_limits(app: FastAPI, settings: Settings) -> None:
    """Put the limits in front of the API (RATE_LIMIT_ENABLED=false leaves them out)."""
    if getattr(settings, "rate_limit_enabled", True):
        app.add_middleware(RateLimitMiddleware, limiter=RateLimiter(settings))
