"""What the debug routes take and answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from memoai.debugging.switch import DEFAULT_MINUTES, MAX_MINUTES


class DebugToggle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="On for every replica, or off")
    minutes: float = Field(
        default=DEFAULT_MINUTES,
        gt=0,
        le=MAX_MINUTES,
        description="Switched on, it turns itself off after this many minutes (default 60)",
    )


class DebugStateOut(BaseModel):
    enabled: bool
    until: datetime | None = Field(description="When debug mode turns itself off (if on)")
    source: str = Field(description='"switch" (an admin\'s toggle) or "setting" (DEBUG_MODE)')
    changed_at: datetime | None = Field(description="When an admin last switched it")


class DebugRecordOut(BaseModel):
    """One run captured in debug mode: secrets are masked as ***."""

    id: uuid.UUID
    kind: str = Field(description='"evaluation" or "chat" (a chat reply about the evaluation)')
    chat_message_id: uuid.UUID | None
    created_at: datetime
    prompt: str | None = Field(description="The raw prompt sent to the model")
    response: str | None = Field(description="The raw answer, as the model sent it")
    error: str | None
    attempts: list[dict[str, Any]] = Field(description="Each model call: attempt, ms, ok, error")
    timings: dict[str, float] = Field(
        description="Milliseconds: queue, prepare, model, validation, database"
    )
    details: dict[str, Any] = Field(description="Anything else captured (provider, model, repair)")


class DebugInfo(BaseModel):
    evaluation_id: uuid.UUID
    debug_mode: bool = Field(description="Whether debug mode is on now")
    records: list[DebugRecordOut] = Field(description="Oldest first; empty if it was off")


class SelfTest(BaseModel):
    name: str = Field(description="database, provider, configuration or logging")
    ok: bool
    latency_ms: float
    detail: str


class SelfTestReport(BaseModel):
    ok: bool = Field(description="Every test passed")
    tests: list[SelfTest]
