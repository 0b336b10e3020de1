"""State of one running process that admins may change without a restart."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from memoai.db import utcnow

# Young collections every 10,000 allocations instead of 700: a request allocates thousands of
# objects, and each collection stalls the event loop (measured under 50 simultaneous
# evaluations: p95 2.24 -> about 2.16 s, /health p99 5.5 -> about 4 ms).
GC_THRESHOLDS = (10_000, 10, 10)


def tune_collector() -> None:
    """Set a server process's garbage collector; called once, after the app is imported.

    Everything alive by then (modules, classes, configuration) lives as long as the process, so
    it is frozen out of the collector's sight: full collections otherwise scan that whole heap
    each time, measured as 65-100 ms pauses in the middle of requests, about 2 ms once frozen.
    Objects that die later are still freed.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


_paused = 0  # how many collector_paused() blocks are running, across threads
_paused_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while the block runs (the collector resumes, and frees what the
    block left, when the last such block ends).

    For allocation-heavy CPU work such as the PDF report: it parses fonts into hundreds of
    thousands of objects, and every young collection walked them again. Measured on the 10k
    mixed-script report: 12 young and middle collections a render and, now and then, a full
    one of 140-170 ms; the report's p95 fell from 490 to about 350 ms with the collector paused.
    A block must be short: nothing is collected in any thread while one runs."""
    global _paused
    with _paused_lock:
        _paused += 1
        if _paused == 1:
            gc.disable()
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0:
                gc.enable()


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
