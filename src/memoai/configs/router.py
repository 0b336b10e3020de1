"""Read-only views of the active configuration, for the web interface's Help tab and forms.

Public (no session needed): the rubric and frameworks are what every writer is measured
against, and the client settings only say what the forms should allow.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from memoai.api import ok
from memoai.deps import ConfigDep, SettingsDep
from memoai.evaluations.service import provider_label

router = APIRouter(prefix="/api/v1/config", tags=["config"])


@router.get("/rubric", summary="The active rubric: criteria, weights, scale, guidance per level")
async def rubric(config: ConfigDep) -> JSONResponse:
    return ok(
        {
            **config.rubric.model_dump(mode="json"),
            "config_version": config.version,
            "rubric_version": config.rubric_version,
        }
    )


@router.get("/frameworks", summary="The communication frameworks the coach refers to")
async def frameworks(config: ConfigDep) -> JSONResponse:
    return ok({**config.frameworks.model_dump(mode="json"), "config_version": config.version})


@router.get("/client", summary="What a client needs to build its forms: limits, modes, provider")
async def client(request: Request, settings: SettingsDep, config: ConfigDep) -> JSONResponse:
    provider = request.app.state.flow.provider
    return ok(
        {
            "memo_min_chars": settings.memo_min_chars,
            "memo_max_chars": settings.memo_max_chars,
            "title_max_chars": settings.title_max_chars,
            "chat_max_chars": settings.chat_max_chars,
            "debug_mode": bool(request.app.state.runtime.debug_mode),
            "auth_enabled": bool(settings.auth_enabled),
            "session_timeout": settings.session_timeout,
            "provider": provider.name,
            "model": provider.model,
            "provider_label": provider_label(provider.name, provider.model),
            "config_version": config.version,
        }
    )
