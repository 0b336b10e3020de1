"""Pure-ASGI middleware: request ids, security headers, access logs and HTTP metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from memoai.addresses import parse_addresses
from memoai.api import ErrorCode, envelope, error_item, request_id_var
from memoai.errors import internal_error
from memoai.ops import forwarding
from memoai.ops import metrics as prom
from memoai.translations import N_, number

log = logging.getLogger("memoai.access")
errors_log = logging.getLogger("memoai.errors")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI needs its CDN assets and an inline bootstrap script; only its pages get this.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    "https://fastapi.tiangolo.com; frame-ancestors 'none'"
)


class RequestContextMiddleware:
    """Gives every request an id (echoed in X-Request-ID), headers, a log line and metrics.

    The outermost layer of each app: it resolves the client's address and scheme (trusted
    proxies only), redirects plain HTTP when HTTPS_ONLY (`hsts`) is on, and answers unhandled
    errors itself with the app's own 500 handler, so that those answers keep the request id
    and the security headers too (Starlette would run that handler outside every middleware).
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False, trusted_proxies: str = "") -> None:
        self.app = app
        self.hsts = hsts
        self.proxies = parse_addresses(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        forwarding.resolve(scope, self.proxies)
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        responded = False
        path: str = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                headers = list(message.get("headers", []))
                headers.extend(self._headers(request_id, path))
                message["headers"] = headers
            await send(message)

        try:
            redirect = forwarding.https_redirect(scope) if self.hsts else None
            if redirect is not None:
                await redirect(scope, receive, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            errors_log.exception(
                "unhandled error", extra={"method": scope.get("method"), "path": path}
            )
            if responded:  # part of the answer is out: only the server can end it (abruptly)
                raise
            response = await _error_response(scope, receive, exc)
            await response(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope.get("method", "")
            prom.HTTP_REQUESTS.labels(method, route, str(status)).inc()
            prom.HTTP_LATENCY.labels(method, route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "path": path,
                    "client": (scope.get("client") or ("-",))[0],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)

    def _headers(self, request_id: str, path: str) -> list[tuple[bytes, bytes]]:
        csp = DOCS_CSP if path.startswith(("/api/docs", "/docs", "/api/redoc")) else CSP
        headers = [
            (b"x-request-id", request_id.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
            (b"content-security-policy", csp.encode()),
        ]
        if self.hsts:
            headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        return headers


async def _error_response(scope: Scope, receive: Receive, exc: Exception) -> Response:
    """The app's own handler for unhandled errors (HTML for pages, the envelope for the API)."""
    handlers = getattr(scope.get("app"), "exception_handlers", {})
    handler = handlers.get(Exception) or handlers.get(500)
    if handler is not None:
        try:
            response: Response = await handler(Request(scope, receive), exc)
            return response
        except Exception:
            errors_log.exception("the error handler failed")
    return internal_error()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _route_template(scope: Scope) -> str:
    """The matched route's path template, so metrics do not explode with ids."""
    route: Any = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return str(route.path)
    return "unmatched"


class BodyTooLarge(Exception):
    """Raised from the receive channel; args[0] says whether more of the body is coming."""


# Refused bodies up to this size are read to the end (see BodyLimitMiddleware).
DRAIN_BYTES = 4 * 1024 * 1024


class BodyLimitMiddleware:
    """Refuses request bodies over the limit (declared or streamed) with PAYLOAD_TOO_LARGE.

    A refused body of moderate size is read to its end before the answer: closing with unread
    data resets the connection, and a proxy still writing the body then sees an error and sends
    the request to another replica (nginx retries POSTs here, see nginx.conf.template).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.drain_bytes = max(DRAIN_BYTES, 4 * max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            drained = int(declared) <= self.drain_bytes and await self._drain(receive, 0)
            await self._refuse(send, keep_alive=drained)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(bool(message.get("more_body", False)))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if not started:
                more = exc.args[0]
                drained = not more or await self._drain(receive, received)
                await self._refuse(send, keep_alive=drained)

    async def _drain(self, receive: Receive, received: int) -> bool:
        """Read and drop the rest of the body; False when it runs past `drain_bytes`."""
        while received <= self.drain_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return False
            received += len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
        return False

    async def _refuse(self, send: Send, *, keep_alive: bool) -> None:
        message = N_("The request body is larger than %(limit)s bytes.")
        limit = {"limit": number(self.max_bytes, "#,##0")}
        error = error_item(ErrorCode.PAYLOAD_TOO_LARGE, message, values=limit)
        body = json.dumps(envelope(None, [error]))
        headers = [(b"content-type", b"application/json")]
        if not keep_alive:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})
