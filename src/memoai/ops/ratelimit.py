"""Rate limits per user (or session) and per client address, per endpoint class (SPEC §8).

A pure ASGI middleware in front of the API, with no database access: a signed-in caller's login
token is verified by its signature alone and counts against `user:<id>`, shared by all their
sessions, tabs and replicas; any other token counts against its sha256. One-minute
sliding-window counters from the `limits` library (constant cost per request whatever the
limit), kept in memory or, when REDIS_URL is set, in Redis so that every replica counts the
same requests.
If Redis cannot be reached, each replica falls back to limits of its own (in memory: with N
replicas a caller may get up to N times the limit), counts every request so counted in
`memoai_rate_limit_fallback_total` (alert MemoAIRateLimitsNotShared), reports it in readiness
and says so in the log; it tries Redis again after a few seconds.

Every limited response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (Unix time, seconds); a refusal is a 429 in the envelope with `Retry-After`.

The classes: evaluations and chat (they spend the model), administration, reads (GET and
HEAD: a generous limit of their own that still stops a scraper) and every other write. One
page view of the web interface counts once: the web layer names each page view in the
`X-MemoAI-Page-View` header of the API calls it makes for it, and the first call counts as
one read while the others of the same view (up to PAGE_VIEW_CALLS a minute) ride on it. The
header is believed only from the web layer: in-process (its transport marks the scope) or
from a proxy in FORWARDED_ALLOW_IPS (the frontend process; nginx clears the header that
browsers send it).
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
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memoai.addresses import AddressList, parse_addresses
from memoai.api import AppError, ErrorCode, error_item, fail
from memoai.auth.tokens import TokenCodec, looks_like_jwt
from memoai.deps import session_token
from memoai.ops import metrics as prom
from memoai.ops.forwarding import PEER_KEY, header_values
from memoai.settings import Settings
from memoai.translations import N_, gettext, ngettext

log = logging.getLogger("memoai.ratelimit")

KEY_PREFIX = "memoai-ratelimit"
REDIS_TIMEOUT_SECONDS = 1.0
# After a storage failure, skip it for a while so requests do not each wait on a dead Redis.
RETRY_STORAGE_AFTER = 5.0
WARN_EVERY = 60.0
# Verifying a JWT costs ~90 µs, looking its answer up ~1 µs: answers are kept this long.
IDENTITY_TTL = 5.0
IDENTITY_CACHE_SIZE = 10_000
RETRY_PATH = re.compile(r"^/api/v1/evaluations/[^/]+/retry/?$")
WHAT = {
    "evaluations": N_("evaluation requests"),
    "chat": N_("chat messages"),
    "admin": N_("administration requests"),
    "reads": N_("page loads and reads"),
    "api": N_("requests"),
}
PAGE_VIEW_HEADER = b"x-memoai-page-view"
PAGE_VIEW_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# API calls one page view may make on its single count (a page load makes about six).
PAGE_VIEW_CALLS = 12
# Set to True by the web layer's in-process transport (memoai.web.asgi) on every call it makes.
WEB_LAYER_KEY = "memoai.web_layer"
SESSION_PATH = "/api/v1/sessions"  # every page view renews the browser's session with a POST


def endpoint_class(method: str, path: str) -> str | None:
    """Which limit a request counts against; None for what is never limited (health, metrics)."""
    if not path.startswith("/api/") or method == "OPTIONS":
        return None
    if (path.rstrip("/") + "/").startswith(("/api/v1/admin/", "/api/v1/users/")):
        return "admin"
    if method == "POST":
        if path.rstrip("/") == "/api/v1/evaluations" or RETRY_PATH.match(path):
            return "evaluations"
        if path.startswith("/api/v1/chat/"):
            return "chat"
    if method in ("GET", "HEAD"):
        return "reads"
    return "api"


def page_view(scope: Scope, klass: str, proxies: AddressList) -> str | None:
    """The page view a read (or the session renewal) belongs to, when the web layer said so."""
    if klass != "reads" and not (klass == "api" and scope.get("path") == SESSION_PATH):
        return None
    named = header_values(scope, PAGE_VIEW_HEADER)
    if not named or not PAGE_VIEW_ID.match(named[-1]):
        return None
    from_web_layer = scope.get(WEB_LAYER_KEY) is True or scope.get(PEER_KEY) in proxies
    return named[-1] if from_web_layer else None


class Identities:
    """Who a request counts against: the signed-in user, else the token presented; and the
    address. A login token is verified with the app's codec (signature and expiry only: a
    revoked session still counts against its user, which is what a limit wants)."""

    def __init__(self, ttl: float = IDENTITY_TTL, size: int = IDENTITY_CACHE_SIZE) -> None:
        self.ttl = ttl
        self.size = size
        self._known: dict[str, tuple[float, str]] = {}  # token hash -> (valid until, key)

    def __call__(self, scope: Scope) -> list[str]:
        keys = []
        token, _ = session_token(Request(scope))
        if token:
            keys.append(self.token_key(token, _codec(scope)))
        keys.append(f"address:{client_address(scope)}")
        return keys

    def token_key(self, token: str, codec: TokenCodec | None) -> str:
        """`user:<id>` for a login token that verifies, else `session:<sha256 of the token>`."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        fallback = "session:" + digest
        if codec is None or not looks_like_jwt(token):
            return fallback
        now = time.monotonic()
        known = self._known.get(digest)
        if known and known[0] > now:
            return known[1]
        try:
            key = f"user:{codec.verify(token).user_id}"
        except AppError:  # forged, expired or signed with a retired key
            key = fallback
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[digest] = (now + self.ttl, key)
        return key


def _codec(scope: Scope) -> TokenCodec | None:
    """The codec the app verifies login tokens with (set up when the app starts)."""
    app = scope.get("app")
    auth = getattr(getattr(app, "state", None), "auth", None)
    codec = getattr(auth, "codec", None)
    return codec if isinstance(codec, TokenCodec) else None


def client_address(scope: Scope) -> str:
    """The client's address, as RequestContextMiddleware resolved it: X-Forwarded-For counts
    only from the proxies in FORWARDED_ALLOW_IPS (ops/forwarding.py), and the in-process web
    layer's transport sets the browser's address itself (web/asgi.py)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


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
            "reads": RateLimitItemPerMinute(settings.rate_limit_reads_per_minute),
            "api": RateLimitItemPerMinute(settings.rate_limit_per_minute),
        }
        self.view_item = RateLimitItemPerMinute(PAGE_VIEW_CALLS)
        self.proxies = parse_addresses(settings.forwarded_allow_ips)
        self.strategy = SlidingWindowCounterRateLimiter(storage or make_storage(settings))
        # This process's own counters, used while the shared storage is unreachable.
        self.local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._skip_until = 0.0
        self._warned_at = -math.inf

    @property
    def shared(self) -> bool:
        """False while limits are counted per process because the shared storage failed."""
        return time.monotonic() >= self._skip_until

    async def check(self, klass: str, keys: list[str], view: str | None = None) -> Decision:
        """Count the request (in this process's memory while the shared storage is down);
        a call of a page view already counted is not counted again."""
        if self.shared:
            try:
                return await self._check(self.strategy, klass, keys, view)
            except Exception as exc:
                self._fall_back(exc)
        prom.RATE_LIMIT_FALLBACK.inc()
        return await self._check(self.local, klass, keys, view)

    async def _check(
        self,
        strategy: SlidingWindowCounterRateLimiter,
        klass: str,
        keys: list[str],
        view: str | None,
    ) -> Decision:
        if view is None:
            return await self._hit_all(strategy, self.items[klass], klass, keys)
        reads = self.items["reads"]
        # Keyed by the address too: the first call of a view may come before its session.
        where = (keys[-1], view)
        seen = await strategy.get_window_stats(self.view_item, "view", *where)
        if seen.remaining < self.view_item.amount and await strategy.hit(
            self.view_item, "view", *where
        ):
            stats = await strategy.get_window_stats(reads, "reads", keys[0])
            return Decision(True, reads.amount, max(0, stats.remaining), stats.reset_time)
        decision = await self._hit_all(strategy, reads, "reads", keys)
        if decision.allowed:  # only an allowed first call lets the rest of the view ride on it
            await strategy.hit(self.view_item, "view", *where)
        return decision

    async def _hit_all(
        self,
        strategy: SlidingWindowCounterRateLimiter,
        item: RateLimitItem,
        klass: str,
        keys: list[str],
    ) -> Decision:
        """Every identity must have room; the headers describe the tightest one."""
        tightest: Decision | None = None
        for key in keys:
            allowed = await strategy.hit(item, klass, key)
            stats = await strategy.get_window_stats(item, klass, key)
            decision = Decision(allowed, item.amount, max(0, stats.remaining), stats.reset_time)
            if not allowed:
                return decision
            if tightest is None or decision.remaining < tightest.remaining:
                tightest = decision
        assert tightest is not None
        return tightest

    def _fall_back(self, exc: Exception) -> None:
        now = time.monotonic()
        self._skip_until = now + RETRY_STORAGE_AFTER
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning(
                "rate limits are counted per process: their shared storage is unreachable",
                extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
            )


class RateLimitMiddleware:
    """Refuses over-limit API requests with 429 and adds the X-RateLimit-* headers."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter
        self.identities = Identities()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        klass = endpoint_class(scope.get("method", ""), scope.get("path", ""))
        if scope["type"] != "http" or klass is None:
            await self.app(scope, receive, send)
            return
        view = page_view(scope, klass, self.limiter.proxies)
        decision = await self.limiter.check(klass, self.identities(scope), view)
        if not decision.allowed:
            counted = "reads" if view else klass
            prom.RATE_LIMITED.labels(counted).inc()
            await _refusal(counted, decision)(scope, receive, send)
        else:
            await self.app(scope, receive, _with_headers(send, decision.headers()))


def _refusal(klass: str, decision: Decision) -> JSONResponse:
    wait = decision.retry_after()
    message = ngettext(
        "Too many %(what)s: the limit is %(limit)s a minute. Try again in %(num)s second.",
        "Too many %(what)s: the limit is %(limit)s a minute. Try again in %(num)s seconds.",
        wait,
    ) % {"what": gettext(WHAT[klass]), "limit": decision.limit, "num": wait}
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
        app.state.rate_limiter = RateLimiter(settings)  # readiness reports whether it is shared
        app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter)
