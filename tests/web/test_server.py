"""`memoai serve`'s one-process app, and the in-process transport it relies on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

import memoai.app
from memoai.server import create_combined_app, is_api_path
from memoai.web.asgi import StreamingASGITransport
from tests.web.conftest import site_settings


def test_api_paths_go_to_the_api_and_the_rest_to_the_web() -> None:
    assert all(
        is_api_path(p) for p in ("/api", "/api/v1/x", "/health", "/health/ready", "/metrics")
    )
    assert not any(is_api_path(p) for p in ("/", "/apiary", "/ui/evaluate", "/static/app.css"))


def test_one_process_serves_both_and_starts_the_api_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[object] = []
    original = memoai.app.start

    async def counting_start(app: object, settings: object) -> None:
        starts.append(app)
        await original(app, settings)  # type: ignore[arg-type]

    monkeypatch.setattr(memoai.app, "start", counting_start)
    app = create_combined_app(site_settings(tmp_path))
    with TestClient(app) as client:
        assert client.get("/health").json()["data"] == {"status": "ok"}
        assert client.get("/api/v1/config/client").json()["data"]["provider"] == "offline"
        page = client.get("/")
        assert page.status_code == 200 and "Memo AI Coach" in page.text
        assert "memoai_session" in client.cookies  # the web started it through the API
        missing = client.get("/api/v1/nothing")
        assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NOT_FOUND"
        assert app.state.flow is not None
    assert len(starts) == 1


async def test_the_in_process_transport_streams_each_chunk_as_it_is_sent() -> None:
    release = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await release.wait()
        await send({"type": "http.response.body", "body": b"second", "more_body": False})

    client = httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://t")
    async with client, client.stream("GET", "/") as response:
        assert response.headers["x-a"] == "1"
        chunks = response.aiter_bytes()
        assert await asyncio.wait_for(anext(chunks), 1) == b"first"
        release.set()
        assert await asyncio.wait_for(anext(chunks), 1) == b"second"


async def test_a_client_that_goes_away_disconnects_the_app() -> None:
    disconnected = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        if (await receive())["type"] == "http.disconnect":
            disconnected.set()

    client = httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://t")
    async with client, client.stream("GET", "/") as response:
        await anext(response.aiter_bytes())
    assert disconnected.is_set()


async def test_an_app_that_fails_before_answering_raises() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    async with httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://t") as c:
        with pytest.raises(RuntimeError, match="boom"):
            await c.get("/")
