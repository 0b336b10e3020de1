"""Debug mode: the switch for every replica and the self-tests (admins), and what a run
captured (its owner and admins)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from memoai.api import CALLER, JSON_BODY, LIMITED, WRITES, Envelope, errors, wrap
from memoai.auth.router import origin_of
from memoai.debugging.capture import records_for
from memoai.debugging.models import DebugRecord
from memoai.debugging.schemas import (
    DebugInfo,
    DebugRecordOut,
    DebugStateOut,
    DebugToggle,
    SelfTestReport,
)
from memoai.debugging.selftest import run_self_tests
from memoai.debugging.switch import DebugState, DebugSwitch
from memoai.deps import AdminDep, CallerDep, DbDep
from memoai.evaluations import service as evaluations

router = APIRouter(tags=["debug"])
ADMIN = "/api/v1/admin/debug"


def switch_of(request: Request) -> DebugSwitch:
    switch: DebugSwitch = request.app.state.debug
    return switch


def state_out(state: DebugState) -> DebugStateOut:
    return DebugStateOut(
        enabled=state.enabled, until=state.until, source=state.source, changed_at=state.changed_at
    )


@router.get(
    ADMIN,
    summary="Whether debug mode is on, until when, and whether an admin switched it",
    response_model=Envelope[DebugStateOut],
    responses=errors(*LIMITED, *CALLER, 403),
)
async def debug_state(_: AdminDep, request: Request) -> Envelope[DebugStateOut]:
    return wrap(state_out(switch_of(request).state))


@router.post(
    f"{ADMIN}/toggle",
    summary="Switch debug mode on (for `minutes`, default 60) or off, on every replica",
    response_model=Envelope[DebugStateOut],
    responses=errors(*LIMITED, *CALLER, *WRITES, *JSON_BODY),
)
async def toggle(body: DebugToggle, caller: AdminDep, request: Request) -> Envelope[DebugStateOut]:
    state = await switch_of(request).toggle(
        body.enabled, body.minutes, origin_of(request, caller.user_id)
    )
    return wrap(state_out(state))


@router.post(
    f"{ADMIN}/self-test",
    summary="Test database write and read, the model provider, the configuration, logging",
    response_model=Envelope[SelfTestReport],
    responses=errors(*LIMITED, *CALLER, *WRITES),
)
async def self_test(_: AdminDep, request: Request) -> Envelope[SelfTestReport]:
    state = request.app.state
    return wrap(await run_self_tests(state.db, state.flow.provider, state.configs))


@router.get(
    "/api/v1/debug/info",
    summary="What debug mode captured for an evaluation and its chat (owner and admins)",
    response_model=Envelope[DebugInfo],
    responses=errors(*LIMITED, *CALLER, 404, 422),
)
async def debug_info(
    caller: CallerDep,
    db: DbDep,
    request: Request,
    evaluation_id: Annotated[uuid.UUID, Query(description="The evaluation")],
) -> Envelope[DebugInfo]:
    if caller.is_admin:
        await evaluations.get(db, evaluation_id)
    else:
        await evaluations.get_owned(db, caller, evaluation_id)  # someone else's: 404
    records = [record_out(record) for record in await records_for(db, evaluation_id)]
    enabled = bool(request.app.state.runtime.debug_mode)
    return wrap(DebugInfo(evaluation_id=evaluation_id, debug_mode=enabled, records=records))


def record_out(record: DebugRecord) -> DebugRecordOut:
    data: dict[str, Any] = dict(record.data)
    return DebugRecordOut(
        id=record.id,
        kind=record.kind,
        chat_message_id=record.chat_message_id,
        created_at=record.created_at,
        prompt=data.pop("prompt", None),
        response=data.pop("response", None),
        error=data.pop("error", None),
        attempts=data.pop("attempts", []),
        timings=data.pop("timings", {}),
        details=data,
    )
