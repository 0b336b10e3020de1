"""Who is really calling, and over which scheme: forwarding headers from trusted proxies only.

`X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the connection comes from a
proxy in FORWARDED_ALLOW_IPS (nginx, the frontend); anyone else could name any address and
pick their own rate-limit key. The app resolves them itself (uvicorn's proxy_headers are off,
see memoai.cli), so the rule is the same under any server and for in-process calls, whose
transport sets the browser's address and scheme directly (memoai.web.asgi).
"""

from __future__ import annotations

import ipaddress
import re

from starlette.responses import RedirectResponse, Response
from starlette.types import Scope

from memoai.addresses import AddressList

# The connection's own address before forwarding headers were applied.
PEER_KEY = "memoai.peer"
# Reached over plain HTTP on purpose: Docker's and the load balancer's probes call the
# replicas directly (no TLS inside the private network), and Prometheus scrapes each replica
# there; /metrics is guarded by its own address list or token (ops/health.py).
PLAIN_HTTP_PATHS = frozenset({"/health", "/health/ready", "/metrics"})
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def header_values(scope: Scope, name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers", []) if k == name]


def resolve(scope: Scope, proxies: AddressList) -> None:
    """Replace the scope's client and scheme with what a trusted proxy says about them."""
    client = scope.get("client")
    peer = client[0] if client else None
    scope[PEER_KEY] = peer
    if peer not in proxies:
        return
    protos = header_values(scope, b"x-forwarded-proto")
    if protos:
        proto = protos[-1].split(",")[-1].strip().lower()
        if proto in ("http", "https"):
            scope["scheme"] = proto
    hops = [h.strip() for v in header_values(scope, b"x-forwarded-for") for h in v.split(",")]
    hops = [h for h in hops if h]
    if not hops:
        return
    # Each proxy appends the address it saw: the nearest untrusted one is the client; when all
    # are trusted, the first is (a request that started inside the trusted network).
    named = next((h for h in reversed(hops) if _host(h) not in proxies), hops[0])
    host = _host(named)
    if _is_ip(host):
        scope["client"] = (host, 0)


def relayed_by_stranger(scope: Scope, proxies: AddressList) -> bool:
    """True when a request names someone else in X-Forwarded-For but came from an untrusted
    peer: some unknown proxy relayed it, so its address says nothing about the real caller."""
    if not header_values(scope, b"x-forwarded-for"):
        return False
    client = scope.get("client")
    return scope.get(PEER_KEY, client[0] if client else None) not in proxies


def https_redirect(scope: Scope) -> Response | None:
    """The redirect to HTTPS for a plain-HTTP request (None when none is due)."""
    if scope.get("scheme") != "http" or scope.get("path") in PLAIN_HTTP_PATHS:
        return None
    hosts = header_values(scope, b"host")
    host = hosts[0] if hosts and _HOST.match(hosts[0]) else None
    if host is None:
        server = scope.get("server") or ("localhost", None)
        host = str(server[0])
    host = re.sub(r":80$", "", host)
    path = scope.get("raw_path") or scope.get("path", "/").encode()
    query = scope.get("query_string", b"")
    url = f"https://{host}{path.decode('latin-1')}" + (
        f"?{query.decode('latin-1')}" if query else ""
    )
    # 308 keeps the method and body of a POST; GET and HEAD get the classic permanent redirect.
    status = 301 if scope.get("method") in ("GET", "HEAD") else 308
    return RedirectResponse(url, status_code=status)


def _host(hop: str) -> str:
    """An X-Forwarded-For entry without its port: '1.2.3.4:5', '[::1]:5' and '::1' alike."""
    if hop.startswith("["):
        return hop[1:].split("]", 1)[0]
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
