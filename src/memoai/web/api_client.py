"""The web layer's only way to the data: the backend's JSON API over HTTP.

One pooled httpx client per web app, over the network to `BACKEND_URL` or in-process to the
API app; each browser request gets a `Backend` that carries that browser's cookies and CSRF
header to the API and collects the cookies the API sets, to relay them to the browser.
"""

from __future__ import annotations

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

SESSION_COOKIE = "memoai_session"
CSRF_COOKIE = "memoai_csrf"
CSRF_HEADER = "x-csrf-token"
FORWARDED_COOKIES = (SESSION_COOKIE, CSRF_COOKIE)
SESSION_ERRORS = frozenset({"UNAUTHORIZED", "SESSION_EXPIRED", "CSRF_FAILED"})
PUBLIC_CACHE_SECONDS = 5.0
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# A stream stays open for the whole evaluation; the API sends a keep-alive every 15 s.
STREAM_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class BackendUnavailable(Exception):
    """The API could not be reached or answered garbage; the page says so kindly."""


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

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str | None:
        return str(self.errors[0].get("code")) if self.errors else None

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiResult:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise BackendUnavailable(f"the API answered {response.status_code} without JSON")
        return cls(response.status_code, body.get("data"), list(body.get("errors") or []))


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

    def for_request(self, request: Request) -> Backend:
        return Backend(self, request)

    async def public_get(self, path: str, headers: dict[str, str]) -> ApiResult:
        """GETs that are the same for everyone (configuration), cached for a few seconds."""
        now = time.monotonic()
        hit = self._cache.get(path)
        if hit and now - hit[0] < PUBLIC_CACHE_SECONDS:
            return hit[1]
        response = await self.send("GET", path, headers)
        result = ApiResult.from_response(response)
        if result.ok:
            self._cache[path] = (now, result)
        return result

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
        self.set_cookies: list[str] = []
        self._base_headers = _forwarded_headers(request)

    def headers(self) -> dict[str, str]:
        headers = dict(self._base_headers)
        headers["x-request-id"] = request_id_var.get()
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf:
            headers[CSRF_HEADER] = self.csrf
        return headers

    async def get(self, path: str, params: dict[str, Any] | None = None) -> ApiResult:
        return await self.call("GET", path, params=params)

    async def public_get(self, path: str) -> ApiResult:
        """Configuration, the same for everyone: no cookies go with it, only who is asking."""
        return await self.client.public_get(path, self._base_headers)

    async def post(self, path: str, json: Any = None) -> ApiResult:
        return await self.call("POST", path, json=json)

    async def call(self, method: str, path: str, **kw: Any) -> ApiResult:
        response = await self.client.send(method, path, self.headers(), **kw)
        self._absorb(response)
        return ApiResult.from_response(response)

    @asynccontextmanager
    async def stream(self, method: str, path: str, json: Any) -> AsyncIterator[httpx.Response]:
        """An open streaming response (server-sent events), closed when the block ends."""
        request = self.client.http.build_request(
            method, path, json=json, headers=self.headers(), timeout=STREAM_TIMEOUT
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
        """Start (or refresh) the browser's anonymous session; its cookies come back to us."""
        result = await self.post("/api/v1/sessions")
        if result.ok and isinstance(result.data, dict) and result.data.get("csrf_token"):
            self.csrf = str(result.data["csrf_token"])
        return result

    async def get_with_session(self, path: str, params: dict[str, Any] | None = None) -> ApiResult:
        """A GET that needs a session: one is started first when the browser has none or
        its session expired."""
        if SESSION_COOKIE not in self.cookies:
            await self.start_session()
        result = await self.get(path, params)
        if result.code in SESSION_ERRORS:
            self.cookies.pop(SESSION_COOKIE, None)
            await self.start_session()
            result = await self.get(path, params)
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
                if name in FORWARDED_COOKIES:
                    self.cookies[name] = morsel.value


def _forwarded_headers(request: Request) -> dict[str, str]:
    """Who the browser is, for the API's session records, rate limits and logs."""
    headers = {"accept": "application/json"}
    # Our server already resolved the client's address (honouring trusted proxies only).
    if request.client and request.client.host:
        headers["x-forwarded-for"] = request.client.host
    for name in ("user-agent", "accept-language", "x-forwarded-proto"):
        if name in request.headers:
            headers[name] = request.headers[name]
    return headers
