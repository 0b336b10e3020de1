"""Readiness details and metrics go to trusted addresses or the metrics token; the public gets
the status. Readiness fails only when this replica cannot serve (database, storage)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from memoai.app import create_app, start, stop
from memoai.db import create_engine
from memoai.ops import health
from memoai.settings import Settings, load_settings

from helpers import make_settings

TOKEN = "m3trics-" + "t" * 24
PUBLIC = "198.51.100.9"
Connect = Callable[..., httpx.AsyncClient]


@pytest.fixture
def ops_settings(tmp_path: Path, config_dir: Path) -> Settings:
    return make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        metrics_token=TOKEN,
        metrics_allowed_ips="127.0.0.1, 10.20.0.0/16",
        forwarded_allow_ips="10.9.9.9",
    )


@pytest.fixture
async def started(ops_settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(ops_settings)
    await start(app, ops_settings)
    try:
        yield app
    finally:
        await stop(app)


@pytest.fixture
async def connect(started: FastAPI) -> AsyncIterator[Connect]:
    clients: list[httpx.AsyncClient] = []

    def make(address: str, **headers: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=started, client=(address, 40000))
        client = httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def readiness(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/health/ready")
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def test_the_public_gets_only_the_status(connect: Connect) -> None:
    status, body = await readiness(connect(PUBLIC))
    assert status == 200
    assert body["data"] == {"status": "ready", "checks": None}
    metrics = await connect(PUBLIC).get("/metrics")
    assert metrics.status_code == 403
    assert metrics.json()["errors"][0]["code"] == "FORBIDDEN"
    assert "memoai_" not in metrics.text
    wrong = connect(PUBLIC, authorization="Bearer not-the-token")
    assert (await wrong.get("/metrics")).status_code == 403
    assert (await readiness(wrong))[1]["data"]["checks"] is None


@pytest.mark.parametrize(
    ("address", "headers"),
    [
        ("127.0.0.1", {}),
        ("10.20.3.4", {}),  # a network of METRICS_ALLOWED_IPS
        (PUBLIC, {"authorization": f"Bearer {TOKEN}"}),
        ("10.9.9.9", {"x-forwarded-for": "10.20.7.7"}),  # named by a trusted proxy
    ],
)
async def test_trusted_callers_get_details_and_metrics(
    connect: Connect, address: str, headers: dict[str, str]
) -> None:
    client = connect(address, **headers)
    status, body = await readiness(client)
    assert status == 200
    checks = body["data"]["checks"]
    assert set(checks) == {
        "database",
        "disk",
        "configuration",
        "llm",
        "rate_limits",
        "backup",
        "authentication",
    }
    assert checks["disk"]["free_bytes"] > 0
    assert checks["configuration"]["version"]
    assert checks["llm"]["provider"] == "offline"
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "memoai_http_requests_total" in metrics.text


async def test_an_address_relayed_by_an_unknown_proxy_is_not_trusted(connect: Connect) -> None:
    """A local proxy not in FORWARDED_ALLOW_IPS relays the public from 127.0.0.1."""
    relayed = connect("127.0.0.1", **{"x-forwarded-for": PUBLIC})
    assert (await relayed.get("/metrics")).status_code == 403
    assert (await readiness(relayed))[1]["data"]["checks"] is None
    via_proxy = connect("10.9.9.9", **{"x-forwarded-for": PUBLIC})  # the proxy names the public
    assert (await via_proxy.get("/metrics")).status_code == 403


async def test_shared_troubles_degrade_but_do_not_fail_readiness(
    started: FastAPI, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = SimpleNamespace(name="claude", model="claude-x", problem="the key was refused")
    monkeypatch.setattr(started.state.flow, "provider", refused)
    problems = property(lambda registry: ["rubric.yaml: line 3"])  # a read-only property
    monkeypatch.setattr(type(started.state.configs), "problems", problems)
    monkeypatch.setattr(health, "backup_health", lambda settings: {"ok": False, "message": "old"})
    status, body = await readiness(connect("127.0.0.1"))
    assert status == 200
    assert body["data"]["status"] == "degraded"
    checks = body["data"]["checks"]
    assert not checks["llm"]["ok"] and not checks["configuration"]["ok"]
    assert not checks["backup"]["ok"] and checks["database"]["ok"]
    public_status, public_body = await readiness(connect(PUBLIC))
    assert (public_status, public_body["data"]) == (200, {"status": "degraded", "checks": None})


async def test_an_unreachable_database_fails_readiness(
    started: FastAPI, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = create_engine("postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setattr(started.state.db, "engine", dead)
    monkeypatch.setattr(started.state.db, "url", "postgresql://nobody@127.0.0.1:9/none")
    try:
        status, body = await readiness(connect(PUBLIC))
        assert status == 503
        error = body["errors"][0]
        assert error["code"] == "SERVICE_UNAVAILABLE" and "database" in error["message"]
        assert error["details"] == {}  # nothing more for the public
        status, body = await readiness(connect("127.0.0.1"))
        assert status == 503
        assert body["errors"][0]["details"]["checks"]["database"]["ok"] is False
    finally:
        await dead.dispose()


async def test_a_full_volume_fails_readiness(
    connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "MIN_FREE_BYTES", 1 << 62)
    status, body = await readiness(connect("127.0.0.1"))
    assert status == 503
    assert "disk" in body["errors"][0]["message"]
    assert body["errors"][0]["details"]["checks"]["disk"]["ok"] is False


def test_the_metrics_token_can_come_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "metrics_token"
    secret.write_text(TOKEN + "\n")
    monkeypatch.setenv("METRICS_TOKEN_FILE", str(secret))
    assert load_settings(_env_file=None).secret("metrics_token") == TOKEN
