"""One page view of the web interface counts once against the API's rate limits.

The web layer names the page view in X-MemoAI-Page-View; the API believes it only from the
web layer (its in-process transport, or a proxy in FORWARDED_ALLOW_IPS).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from memoai.app import create_app, start, stop
from memoai.ops.ratelimit import PAGE_VIEW_CALLS
from memoai.settings import Settings
from memoai.web.asgi import StreamingASGITransport
from tests.ops.test_ratelimit import unique_address

from helpers import make_settings

READS = 5
VIEW = "x-memoai-page-view"


@pytest.fixture(autouse=True)
async def away_from_a_window_edge() -> None:
    into_minute = time.time() % 60
    if into_minute > 54:
        await asyncio.sleep(60.2 - into_minute)


@pytest.fixture
def settings(tmp_path: Path, config_dir: Path) -> Callable[..., Settings]:
    def build(**extra: object) -> Settings:
        return make_settings(
            f"sqlite:///{tmp_path / 'memoai.db'}",
            tmp_path,
            config_dir,
            rate_limit_reads_per_minute=READS,
            rate_limit_per_minute=READS,
            **extra,
        )

    return build


@asynccontextmanager
async def clients(settings: Settings) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """`connect(kind)`: "web" calls as the in-process web layer does, "browser" as anyone."""
    app = create_app(settings)
    await start(app, settings)
    opened: list[httpx.AsyncClient] = []
    address = unique_address()

    def connect(kind: str) -> httpx.AsyncClient:
        transport: httpx.AsyncBaseTransport = (
            StreamingASGITransport(app, client=(address, 40000))
            if kind == "web"
            else httpx.ASGITransport(app=app, client=(address, 40000))
        )
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return opened[-1]

    try:
        yield connect
    finally:
        for client in opened:
            await client.aclose()
        await stop(app)


async def page_view(client: httpx.AsyncClient, token: str, calls: int = 6) -> list[int]:
    """What a page load does: renew the session, then several reads, all in one view."""
    view = {VIEW: secrets.token_urlsafe(16), "x-session-token": token}
    statuses = [(await client.post("/api/v1/sessions", headers=view)).status_code]
    for _ in range(calls - 1):
        statuses.append((await client.get("/api/v1/sessions/current", headers=view)).status_code)
    return statuses


async def test_a_page_view_from_the_web_layer_counts_once(
    settings: Callable[..., Settings],
) -> None:
    async with clients(settings()) as connect:
        web = connect("web")
        token = (await web.post("/api/v1/sessions")).json()["data"]["token"]  # a write
        for _ in range(READS):  # five views of six calls each fit in five reads
            assert set(await page_view(web, token)) <= {200, 201}
        refused = await page_view(web, token)
        assert refused[0] == 429  # the sixth view is over the reads' limit...
        answer = await web.get(
            "/api/v1/sessions/current", headers={VIEW: "a" * 22, "x-session-token": token}
        )
        assert answer.status_code == 429  # ...and a refused view lets nothing ride on it
        assert answer.json()["errors"][0]["details"]["scope"] == "reads"


async def test_the_header_from_anyone_else_is_not_believed(
    settings: Callable[..., Settings],
) -> None:
    async with clients(settings()) as connect:
        browser = connect("browser")
        token = (await browser.post("/api/v1/sessions")).json()["data"]["token"]
        statuses = await page_view(browser, token)
        # The POST is a write; every read counts: the fifth read is the limit, the sixth no.
        assert statuses == [201, 200, 200, 200, 200, 200]
        assert (await page_view(browser, token, calls=2))[1] == 429


async def test_a_trusted_proxy_names_the_page_view(settings: Callable[..., Settings]) -> None:
    """The split topology: the frontend process is a proxy in FORWARDED_ALLOW_IPS."""
    async with clients(settings(forwarded_allow_ips="198.18.0.0/15")) as connect:
        frontend = connect("browser")  # over the network, from a trusted address
        token = (await frontend.post("/api/v1/sessions")).json()["data"]["token"]
        for _ in range(READS):
            assert set(await page_view(frontend, token)) <= {200, 201}
        assert (await page_view(frontend, token))[0] == 429


async def test_one_view_rides_for_a_bounded_number_of_calls(
    settings: Callable[..., Settings],
) -> None:
    async with clients(settings()) as connect:
        web = connect("web")
        token = (await web.post("/api/v1/sessions")).json()["data"]["token"]
        view = {VIEW: secrets.token_urlsafe(16), "x-session-token": token}
        statuses = [
            (await web.get("/api/v1/sessions/current", headers=view)).status_code
            for _ in range(PAGE_VIEW_CALLS + READS)
        ]
        # One count for the first PAGE_VIEW_CALLS calls, then each call counts again.
        assert statuses == [200] * (PAGE_VIEW_CALLS + READS - 1) + [429]
