"""The model provider's connectivity check for readiness, asked at most once a minute.

Reading the configuration says nothing about a revoked key or an unreachable server; the
provider's own check (a cheap authenticated request, `LLMProvider.check`) does. Readiness is
polled often and must stay quick, so the answer is kept for a minute: the first call waits
for it (bounded by the check's own timeout), later ones get the last answer while a fresh
one is fetched in the background.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

CHECK_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Answer:
    ok: bool
    message: str
    checked_at: float  # time.time() of the check


class ProviderCheck:
    """The last answer of one provider's check, refreshed when older than `every` seconds."""

    def __init__(self, every: float = CHECK_EVERY_SECONDS) -> None:
        self.every = every
        self._provider: Any = None
        self._answer: Answer | None = None
        self._started = -math.inf
        self._task: asyncio.Task[None] | None = None

    async def answer(self, provider: Any) -> Answer:
        """The provider's answer, at most `every` seconds old (after the first one)."""
        if provider is not self._provider:  # a new configuration made a new provider
            self._provider, self._answer, self._started = provider, None, -math.inf
        stale = time.monotonic() - self._started >= self.every
        if stale and (self._task is None or self._task.done()):
            self._started = time.monotonic()
            self._task = asyncio.create_task(self._ask(provider))
        if self._answer is None and self._task is not None:
            await asyncio.shield(self._task)
        if self._answer is None:  # the configuration changed while the check ran
            return Answer(False, "the provider changed during its check", time.time())
        return self._answer

    async def settled(self) -> None:
        """Wait until no check is in flight."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _ask(self, provider: Any) -> None:
        ok, message = await provider.check()  # never raises: failures are its answer
        if provider is self._provider:
            self._answer = Answer(ok, message, time.time())
