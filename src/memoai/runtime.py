"""State of one running process that admins may change without a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from memoai.db import utcnow


@dataclass
class Runtime:
    debug_mode: bool
    started_at: datetime = field(default_factory=utcnow)
    # Background work (evaluations that outlive their request) is kept referenced here.
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run work that must finish even if the client that asked for it goes away."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def drain(self, seconds: float) -> None:
        """Let running evaluations finish before the process stops (rolling restarts)."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=seconds)
