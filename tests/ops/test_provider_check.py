"""The provider's connectivity check behind readiness: a revoked key shows, at most once a
minute of requests to the provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from memoai.llm.anthropic import ClaudeProvider
from memoai.ops.provider_check import ProviderCheck
from tests.fakes import fixtures
from tests.fakes.common import FakeServer

anthropic_server = fixtures.anthropic_server
anthropic_fake = fixtures.anthropic_fake


@pytest.fixture
async def claude(anthropic_fake: FakeServer) -> AsyncIterator[ClaudeProvider]:
    provider = ClaudeProvider(fixtures.claude_settings(anthropic_fake))
    yield provider
    await provider.aclose()


class Counted:
    """The real provider, counting how often its check is asked."""

    def __init__(self, provider: ClaudeProvider) -> None:
        self.provider = provider
        self.checks = 0

    async def check(self) -> tuple[bool, str]:
        self.checks += 1
        return await self.provider.check()


async def test_the_answer_is_asked_once_a_minute(
    claude: ClaudeProvider, anthropic_fake: FakeServer
) -> None:
    check, counted = ProviderCheck(), Counted(claude)
    first = await check.answer(counted)
    assert first.ok and "reachable" in first.message
    for _ in range(5):
        assert await check.answer(counted) == first
    assert counted.checks == 1


async def test_a_revoked_key_shows_after_the_next_check(
    claude: ClaudeProvider, anthropic_fake: FakeServer
) -> None:
    check = ProviderCheck(every=0.0)  # every answer asks again, in the background
    assert (await check.answer(claude)).ok
    anthropic_fake.api_key = "the key the operator rotated to"  # ours no longer works
    assert (await check.answer(claude)).ok  # the last answer, while the new one is asked
    await check.settled()
    revoked = await check.answer(claude)
    assert not revoked.ok
    assert "LLM_NOT_CONFIGURED" in revoked.message or "401" in revoked.message, revoked.message


async def test_a_new_provider_is_asked_again(
    claude: ClaudeProvider, anthropic_fake: FakeServer
) -> None:
    check, counted = ProviderCheck(), Counted(claude)
    await check.answer(counted)
    other = Counted(ClaudeProvider(fixtures.claude_settings(anthropic_fake)))
    try:
        assert (await check.answer(other)).ok
        assert (await check.answer(other)).ok
    finally:
        await other.provider.aclose()
    assert (counted.checks, other.checks) == (1, 1)
