"""Configuration for administrators: read, edit, version history, diff, rollback, preview.

Thin: the work is in `memoai.configs.editing`; each change is recorded in the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from memoai.admin.config_schemas import (
    MAX_VERSION,
    AuthConfigOut,
    ConfigDiff,
    ConfigEdit,
    ConfigList,
    ConfigSummary,
    ConfigVersionOut,
    DiffLine,
    PreviewCriterion,
    PreviewEvaluation,
    PreviewOut,
    PreviewRequest,
    Problem,
    Rollback,
    VersionInfo,
    VersionPage,
)
from memoai.api import CALLER, JSON_BODY, LIMITED, WRITES, Envelope, errors, wrap
from memoai.auth import audit, service
from memoai.auth.router import origin_of
from memoai.configs import editing
from memoai.configs.loader import ConfigRegistry, StoredVersion
from memoai.configs.schemas import CONFIG_TYPES, AuthConfig, ConfigType
from memoai.deps import AdminDep, DbDep
from memoai.sessions.caller import Caller

router = APIRouter(prefix="/api/v1/admin", tags=["admin: configuration"])
VersionPath = Annotated[int, Path(ge=1, le=MAX_VERSION)]
VersionQuery = Annotated[int, Query(ge=1, le=MAX_VERSION)]
READS = (*LIMITED, *CALLER, 403)
CHANGES = (*LIMITED, *CALLER, *WRITES, *JSON_BODY)


def _registry(request: Request) -> ConfigRegistry:
    registry: ConfigRegistry = request.app.state.configs
    return registry


def _out(request: Request, stored: StoredVersion) -> ConfigVersionOut:
    registry = _registry(request)
    return ConfigVersionOut.view(editing.view(registry, stored), registry.writable)


async def _saved(
    request: Request,
    db: DbDep,
    caller: Caller,
    event: audit.Event,
    saved: tuple[StoredVersion, bool],
) -> ConfigVersionOut:
    """Audit a change that made a version (an identical edit makes none and logs nothing)."""
    stored, new = saved
    if new:
        await audit.record(
            db,
            event,
            origin_of(request, caller.user_id),
            user_id=caller.user_id,
            details={"config_type": stored.type, "version": stored.version},
        )
        await db.commit()
    return _out(request, stored)


async def _author(db: DbDep, caller: Caller) -> str:
    user = await service.user_of(db, caller)
    return user.username


@router.get(
    "/config",
    summary="Every configuration type with its active version and whether its file is valid",
    response_model=Envelope[ConfigList],
    responses=errors(*READS),
)
async def list_configs(_: AdminDep, request: Request) -> Envelope[ConfigList]:
    registry = _registry(request)
    items = []
    for config_type in CONFIG_TYPES:
        stored = registry.active(config_type).stored
        problem = registry.problem_of(config_type)
        items.append(
            ConfigSummary(
                **VersionInfo.of(stored).model_dump(exclude={"version", "hash"}),
                type=config_type,
                version=stored.version,
                valid=problem is None,
                problems=[Problem(**problem.as_problem())] if problem else [],
            )
        )
    return wrap(ConfigList(items=items, writable=registry.writable))


@router.get(
    "/config/{config_type}",
    summary="The active version: YAML text, effective values, warnings",
    response_model=Envelope[ConfigVersionOut],
    responses=errors(*READS, 422),
)
async def get_config(
    _: AdminDep, request: Request, config_type: ConfigType
) -> Envelope[ConfigVersionOut]:
    return wrap(_out(request, _registry(request).active(config_type).stored))


@router.put(
    "/config/{config_type}",
    summary="Save an edit as the new active version (validated; written to the file if possible)",
    response_model=Envelope[ConfigVersionOut],
    responses=errors(*CHANGES, 409),
)
async def put_config(
    caller: AdminDep, request: Request, db: DbDep, config_type: ConfigType, body: ConfigEdit
) -> Envelope[ConfigVersionOut]:
    saved = await editing.save(
        db,
        _registry(request),
        config_type,
        body.content,
        author=await _author(db, caller),
        comment=body.comment,
        base_version=body.base_version,
    )
    return wrap(await _saved(request, db, caller, audit.Event.CONFIG_CHANGED, saved))


@router.get(
    "/config/{config_type}/versions",
    summary="The version history, newest first",
    response_model=Envelope[VersionPage],
    responses=errors(*READS, 422),
)
async def list_versions(
    _: AdminDep,
    db: DbDep,
    config_type: ConfigType,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_VERSION)] = 0,
) -> Envelope[VersionPage]:
    found, total = await editing.list_versions(db, config_type, limit=limit, offset=offset)
    return wrap(VersionPage(items=[VersionInfo.of(v) for v in found], total=total))


@router.get(
    "/config/{config_type}/versions/{version}",
    summary="One stored version with its effective values",
    response_model=Envelope[ConfigVersionOut],
    responses=errors(*READS, 404, 422),
)
async def get_version(
    _: AdminDep, request: Request, db: DbDep, config_type: ConfigType, version: VersionPath
) -> Envelope[ConfigVersionOut]:
    return wrap(_out(request, await editing.get_version(db, config_type, version)))


@router.get(
    "/config/{config_type}/diff",
    summary="What changed between two versions (unified diff)",
    response_model=Envelope[ConfigDiff],
    responses=errors(*READS, 404, 422),
)
async def diff(
    _: AdminDep,
    db: DbDep,
    config_type: ConfigType,
    from_version: VersionQuery,
    to_version: VersionQuery,
) -> Envelope[ConfigDiff]:
    old = await editing.get_version(db, config_type, from_version)
    new = await editing.get_version(db, config_type, to_version)
    unified, lines = editing.diff(old, new)
    return wrap(
        ConfigDiff(
            from_version=from_version,
            to_version=to_version,
            unified=unified,
            lines=[DiffLine(op=op, text=text) for op, text in lines],
        )
    )


@router.post(
    "/config/{config_type}/rollback",
    summary="Make an old version active again (as a new version with its text)",
    response_model=Envelope[ConfigVersionOut],
    responses=errors(*CHANGES, 404, 409),
)
async def rollback(
    caller: AdminDep, request: Request, db: DbDep, config_type: ConfigType, body: Rollback
) -> Envelope[ConfigVersionOut]:
    saved = await editing.rollback(
        db,
        _registry(request),
        config_type,
        body.version,
        author=await _author(db, caller),
        comment=body.comment,
    )
    return wrap(await _saved(request, db, caller, audit.Event.CONFIG_ROLLED_BACK, saved))


@router.post(
    "/config/{config_type}/preview",
    summary="Evaluate a sample memo with a draft, before saving it (nothing is stored)",
    response_model=Envelope[PreviewOut],
    responses=errors(*CHANGES, 502, 503, 504),
)
async def preview(
    _: AdminDep, request: Request, config_type: ConfigType, body: PreviewRequest
) -> Envelope[PreviewOut]:
    config = editing.draft_config(_registry(request), config_type, body.content)
    flow = request.app.state.flow
    result = await flow.preview(config, body.text_content)
    criteria = [
        PreviewCriterion(
            id=s.criterion_id, name=s.name, score=s.score, justification=s.justification
        )
        for s in result.rubric_scores
    ]
    evaluation = PreviewEvaluation(
        overall_score=result.overall_score,
        criteria=criteria,
        strengths=result.strengths,
        opportunities=result.opportunities,
    )
    return wrap(PreviewOut(provider=flow.provider.name, evaluation=evaluation))


def _auth_out(request: Request) -> AuthConfigOut:
    active = _registry(request).active("auth")
    assert isinstance(active.model, AuthConfig)
    return AuthConfigOut(
        enabled=active.model.authentication.enabled, version=_out(request, active.stored)
    )


@router.get(
    "/auth/config",
    summary="Whether login is required, and the auth.yaml version that says so",
    response_model=Envelope[AuthConfigOut],
    responses=errors(*READS),
)
async def get_auth_config(_: AdminDep, request: Request) -> Envelope[AuthConfigOut]:
    return wrap(_auth_out(request))


@router.put(
    "/auth/config",
    summary="Switch authentication or change its policy (a new version of auth.yaml)",
    response_model=Envelope[AuthConfigOut],
    responses=errors(*CHANGES, 409),
)
async def put_auth_config(
    caller: AdminDep, request: Request, db: DbDep, body: ConfigEdit
) -> Envelope[AuthConfigOut]:
    saved = await editing.save(
        db,
        _registry(request),
        "auth",
        body.content,
        author=await _author(db, caller),
        comment=body.comment,
        base_version=body.base_version,
    )
    await _saved(request, db, caller, audit.Event.CONFIG_CHANGED, saved)
    return wrap(_auth_out(request))
