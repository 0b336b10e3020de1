"""Liveness, readiness and Prometheus endpoints.

Readiness fails (503) only when this replica cannot serve: its database is unreachable or
read-only, or its data volume is full. The model provider, the configuration files and the
backup age are reported as degraded, never a 503: one outage of something every replica shares
must not drain them all from the load balancer. Whether login is required is reported too, with
the loud warning when production runs without it: advisory (the server works as configured),
so it never changes the status.

Everyone gets the status; the details (free bytes, provider, configuration version, backup
age) and /metrics go only to trusted callers (ops/access.py).
"""

from __future__ import annotations

import shutil
import time
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from memoai.api import Envelope, ErrorCode, error_item, errors, fail, media, responses, wrap
from memoai.auth.mode import login_required, mode_warning
from memoai.db import is_sqlite
from memoai.deps import PUBLIC
from memoai.ops import metrics as prom
from memoai.ops.access import forbidden, trusted_caller
from memoai.ops.backup import backup_health
from memoai.ops.provider_check import ProviderCheck
from memoai.ops.storage import WriteProbe
from memoai.translations import gettext as _

router = APIRouter(tags=["health"], dependencies=PUBLIC)
MIN_FREE_BYTES = 200 * 1024 * 1024
# Without these this replica cannot serve; the other checks only report a degraded service.
REQUIRED_CHECKS = ("database", "disk")
# How often readiness tries a write (a probe costs well under a millisecond; see storage.py).
WRITE_PROBE_SECONDS = 5.0


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Check(BaseModel):
    """One readiness check; further fields (latency, version, provider, ...) vary by check."""

    model_config = ConfigDict(extra="allow")
    ok: bool
    message: str | None = None


class Readiness(BaseModel):
    status: Literal["ready", "degraded"] = Field(
        description="ready: all checks pass; degraded: serving, but something shared is wrong"
    )
    checks: dict[str, Check] | None = Field(
        None, description="Each check, for trusted callers only (METRICS_ALLOWED_IPS or token)"
    )


@router.get("/health", summary="Liveness: the process answers", response_model=Envelope[Liveness])
async def health() -> Envelope[Liveness]:
    return wrap(Liveness())


@router.get(
    "/health/ready",
    summary="Readiness: database and storage (503), provider, configuration, backup age",
    response_model=Envelope[Readiness],
    responses=errors(503),
)
async def ready(request: Request) -> Envelope[Readiness] | JSONResponse:
    state = request.app.state
    checks = {
        "database": await _database(state.db, _write_probe(state)),
        "disk": _disk(state.settings.data_dir),
        "configuration": _configuration(state.configs),
        "llm": await _llm_reachable(state.flow.provider, _provider_check(state)),
        "rate_limits": _rate_limits(state),
        "backup": backup_health(state.settings),
        "authentication": _authentication(state.settings, state.configs),
    }
    details = trusted_caller(request)
    failed = [name for name in REQUIRED_CHECKS if not checks[name]["ok"]]
    if failed:
        message = _("This replica cannot serve requests now (%(checks)s).") % {
            "checks": ", ".join(failed)
        }
        extra = {"checks": checks} if details else {}
        item = error_item(ErrorCode.SERVICE_UNAVAILABLE, message, details=extra)
        return fail(503, [item], headers={"Retry-After": "5"})
    status = "ready" if all(c["ok"] for c in checks.values()) else "degraded"
    shown = {name: Check(**check) for name, check in checks.items()} if details else None
    return wrap(Readiness(status=status, checks=shown))


def _write_probe(state: Any) -> WriteProbe:
    """The app's write probe, made on first use: its cached answer lives as long as the app."""
    probe = getattr(state, "write_probe", None)
    if probe is None:
        probe = state.write_probe = WriteProbe(state.db.url, WRITE_PROBE_SECONDS)
    return probe


async def _database(db: Any, probe: WriteProbe) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            read_only = not is_sqlite(db.url) and (
                (await conn.execute(text("SHOW transaction_read_only"))).scalar() == "on"
            )
    except Exception as exc:
        found = {"error": type(exc).__name__}
        return {"ok": False, "message": _("database unreachable: %(error)s") % found}
    latency = round((time.perf_counter() - started) * 1000, 2)
    if read_only:
        return {"ok": False, "message": _("the database is read-only")}
    problem = await probe.problem()
    if problem:
        return {"ok": False, "message": problem}
    return {"ok": True, "latency_ms": latency}


def _configuration(configs: Any) -> dict[str, Any]:
    current = configs.current()
    problems = list(configs.problems)
    result: dict[str, Any] = {"ok": not problems, "version": current.version}
    if problems:
        result["message"] = _("last valid configuration kept; the files on disk are invalid")
        result["problems"] = problems
    return result


def _authentication(settings: Any, configs: Any) -> dict[str, Any]:
    """Login required or not (the active configuration's), and the warning when production
    runs without it; always ok: it is the operator's choice, said loudly, never a failure."""
    config = configs.current()
    warning = mode_warning(settings, config)
    return {"ok": True, "login_required": login_required(config), "warning": warning}


def _provider_check(state: Any) -> ProviderCheck:
    """The app's provider check, made on first use: its answer is kept for a minute."""
    check = getattr(state, "provider_check", None)
    if check is None:
        check = state.provider_check = ProviderCheck()
    return check


def _rate_limits(state: Any) -> dict[str, Any]:
    """Whether the replicas count rate limits together (Redis) or each on its own."""
    limiter = getattr(state, "rate_limiter", None)
    if limiter is None:
        return {"ok": True, "shared": False, "message": _("rate limits are off")}
    if not state.settings.redis_url:
        return {"ok": True, "shared": False, "message": _("counted per replica (no REDIS_URL)")}
    if limiter.shared:
        return {"ok": True, "shared": True, "message": None}
    message = _("Redis is unreachable: rate limits are counted per replica meanwhile")
    return {"ok": False, "shared": False, "message": message}


async def _llm_reachable(provider: Any, check: ProviderCheck) -> dict[str, Any]:
    """The configuration's view (`_llm`), then the provider's own connectivity check: a
    revoked key or a dead server shows here (asked at most once a minute)."""
    result = _llm(provider)
    if not result["ok"] or provider.name == "offline":
        return result
    answer = await check.answer(provider)
    return result if answer.ok else {**result, "ok": False, "message": answer.message}


def _llm(provider: Any) -> dict[str, Any]:
    if provider.name == "offline":
        return {
            "ok": True,
            "provider": "offline",
            "message": _("offline analysis in use (no LLM key set or LLM_PROVIDER=offline)"),
        }
    problem = getattr(provider, "problem", None)
    if problem:
        return {"ok": False, "provider": provider.name, "message": problem}
    return {"ok": True, "provider": provider.name, "model": provider.model}


def _disk(path: Any) -> dict[str, Any]:
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        found = {"reason": exc.strerror}
        return {"ok": False, "message": _("data folder not readable: %(reason)s") % found}
    prom.DISK_FREE.set(usage.free)
    ok = usage.free >= MIN_FREE_BYTES
    result: dict[str, Any] = {"ok": ok, "free_bytes": usage.free}
    if not ok:
        result["message"] = _("less than %(size)s MiB free") % {"size": MIN_FREE_BYTES // 1048576}
    return result


@router.get(
    "/metrics",
    summary="Prometheus metrics (trusted addresses or the metrics token only)",
    response_class=Response,
    responses=responses(media("text/plain", "Prometheus text exposition format"), errors(403)),
)
async def metrics(request: Request) -> Response:
    if not trusted_caller(request):
        return forbidden()
    settings = request.app.state.settings
    # Gauges that only change on disk are refreshed at scrape time, on every replica.
    _disk(settings.data_dir)
    backup_health(settings)
    pool = request.app.state.db.engine.pool  # and the connections in use right now
    if isinstance(pool, QueuePool):
        prom.DB_POOL_IN_USE.set(pool.checkedout())
    body, content_type = prom.render()
    return Response(body, media_type=content_type)
