"""Read-only views of the active configuration, for the web interface's Help tab and forms.

The client settings are public (they only say what the forms should allow, and whether to
sign in); the rubric and frameworks are public in anonymous mode and need a signed-in user
when login is required.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from memoai.api import CALLER, LIMITED, Envelope, errors, wrap
from memoai.configs.schemas import ClientSettings, FrameworksOut, RubricOut
from memoai.deps import PUBLIC, PUBLIC_UNLESS_LOGIN, ConfigDep, SettingsDep
from memoai.evaluations.service import provider_label

router = APIRouter(prefix="/api/v1/config", tags=["config"], responses=errors(*LIMITED))


@router.get(
    "/rubric",
    summary="The active rubric: criteria, weights, scale, guidance per level",
    response_model=Envelope[RubricOut],
    dependencies=PUBLIC_UNLESS_LOGIN,
    responses=errors(*CALLER),
)
async def rubric(config: ConfigDep) -> Envelope[RubricOut]:
    return wrap(
        RubricOut(
            **config.rubric.model_dump(),
            config_version=config.version,
            rubric_version=config.rubric_version,
        )
    )


@router.get(
    "/frameworks",
    summary="The communication frameworks the coach refers to",
    response_model=Envelope[FrameworksOut],
    dependencies=PUBLIC_UNLESS_LOGIN,
    responses=errors(*CALLER),
)
async def frameworks(config: ConfigDep) -> Envelope[FrameworksOut]:
    return wrap(FrameworksOut(**config.frameworks.model_dump(), config_version=config.version))


@router.get(
    "/client",
    summary="What a client needs to build its forms: limits, modes, provider",
    response_model=Envelope[ClientSettings],
    dependencies=PUBLIC,
)
async def client(
    request: Request, settings: SettingsDep, config: ConfigDep
) -> Envelope[ClientSettings]:
    provider = request.app.state.flow.provider
    return wrap(
        ClientSettings(
            memo_min_chars=settings.memo_min_chars,
            memo_max_chars=settings.memo_max_chars,
            title_max_chars=settings.title_max_chars,
            chat_max_chars=settings.chat_max_chars,
            debug_mode=bool(request.app.state.runtime.debug_mode),
            auth_enabled=config.auth.authentication.enabled,
            session_timeout=settings.session_timeout,
            provider=provider.name,
            model=provider.model,
            provider_label=provider_label(provider.name, provider.model),
            config_version=config.version,
        )
    )
