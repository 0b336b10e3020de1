"""Who may read the operational details: /metrics and the checks of /health/ready.

A caller is trusted when its address (resolved from trusted proxies, ops/forwarding.py) is in
METRICS_ALLOWED_IPS, or when it presents `Authorization: Bearer <METRICS_TOKEN>`. A request
that names someone else in X-Forwarded-For but did not come from a trusted proxy is never
trusted by address: an unknown proxy relayed it (e.g. a local nginx while FORWARDED_ALLOW_IPS
is unset), so the address it arrived from says nothing about who asks.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import JSONResponse

from memoai.addresses import parse_addresses
from memoai.api import ErrorCode, error_item, fail
from memoai.ops.forwarding import relayed_by_stranger
from memoai.settings import Settings
from memoai.translations import N_


def trusted_caller(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    if _has_token(request, settings.secret("metrics_token")):
        return True
    client = request.client.host if request.client else None
    if client not in parse_addresses(settings.metrics_allowed_ips):
        return False
    return not relayed_by_stranger(request.scope, parse_addresses(settings.forwarded_allow_ips))


def _has_token(request: Request, token: str | None) -> bool:
    if not token:
        return False
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


def forbidden() -> JSONResponse:
    message = N_(
        "Metrics are for the monitoring system: call from an address in METRICS_ALLOWED_IPS "
        "or send Authorization: Bearer <METRICS_TOKEN>."
    )
    return fail(403, [error_item(ErrorCode.FORBIDDEN, message)])
