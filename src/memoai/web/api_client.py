"""The web layer's only way to the data: the backend's JSON API over HTTP.

One pooled httpx client per web app, over the network to `BACKEND_URL` or in-process to the
API app; each browser request gets a `Backend` that carries that browser's cookies and CSRF
header to the API and collects the cookies the API sets, to relay them to the browser.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.cookiejar import Cookie, CookieJar
from http.cookies import CookieError, SimpleCookie
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from memoai.api import request_id_var
from memoai.ops.ratelimit import PAGE_VIEW_ID
from memoai.web.asgi import ORIGIN
from memoai.web.i18n import LANGUAGE_COOKIE, chosen

SESSION_COOKIE = "memoai_session"
CSRF_COOKIE = "memoai_csrf"
CSRF_HEADER = "x-csrf-token"
PAGE_VIEW_HEADER = "x-memoai-page-view"
FORWARDED_COOKIES = (SESSION_COOKIE, CSRF_COOKIE)
SESSION_ERRORS = frozenset({"UNAUTHORIZED", "SESSION_EXPIRED", "CSRF_FAILED"})
# 401s that mean "sign in": always in login mode; for a signed-in browser, a lost session too.
SIGN_IN_CODES = frozenset({"LOGIN_REQUIRED"})
SIGNED_IN_LOST_CODES = frozenset({"UNAUTHORIZED", "SESSION_EXPIRED"})
PUBLIC_CACHE_SECONDS = 5.0
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# A stream stays open for the whole evaluation; the API sends a keep-alive every 15 s.
STREAM_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class BackendUnavailable(Exception):
    """The API could not be reached or answered garbage; the page says so kindly."""


class RateLimited(Exception):
    """A read the API refused for its rate limit: the page says so and when to try again,
    rather than showing the data as missing."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    @classmethod
    def of(cls, result: ApiResult) -> RateLimited:
        error = result.errors[0] if result.errors else {}
        found = error.get("details")
        details: dict[str, Any] = found if isinstance(found, dict) else {}
        wait = details.get("retry_after") or details.get("retry_after_seconds")
        seconds = int(wait) if isinstance(wait, int | float) and wait > 0 else 60
        message = str(error.get("message") or "Too many requests. Try again in a minute.")
        return cls(message, seconds)


class SignInRequired(Exception):
    """The API wants a signed-in user here; the browser is sent to the login page."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def holds_login(token: str | None) -> bool:
    """Whether a session cookie is a login token (a JWT: three dotted parts) rather than an
    anonymous session's opaque token (URL-safe base64, never a dot)."""
    return bool(token) and token.count(".") == 2  # type: ignore[union-attr]


class _NoCookies(CookieJar):
    """The shared client must never remember one browser's cookies for another."""

    def set_cookie(self, cookie: Cookie) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


@dataclass
class ApiResult:
    """One API answer, unwrapped from the envelope."""

    status: int
    data: Any = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    # The body as it came, for a caller that validates a large answer from bytes in one pass.
    content: bytes = field(default=b"", repr=False)
    etag: str = ""  # the API's ETag, sent back in If-None-Match for a 304

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str | None:
        return str(self.errors[0].get("code")) if self.errors else None

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiResult:
        if response.status_code == 304:  # not modified: the caller holds the data already
            return cls(304)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise BackendUnavailable(f"the API answered {response.status_code} without JSON")
        errors = list(body.get("errors") or [])
        etag = response.headers.get("etag", "")
        return cls(response.status_code, body.get("data"), errors, response.content, etag)


class ApiClient:
    """The pooled connection to the API, shared by every request of the web app."""

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None):
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=TIMEOUT,
            follow_redirects=False,
        )
        # Set after construction: httpx copies a jar passed to the constructor into a plain one,
        # which would then remember the first browser's session for every later browser.
        self.http.cookies.jar = _NoCookies()
        self._cache: dict[str, tuple[float, ApiResult]] = {}
        # Paths found to need a signed-in caller (login mode), rechecked after the cache window.
        self._private: dict[str, float] = {}

    def for_request(self, request: Request) -> Backend:
        return Backend(self, request)

    async def public_get(self, path: str, headers: dict[str, str], **kw: Any) -> ApiResult:
        """GETs that are the same for everyone (configuration), cached for a few seconds.

        Only answers given without credentials are cached: in login mode the rubric and
        frameworks need a signed-in caller (`is_private`), and each caller fetches them.
        """
        now = time.monotonic()
        hit = self._cache.get(path)
        if hit and now - hit[0] < PUBLIC_CACHE_SECONDS:
            return hit[1]
        response = await self.send("GET", path, headers, **kw)
        result = ApiResult.from_response(response)
        if result.ok:
            self._cache[path] = (now, result)
            self._private.pop(path, None)
        elif result.status == 401:
            self._private[path] = now
        return result

    def is_private(self, path: str) -> bool:
        seen = self._private.get(path)
        return seen is not None and time.monotonic() - seen < PUBLIC_CACHE_SECONDS

    async def send(
        self, method: str, path: str, headers: dict[str, str], **kw: Any
    ) -> httpx.Response:
        try:
            return await self.http.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc

    async def aclose(self) -> None:
        await self.http.aclose()


class Backend:
    """The API as seen by one browser request: its cookies go out, new cookies come back."""

    def __init__(self, client: ApiClient, request: Request) -> None:
        self.client = client
        self.cookies = {k: v for k, v in request.cookies.items() if k in FORWARDED_COOKIES}
        self.csrf = request.headers.get(CSRF_HEADER)
        self.signed_in = holds_login(self.cookies.get(SESSION_COOKIE))
        self.set_cookies: list[str] = []
        self.page_view = _page_view(request)
        self._base_headers = _forwarded_headers(request) | {PAGE_VIEW_HEADER: self.page_view}
        self._origin = {ORIGIN: _origin(request)}

    def headers(self) -> dict[str, str]:
        headers = dict(self._base_headers)
        headers["x-request-id"] = request_id_var.get()
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf:
            headers[CSRF_HEADER] = self.csrf
        return headers

    async def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResult:
        return await self.call("GET", path, params=params, headers=headers)

    async def public_get(self, path: str) -> ApiResult:
        """Configuration, the same for everyone: no cookies go with it, only who is asking
        (in login mode, where it is not public, this browser's credentials go with it)."""
        if not self.client.is_private(path):
            result = await self.client.public_get(path, self._base_headers, extensions=self._origin)
            if result.status == 429:
                raise RateLimited.of(result)
            if result.status != 401:
                return result
        return await self.get(path)

    async def post(self, path: str, json: Any = None) -> ApiResult:
        return await self.call("POST", path, json=json)

    async def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> ApiResult:
        sent = self.headers() | headers if headers else self.headers()
        response = await self.client.send(method, path, sent, extensions=self._origin, **kw)
        self._absorb(response)
        result = ApiResult.from_response(response)
        if result.status == 429 and method == "GET":
            raise RateLimited.of(result)
        return self.check(result)

    def check(self, result: ApiResult) -> ApiResult:
        """Raise SignInRequired when the API says this browser must (again) sign in."""
        if result.status == 401 and (
            result.code in SIGN_IN_CODES or (self.signed_in and result.code in SIGNED_IN_LOST_CODES)
        ):
            raise SignInRequired(str(result.code))
        return result

    def forget_login(self) -> None:
        """Send no cookies from here on (signing in starts afresh)."""
        self.cookies.clear()
        self.csrf = None
        self.signed_in = False

    @asynccontextmanager
    async def stream(self, method: str, path: str, json: Any) -> AsyncIterator[httpx.Response]:
        """An open streaming response (server-sent events), closed when the block ends."""
        request = self.client.http.build_request(
            method,
            path,
            json=json,
            headers=self.headers(),
            timeout=STREAM_TIMEOUT,
            extensions=self._origin,
        )
        try:
            response = await self.client.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc
        try:
            self._absorb(response)
            yield response
        finally:
            await response.aclose()

    async def start_session(self) -> ApiResult:
        """Start (or refresh) the browser's anonymous session; its cookies come back to us.

        A signed-in browser keeps its login: the check that it still holds renews it."""
        if self.signed_in:
            return await self.get("/api/v1/auth/verify")
        result = await self.post("/api/v1/sessions")
        if result.ok and isinstance(result.data, dict) and result.data.get("csrf_token"):
            self.csrf = str(result.data["csrf_token"])
        return result

    async def get_with_session(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResult:
        """A GET that needs a session: one is started first when the browser has none or
        its session expired. `headers` are added (If-None-Match: a 304 has no data)."""
        if SESSION_COOKIE not in self.cookies:
            await self.start_session()
        result = await self.get(path, params, headers)
        if result.code in SESSION_ERRORS:
            self.cookies.pop(SESSION_COOKIE, None)
            await self.start_session()
            result = await self.get(path, params, headers)
        return result

    def relay(self, response: Response) -> Response:
        """Copy the cookies the API set onto the browser's response."""
        for header in self.set_cookies:
            response.headers.append("set-cookie", header)
        return response

    def _absorb(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            self.set_cookies.append(header)
            try:
                parsed = SimpleCookie(header)
            except CookieError:
                continue
            for name, morsel in parsed.items():
                if name not in FORWARDED_COOKIES:
                    continue
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:  # the API cleared it (logout)
                    self.cookies.pop(name, None)
        self.signed_in = holds_login(self.cookies.get(SESSION_COOKIE))


def _forwarded_headers(request: Request) -> dict[str, str]:
    """Who the browser is, for the API's session records, rate limits and logs.

    Over the network the web layer is a proxy in front of the API: the API believes these
    X-Forwarded-* headers only when the web layer's address is in its FORWARDED_ALLOW_IPS.
    """
    # Our own middleware already resolved the browser's address and scheme (trusted proxies).
    headers = {"accept": "application/json", "x-forwarded-proto": request.url.scheme}
    if request.client and request.client.host:
        headers["x-forwarded-for"] = request.client.host
    if "user-agent" in request.headers:
        headers["user-agent"] = request.headers["user-agent"]
    # The API answers in the language the pages are in: the switch's choice, else the browser's.
    language = chosen(request.cookies.get(LANGUAGE_COOKIE)) or request.headers.get(
        "accept-language"
    )
    if language:
        headers["accept-language"] = language
    return headers


def _page_view(request: Request) -> str:
    """The page view this request belongs to: the one the page's script names (fragments it
    loads), else a new one (a page load). The API counts each page view once."""
    named = request.headers.get(PAGE_VIEW_HEADER, "")
    return named if PAGE_VIEW_ID.match(named) else secrets.token_urlsafe(16)


def _origin(request: Request) -> dict[str, Any]:
    """The browser's address and scheme, handed to the in-process transport (web/asgi.py)."""
    client = (request.client.host, request.client.port) if request.client else ("unknown", 0)
    return {"client": client, "scheme": request.url.scheme}
