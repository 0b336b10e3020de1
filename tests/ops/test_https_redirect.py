"""HTTPS_ONLY redirects plain HTTP (believing X-Forwarded-Proto only from trusted proxies),
keeps the probes on plain HTTP, and the in-process web layer passes the browser's address and
scheme to the API without any forwarding header being trusted."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from memoai.app import create_app, start, stop
from memoai.server import create_combined_app
from memoai.settings import Settings

from helpers import make_settings

PROXY = "10.0.0.7"
Connect = Callable[..., httpx.AsyncClient]


@pytest.fixture
def https_settings(tmp_path: Path, config_dir: Path) -> Settings:
    return make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        https_only=True,
        forwarded_allow_ips=f"{PROXY}/32",
    )


@pytest.fixture
async def connect(https_settings: Settings) -> AsyncIterator[Connect]:
    """Clients of one started API app, each from the address it names."""
    app = create_app(https_settings)
    await start(app, https_settings)
    clients: list[httpx.AsyncClient] = []

    def make(address: str = "127.0.0.1", **kw: Any) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        kw.setdefault("base_url", "http://memo.test")
        clients.append(httpx.AsyncClient(transport=transport, **kw))
        return clients[-1]

    try:
        yield make
    finally:
        for client in clients:
            await client.aclose()
        await stop(app)


async def test_plain_http_is_redirected_with_the_method_kept(connect: Connect) -> None:
    client = connect()
    got = await client.get("/api/v1/sessions/current?x=1")
    assert got.status_code == 301
    assert got.headers["location"] == "https://memo.test/api/v1/sessions/current?x=1"
    assert got.headers["x-request-id"]
    assert "max-age" in got.headers["strict-transport-security"]
    posted = await client.post("/api/v1/sessions", json={})
    assert posted.status_code == 308  # a POST must be repeated as a POST, with its body
    assert posted.headers["location"] == "https://memo.test/api/v1/sessions"


async def test_probes_stay_on_plain_http(connect: Connect) -> None:
    client = connect()
    assert (await client.get("/health")).status_code == 200
    assert (await client.get("/health/ready")).status_code == 200
    assert (await client.get("/metrics")).status_code == 200  # loopback: a trusted address


async def test_forwarded_proto_counts_only_from_a_trusted_proxy(connect: Connect) -> None:
    https = {"x-forwarded-proto": "https"}
    stranger = connect("192.0.2.50", headers=https)
    assert (await stranger.post("/api/v1/sessions")).status_code == 308
    proxy = connect(PROXY, headers={**https, "x-forwarded-for": "198.51.100.23"})
    started = await proxy.post("/api/v1/sessions")
    assert started.status_code == 201
    plain = connect(PROXY, headers={"x-forwarded-proto": "http"})
    assert (await plain.post("/api/v1/sessions")).status_code == 308
    tls = connect(base_url="https://memo.test")  # TLS straight to the app: scheme https
    assert (await tls.post("/api/v1/sessions")).status_code == 201


async def test_the_in_process_web_layer_passes_the_browsers_address_and_scheme(
    https_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """`memoai serve` behind a TLS proxy: the page's API calls arrive as the browser's, over
    HTTPS (no redirect loop), and no X-Forwarded-For is believed from the in-process peer."""
    combined = create_combined_app(https_settings)
    await start(combined.api, https_settings)
    transport = httpx.ASGITransport(app=combined, client=(PROXY, 40000))
    headers = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.77"}
    caplog.set_level(logging.INFO, logger="memoai.access")
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://memo.test", headers=headers
        ) as browser:
            page = await browser.get("/")
            assert page.status_code == 200, page.text
            assert (
                await browser.get("/", headers={"x-forwarded-proto": "http"})
            ).status_code == 301
    finally:
        await combined.web.state.web.api.aclose()
        await stop(combined.api)
    api_calls = [r for r in caplog.records if getattr(r, "path", "").startswith("/api/")]
    assert api_calls, "the page made no API call"
    assert {getattr(r, "client", None) for r in api_calls} == {"203.0.113.77"}
    assert {getattr(r, "status", None) for r in api_calls} <= {200, 201}
