"""What debug mode keeps of one evaluation or chat reply: raw prompt and response, each model
attempt, and timings (queue, model, validation, database), redacted before it is stored.

A pipeline opens a capture with `capturing(...)` when debug mode is on; the small hooks it
calls (`timed`, `note`) do nothing otherwise. The capture travels in a context variable, so
the model call's task and the retry policy (`llm.retry.attempt_log`) record into it too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert, select

from memoai.db import Executor, new_id, utcnow
from memoai.debugging.models import DebugRecord, RecordKind
from memoai.debugging.redact import redact_data
from memoai.llm.retry import attempt_log

_RECORDS: Table = DebugRecord.__table__  # type: ignore[assignment]
_INSERT = insert(_RECORDS)
# Raw texts beyond this are cut (a runaway answer must not fill the database).
MAX_TEXT_CHARS = 200_000


@dataclass
class Capture:
    kind: RecordKind
    notes: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def add_time(self, name: str, ms: float) -> None:
        key = f"{name}_ms"
        self.timings[key] = round(self.timings.get(key, 0.0) + ms, 2)

    def data(self) -> dict[str, Any]:
        """Everything captured, with every secret masked."""
        notes = {k: v[:MAX_TEXT_CHARS] if isinstance(v, str) else v for k, v in self.notes.items()}
        data: dict[str, Any] = redact_data(
            {**notes, "attempts": self.attempts, "timings": self.timings}
        )
        return data


_current: ContextVar[Capture | None] = ContextVar("debug_capture", default=None)


@contextmanager
def capturing(enabled: bool, kind: RecordKind) -> Iterator[Capture | None]:
    """A capture for the code inside (None when debug mode is off)."""
    if not enabled:
        yield None
        return
    capture = Capture(kind)
    token, attempts_token = _current.set(capture), attempt_log.set(capture.attempts)
    try:
        yield capture
    finally:
        attempt_log.reset(attempts_token)
        _current.reset(token)


@contextmanager
def timed(name: str) -> Iterator[None]:
    """Add the time spent inside to the capture's `<name>_ms` (nothing without a capture)."""
    capture = _current.get()
    started = time.perf_counter()
    try:
        yield
    finally:
        if capture is not None:
            capture.add_time(name, (time.perf_counter() - started) * 1000)


def note(**values: Any) -> None:
    """Keep values (prompt, response, error…) in the capture, if there is one."""
    capture = _current.get()
    if capture is not None:
        capture.notes.update(values)


async def store(
    db: Executor,
    capture: Capture,
    evaluation_id: uuid.UUID,
    chat_message_id: uuid.UUID | None = None,
) -> None:
    """Write the redacted capture (the caller commits)."""
    await db.execute(
        _INSERT,
        {
            "id": new_id(),
            "kind": str(capture.kind),
            "evaluation_id": evaluation_id,
            "chat_message_id": chat_message_id,
            "created_at": utcnow(),
            "data": capture.data(),
        },
    )


async def records_for(db: Executor, evaluation_id: uuid.UUID) -> list[DebugRecord]:
    """Every capture filed under an evaluation (its runs and its chat's replies), oldest first."""
    rows = await db.execute(
        select(DebugRecord)
        .where(DebugRecord.evaluation_id == evaluation_id)
        .order_by(DebugRecord.created_at, DebugRecord.id)
    )
    return list(rows.scalars())
