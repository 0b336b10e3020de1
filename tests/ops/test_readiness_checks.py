"""Readiness that tells the truth: the provider's own connectivity check (a revoked key shows),
rate limits counted per replica while Redis fails, and the database pool gauge. All advisory:
200 and `degraded`, never a 503."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from memoai.app import stop
from tests.fakes import fixtures
from tests.fakes.common import FakeServer

from helpers import ApiClient, make_settings, open_client

anthropic_server = fixtures.anthropic_server
anthropic_fake = fixtures.anthropic_fake


async def readiness(client: ApiClient) -> tuple[int, dict[str, Any]]:
    answer = await client.get("/health/ready")
    return answer.status_code, answer.json()["data"]


async def test_a_revoked_model_key_degrades_readiness(
    tmp_path: Path, config_dir: Path, anthropic_fake: FakeServer
) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        llm_provider="claude",
        claude_api_key=fixtures.FAKE_KEY,
        llm_model="claude-test",
        llm_base_url=anthropic_fake.url,
    )
    app, client = await open_client(settings)
    try:
        status, data = await readiness(client)
        assert status == 200 and data["checks"]["llm"]["ok"], data
        assert data["checks"]["llm"]["provider"] == "claude"
        anthropic_fake.api_key = "a key rotated without telling the app"
        app.state.provider_check.every = 0.0  # no minute to wait in a test
        await readiness(client)  # answers from the last check, asks again meanwhile
        await app.state.provider_check.settled()
        status, data = await readiness(client)
        assert status == 200 and data["status"] == "degraded"
        llm = data["checks"]["llm"]
        assert not llm["ok"] and "claude" in llm["message"], llm
    finally:
        await client.aclose()
        await stop(app)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_rate_limits_counted_per_replica_degrade_readiness(
    tmp_path: Path, config_dir: Path
) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        redis_url=f"redis://127.0.0.1:{closed_port()}/0",
    )
    app, client = await open_client(settings)
    try:
        status, data = await readiness(client)
        assert data["checks"]["rate_limits"] == {"ok": True, "shared": True, "message": None}
        await client.start_session()  # counted: Redis fails, this replica counts alone
        status, data = await readiness(client)
        assert status == 200 and data["status"] == "degraded"
        limits = data["checks"]["rate_limits"]
        assert limits["ok"] is False and limits["shared"] is False
        assert "per replica" in limits["message"]
    finally:
        await client.aclose()
        await stop(app)


async def test_metrics_report_the_database_connections_in_use(
    tmp_path: Path, config_dir: Path
) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir)
    app, client = await open_client(settings)
    try:
        async with app.state.db.engine.connect():  # one connection checked out meanwhile
            text = (await client.get("/metrics")).text
        gauge = next(
            line for line in text.splitlines() if line.startswith("memoai_db_pool_connections")
        )
        assert float(gauge.split()[1]) >= 1, gauge
    finally:
        await client.aclose()
        await stop(app)
