"""The debug switch: stored in the database, so every replica follows an admin's toggle.

Each replica polls the one row twice a second and mirrors it in `Runtime.debug_mode`, which
the pipelines read. Switched on, it holds until its end time (default an hour), then the
setting's default (`DEBUG_MODE`, off in production) applies again; switched off, it stays off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.auth import audit
from memoai.db import Database, utcnow
from memoai.debugging.models import RuntimeFlag
from memoai.runtime import Runtime

log = logging.getLogger("memoai.debug")

FLAG = "debug_mode"
POLL_SECONDS = 0.5
DEFAULT_MINUTES = 60
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class DebugState:
    """Whether debug mode is on here and now, and why."""

    enabled: bool
    until: datetime | None  # when a switched-on mode ends by itself
    source: str  # "switch" (an admin's toggle in force) or "setting" (DEBUG_MODE)
    changed_at: datetime | None = None


def state_of(row: RuntimeFlag | None, default: bool, now: datetime) -> DebugState:
    """The switch in force: the row until it expires, else the setting."""
    if row is not None and (row.until is None or now < row.until):
        return DebugState(row.enabled, row.until if row.enabled else None, "switch", row.changed_at)
    return DebugState(default, None, "setting", row.changed_at if row else None)


async def read_flag(db: AsyncSession) -> RuntimeFlag | None:
    row: RuntimeFlag | None = await db.scalar(select(RuntimeFlag).where(RuntimeFlag.name == FLAG))
    return row


async def set_switch(
    db: AsyncSession, *, enabled: bool, minutes: float, origin: audit.Origin, default: bool
) -> DebugState:
    """Store the switch (on for `minutes`, or off until switched on) and audit who did it."""
    now = utcnow()
    until = now + timedelta(minutes=minutes) if enabled else None
    row = await read_flag(db)
    if row is None:
        row = RuntimeFlag(name=FLAG, enabled=enabled, changed_at=now)
        db.add(row)
    row.enabled = enabled
    row.until = until
    row.changed_by = origin.actor_id
    row.changed_at = now
    details: dict[str, object] = {"enabled": enabled}
    if enabled:
        details.update(minutes=minutes, until=until.isoformat() if until else None)
    await audit.record(db, audit.Event.DEBUG_MODE_CHANGED, origin, details=details)
    await db.commit()
    return state_of(row, default, now)


class DebugSwitch:
    """This replica's view of the switch, refreshed by polling; mirrored in `runtime`."""

    def __init__(self, db: Database, runtime: Runtime, default: bool) -> None:
        self.db = db
        self.runtime = runtime
        self.default = default
        self.state = DebugState(default, None, "setting")
        self._task: asyncio.Task[None] | None = None

    def apply(self, state: DebugState) -> DebugState:
        if state.enabled != self.runtime.debug_mode:
            log.warning("debug mode %s", "on" if state.enabled else "off")
        self.state = state
        self.runtime.debug_mode = state.enabled
        return state

    async def refresh(self) -> DebugState:
        async with self.db.sessions() as session:
            row = await read_flag(session)
        return self.apply(state_of(row, self.default, utcnow()))

    async def toggle(self, enabled: bool, minutes: float, origin: audit.Origin) -> DebugState:
        async with self.db.sessions() as session:
            state = await set_switch(
                session, enabled=enabled, minutes=minutes, origin=origin, default=self.default
            )
        return self.apply(state)

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        failing = False  # logged once per outage
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await self.refresh()
            except Exception:
                if not failing:
                    log.exception("debug switch check failed; the last state stays in force")
                failing = True
            else:
                failing = False
