"""Every answer keeps its request id and the security headers, unhandled errors included;
wrong content types answer 415; a 405 names every method of the path."""

from __future__ import annotations

import errno
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from memoai.app import create_app, start, stop
from memoai.ops.logging import JsonFormatter
from memoai.settings import Settings
from memoai.web.pages import create_web_app

from helpers import ApiClient, make_settings

SECURITY_HEADERS = (
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "permissions-policy",
    "content-security-policy",
)
MEMO = {"text_content": "To: Team\nSubject: Budget\n\nI request $5,000 for a pilot by Friday."}


@pytest.fixture
def app_settings(tmp_path: Path, config_dir: Path) -> Settings:
    return make_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        rate_limit_per_minute=5,
        rate_limit_reads_per_minute=5,
        max_body_bytes=2048,
    )


async def boom(request: Request) -> Response:
    raise RuntimeError("a bug")


async def disk_full(request: Request) -> Response:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
async def api(app_settings: Settings) -> AsyncIterator[ApiClient]:
    app = create_app(app_settings)
    app.add_route("/api/v1/boom", boom)
    app.add_route("/api/v1/disk-full", disk_full, methods=["POST"])
    await start(app, app_settings)
    client = ApiClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    try:
        yield client
    finally:
        await client.aclose()
        await stop(app)


@pytest.fixture
def error_log() -> Iterator[io.StringIO]:
    """The errors logger's lines as the product writes them (JSON, with the request id)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("memoai.errors")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def assert_in_context(response: httpx.Response, request_id: str | None = None) -> None:
    body = response.json()
    assert body["meta"]["request_id"] == response.headers["x-request-id"] != "-"
    if request_id:
        assert response.headers["x-request-id"] == request_id
    for header in SECURITY_HEADERS:
        assert header in response.headers, header


async def test_an_unhandled_error_keeps_its_request_id_and_headers(
    api: ApiClient, error_log: io.StringIO
) -> None:
    response = await api.get("/api/v1/boom", headers={"x-request-id": "trace-me-123"})
    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == "INTERNAL_ERROR"
    assert "a bug" not in response.text  # no trace to the client
    assert_in_context(response, "trace-me-123")
    lines = [json.loads(line) for line in error_log.getvalue().splitlines()]
    (logged,) = [line for line in lines if line["message"] == "unhandled error"]
    assert logged["request_id"] == "trace-me-123"
    assert "RuntimeError: a bug" in logged["exception"]
    assert logged["path"] == "/api/v1/boom"


async def test_a_full_disk_answers_507_in_context(api: ApiClient) -> None:
    response = await api.post("/api/v1/disk-full")
    assert response.status_code == 507
    assert response.json()["errors"][0]["code"] == "DISK_FULL"
    assert_in_context(response)


async def test_a_web_page_error_keeps_its_request_id_and_headers(
    app_settings: Settings, error_log: io.StringIO
) -> None:
    web = create_web_app(app_settings)
    web.router.routes.append(Route("/boom", boom))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://testserver"
    ) as browser:
        response = await browser.get("/boom", headers={"x-request-id": "page-fault-1"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")  # the page's own handler
    assert response.headers["x-request-id"] == "page-fault-1"
    for header in SECURITY_HEADERS:
        assert header in response.headers, header
    assert '"request_id": "page-fault-1"' in error_log.getvalue()


async def test_refusals_of_the_middleware_keep_request_id_and_headers(api: ApiClient) -> None:
    too_large = await api.post("/api/v1/sessions", content=b"{" + b" " * 4096 + b"}")
    assert too_large.status_code == 413
    assert too_large.json()["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
    assert_in_context(too_large)
    statuses = [(await api.get("/api/v1/sessions/current")).status_code for _ in range(6)]
    assert statuses[-1] == 429
    limited = await api.get("/api/v1/sessions/current", headers={"x-request-id": "slow-down-1"})
    assert limited.status_code == 429
    assert_in_context(limited, "slow-down-1")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps(MEMO)),
        ("application/x-www-form-urlencoded", "text_content=hello"),
        ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="a"'),
        ("application/xml", "<memo/>"),
    ],
)
async def test_a_body_that_is_not_json_answers_415(
    api: ApiClient, content_type: str, body: str
) -> None:
    await api.start_session()
    response = await api.post(
        "/api/v1/evaluations", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 415, response.text
    error = response.json()["errors"][0]
    assert error["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "application/json" in error["message"]
    assert error["details"]["content_type"] == content_type
    assert_in_context(response)


async def test_json_media_types_are_not_refused(api: ApiClient) -> None:
    await api.start_session()
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await api.post(
            "/api/v1/evaluations", content=json.dumps(MEMO), headers={"content-type": content_type}
        )
        assert response.status_code in (200, 201), response.text
        await api.start_session()  # a fresh session for the next text
    broken = await api.post(
        "/api/v1/evaluations", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["code"] == "INVALID_JSON"


async def test_a_405_names_every_method_of_the_path(api: ApiClient) -> None:
    response = await api.delete("/api/v1/evaluations")
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "METHOD_NOT_ALLOWED"
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert "DELETE" not in allowed
    assert_in_context(response)
