"""Liveness, readiness and Prometheus endpoints."""

from __future__ import annotations

import shutil
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from memoai.api import envelope
from memoai.ops import metrics as prom
from memoai.ops.backup import backup_health

router = APIRouter(tags=["health"])
MIN_FREE_BYTES = 200 * 1024 * 1024
# Reported, but a stale backup must not take replicas out of the load balancer.
ADVISORY_CHECKS = frozenset({"backup"})


@router.get("/health", summary="Liveness: the process answers")
async def health() -> JSONResponse:
    return JSONResponse(envelope({"status": "ok"}))


@router.get("/health/ready", summary="Readiness: database, configuration, LLM, disk, backup age")
async def ready(request: Request) -> JSONResponse:
    state = request.app.state
    checks = {
        "database": await _database(state.db),
        "configuration": _configuration(state.configs),
        "llm": _llm(state.flow.provider, state.settings),
        "disk": _disk(state.settings.data_dir),
        "backup": backup_health(state.settings),
    }
    is_ready = all(c["ok"] for name, c in checks.items() if name not in ADVISORY_CHECKS)
    body = envelope({"status": "ready" if is_ready else "not_ready", "checks": checks})
    return JSONResponse(body, status_code=200 if is_ready else 503)


async def _database(db: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return {"ok": False, "message": f"database unreachable: {type(exc).__name__}"}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _configuration(configs: Any) -> dict[str, Any]:
    current = configs.current()
    problems = list(configs.problems)
    result: dict[str, Any] = {"ok": not problems, "version": current.version}
    if problems:
        result["message"] = "last valid configuration kept; the files on disk are invalid"
        result["problems"] = problems
    return result


def _llm(provider: Any, settings: Any) -> dict[str, Any]:
    if provider.name == "offline":
        return {
            "ok": True,
            "provider": "offline",
            "message": "offline analysis in use (no LLM key set or LLM_PROVIDER=offline)",
        }
    problem = getattr(provider, "problem", None)
    if problem:
        return {"ok": False, "provider": provider.name, "message": problem}
    return {"ok": True, "provider": provider.name, "model": provider.model}


def _disk(path: Any) -> dict[str, Any]:
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return {"ok": False, "message": f"data folder not readable: {exc.strerror}"}
    prom.DISK_FREE.set(usage.free)
    return {"ok": usage.free >= MIN_FREE_BYTES, "free_bytes": usage.free}


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    settings = request.app.state.settings
    # Gauges that only change on disk are refreshed at scrape time, on every replica.
    _disk(settings.data_dir)
    backup_health(settings)
    body, content_type = prom.render()
    return Response(body, media_type=content_type)
