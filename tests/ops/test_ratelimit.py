"""Rate limits per session and address, per endpoint class; shared through Redis; fail open."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from memoai.app import create_app, start, stop
from memoai.settings import Settings

from helpers import ApiClient, make_settings

MEMO = "To: Team\nSubject: Budget\n\nI request approval of $5,000 for a pilot by Friday."
REDIS_URL = os.environ.get("MEMOAI_TEST_REDIS_URL")
Opener = Callable[..., AbstractAsyncContextManager[ApiClient]]


@pytest.fixture(autouse=True)
async def away_from_a_window_edge() -> None:
    """Sliding-window counters weigh the previous minute in; counts are exact inside one minute.

    Windows start on whole minutes (Unix time); each test here takes well under a second.
    """
    into_minute = time.time() % 60
    if into_minute > 54:
        await asyncio.sleep(60.2 - into_minute)


def unique_address() -> str:
    """Addresses from the benchmarking range, random per test so shared Redis keys never meet."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Callable[[str], ApiClient]]:
    """One started app; the yielded function makes a client that connects from an address."""
    app = create_app(settings)
    await start(app, settings)
    clients: list[ApiClient] = []

    def connect(address: str) -> ApiClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        clients.append(ApiClient(transport=transport, base_url="http://testserver"))
        return clients[-1]

    try:
        yield connect
    finally:
        for client in clients:
            await client.aclose()
        await stop(app)


@asynccontextmanager
async def app_client(settings: Settings, address: str) -> AsyncIterator[ApiClient]:
    async with running_app(settings) as connect:
        yield connect(address)


@pytest.fixture
def limited(tmp_path: Path, config_dir: Path) -> Callable[..., Settings]:
    def build(**limits: Any) -> Settings:
        return make_settings(f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir, **limits)

    return build


def rejected_count(scope: str) -> float:
    from memoai.ops import metrics as prom

    return prom.RATE_LIMITED.labels(scope)._value.get()


async def test_429_in_the_envelope_with_headers_after_the_limit(
    limited: Callable[..., Settings],
) -> None:
    settings = limited(rate_limit_reads_per_minute=4, metrics_token="scrape-token")
    async with app_client(settings, unique_address()) as client:
        await client.start_session()  # a write: not one of the 4 reads
        remaining = []
        for _ in range(4):
            response = await client.get("/api/v1/sessions/current")
            assert response.status_code == 200
            assert response.headers["x-ratelimit-limit"] == "4"
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
            assert int(response.headers["x-ratelimit-reset"]) >= int(time.time())
        assert remaining == [3, 2, 1, 0]
        before = rejected_count("reads")
        refused = await client.get("/api/v1/sessions/current")
        assert refused.status_code == 429
        body = refused.json()
        assert body["data"] is None
        assert body["errors"][0]["code"] == "RATE_LIMITED"
        assert "Try again in" in body["errors"][0]["message"]
        assert body["errors"][0]["message"].startswith("Too many page loads and reads")
        assert body["errors"][0]["details"]["scope"] == "reads"
        assert body["meta"]["request_id"] == refused.headers["x-request-id"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert rejected_count("reads") == before + 1
        # Health and metrics are never limited (Docker and Prometheus must get through).
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/health/ready")).status_code == 200
        metrics = await client.get("/metrics", headers={"authorization": "Bearer scrape-token"})
        assert metrics.status_code == 200
        assert "x-ratelimit-limit" not in metrics.headers


async def test_each_endpoint_class_has_its_own_limit(limited: Callable[..., Settings]) -> None:
    settings = limited(
        rate_limit_per_minute=50,
        rate_limit_reads_per_minute=40,
        rate_limit_evaluations_per_minute=2,
        rate_limit_chat_per_minute=1,
        rate_limit_admin_per_minute=1,
    )
    async with app_client(settings, unique_address()) as client:
        await client.start_session()
        for _ in range(2):
            created = await client.post("/api/v1/evaluations", json={"text_content": MEMO})
            assert created.status_code in (200, 201), created.text
            assert created.headers["x-ratelimit-limit"] == "2"
        refused = await client.post("/api/v1/evaluations", json={"text_content": MEMO})
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["details"]["scope"] == "evaluations"
        retry = await client.post(f"/api/v1/evaluations/{created.json()['data']['id']}/retry")
        assert retry.status_code == 429  # retrying counts as evaluating
        listing = await client.get("/api/v1/evaluations")
        assert listing.status_code == 200  # reading history is the reads class
        assert listing.headers["x-ratelimit-limit"] == "40"
        renewed = await client.post("/api/v1/sessions")  # any other write: the general class
        assert renewed.headers["x-ratelimit-limit"] == "50"
        for path, scope in (("/api/v1/chat/sessions", "chat"), ("/api/v1/admin/status", "admin")):
            first = await client.post(path, json={})
            assert first.status_code != 429
            second = await client.post(path, json={})
            assert second.status_code == 429
            assert second.json()["errors"][0]["details"]["scope"] == scope
        users = await client.get("/api/v1/users")  # the admin's user routes: the admin class
        assert users.status_code == 429 and users.json()["errors"][0]["details"]["scope"] == "admin"


async def test_limits_apply_per_session_and_per_address(limited: Callable[..., Settings]) -> None:
    settings = limited(rate_limit_reads_per_minute=3)
    async with running_app(settings) as connect:
        first, other = connect(unique_address()), connect(unique_address())
        token = (await first.start_session())["token"]
        for _ in range(2):
            assert (await first.get("/api/v1/sessions/current")).status_code == 200
        # The same session from another address: its third read is the session's last.
        other.headers["x-session-token"] = token
        assert (await other.get("/api/v1/sessions/current")).status_code == 200
        assert (await other.get("/api/v1/sessions/current")).status_code == 429
        # A new session from the first address: that address's count is spent too...
        first.cookies.clear()
        await first.start_session()
        assert (await first.get("/api/v1/sessions/current")).status_code == 200
        assert (await first.get("/api/v1/sessions/current")).status_code == 429
        # ...while the other address may still read with its own.
        del other.headers["x-session-token"]
        await other.start_session()
        assert (await other.get("/api/v1/sessions/current")).status_code == 200


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="MEMOAI_TEST_REDIS_URL is not set")
async def test_two_replicas_share_limits_through_redis(tmp_path: Path, config_dir: Path) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        redis_url=REDIS_URL,
        rate_limit_reads_per_minute=4,
    )
    address = unique_address()
    async with app_client(settings, address) as one, app_client(settings, address) as two:
        token = (await one.start_session())["token"]  # a write, on replica one
        two.headers["x-session-token"] = token
        one.headers["x-session-token"] = token
        statuses = []
        for replica in (two, one, two, one, two):
            statuses.append((await replica.get("/api/v1/sessions/current")).status_code)
        assert statuses == [200, 200, 200, 200, 429]
        last = await one.get("/api/v1/sessions/current")
        assert last.status_code == 429
        assert last.headers["x-ratelimit-limit"] == "4"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_falls_back_to_per_process_limits_when_redis_is_unreachable(
    limited: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    settings = limited(
        redis_url=f"redis://127.0.0.1:{closed_port()}/0", rate_limit_reads_per_minute=2
    )
    caplog.set_level(logging.WARNING, logger="memoai.ratelimit")
    before = REGISTRY.get_sample_value("memoai_rate_limit_fallback_total") or 0.0
    async with app_client(settings, unique_address()) as client:
        await client.start_session()  # a write: the reads' limit is 2
        statuses = []
        for _ in range(4):
            response = await client.get("/api/v1/sessions/current")
            statuses.append(response.status_code)
            assert response.headers["x-ratelimit-limit"] == "2"
    assert statuses == [200, 200, 429, 429]  # still limited, by this process alone
    after = REGISTRY.get_sample_value("memoai_rate_limit_fallback_total") or 0.0
    assert after - before >= 4
    warnings = [r for r in caplog.records if r.name == "memoai.ratelimit"]
    assert len(warnings) == 1
    assert "counted per process" in warnings[0].getMessage()
