"""memoai_evaluations_in_flight on /metrics: the per-replica load the Kubernetes autoscaler
scales on. It counts evaluations while the model works and drops back when they end, whether
they complete or fail."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from memoai.app import create_app, start, stop
from tests.fakes import fixtures
from tests.fakes.common import FakeServer, delay, status

from helpers import ApiClient, make_settings

anthropic_server = fixtures.anthropic_server
anthropic_fake = fixtures.anthropic_fake

GAUGE = re.compile(r"^memoai_evaluations_in_flight ([0-9.e+-]+)$", re.MULTILINE)
MEMO = "To: Board\nSubject: Pilot\n\nWe ask for $40,000 to pilot the scheduler in one clinic."


@pytest.fixture
async def client(
    anthropic_fake: FakeServer, tmp_path: Path, config_dir: Path
) -> AsyncIterator[ApiClient]:
    """The API on a temporary SQLite file, evaluating with Claude's SDK against the fake."""
    settings = make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        llm_provider="claude",
        claude_api_key=fixtures.FAKE_KEY,
        llm_model="claude-test",
        llm_base_url=anthropic_fake.url,
        llm_timeout_seconds=10.0,
        llm_max_retries=0,
        rate_limit_enabled=False,
    )
    app = create_app(settings)
    await start(app, settings)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with ApiClient(transport=transport, base_url="http://testserver", timeout=30) as api:
        await api.start_session()
        yield api
    await stop(app)


async def in_flight(client: ApiClient) -> float:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    match = GAUGE.search(response.text)
    assert match is not None, "memoai_evaluations_in_flight is not exported"
    return float(match.group(1))


async def wait_for(client: ApiClient, value: float, seconds: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (current := await in_flight(client)) != value:
        assert loop.time() < deadline, f"in flight stayed at {current}, expected {value}"
        await asyncio.sleep(0.02)


def evaluate(client: ApiClient, memo: str) -> asyncio.Task[httpx.Response]:
    payload = {"text_content": memo, "fresh": True}
    return asyncio.create_task(client.post("/api/v1/evaluations", json=payload))


async def test_counts_running_evaluations_and_returns_to_zero(
    client: ApiClient, anthropic_fake: FakeServer
) -> None:
    assert await in_flight(client) == 0
    anthropic_fake.push(delay(1.5), delay(1.5))
    first, second = evaluate(client, MEMO), evaluate(client, MEMO + " By Friday.")
    await wait_for(client, 2)
    done = await asyncio.gather(first, second)
    assert [r.json()["data"]["status"] for r in done] == ["completed", "completed"]
    assert await in_flight(client) == 0


async def test_a_failed_evaluation_leaves_the_count(
    client: ApiClient, anthropic_fake: FakeServer
) -> None:
    anthropic_fake.push(delay(1.0, then=status(500, message="model server broke")))
    task = evaluate(client, MEMO)
    await wait_for(client, 1)
    response = await task
    assert response.json()["data"]["status"] == "failed"
    assert await in_flight(client) == 0
