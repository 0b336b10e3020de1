"""The production topology, natively on loopback: the deployment plan proven end to end.

nginx (rendered from nginx/nginx.conf.template by scripts/render-nginx.sh, certificate from
scripts/make-cert.sh) in front of two `memoai api` replicas and one `memoai web`, on a scratch
PostgreSQL database, rate limits shared through Redis, the fake Anthropic server as the model.
Everything over HTTPS through nginx, as a browser or an API client would see it: the evaluation
journey, security headers, the HTTP redirect, body limits, rate limits across replicas, a
replica killed and a rolling restart under load (no request may fail), and a backup restored
after the database was destroyed.

The tests share one topology (module scope) and run in file order; each one leaves both
replicas running.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.topology import (
    MEMOAI,
    NGINX,
    Limits,
    Stack,
    client_addresses,
    delete_redis_keys,
    new_request_id,
    postgres_problem,
    redis_problem,
    table_names,
    temp_prefix,
)

pytestmark = pytest.mark.slow

POSTGRES_URL = os.environ.get("MEMOAI_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("MEMOAI_TEST_REDIS_URL")
PROVIDER_DELAY = 0.3  # seconds the fake model takes for every answer
# Low enough to reach in a test, above what one load client sends in a minute (a phase sends
# at most MAX_PER_CLIENT, plus nginx's resends of requests a dying replica had counted).
EVALUATIONS_PER_MINUTE = 30
API_PER_MINUTE = 120
FAIL_TIMEOUT = "2s"  # nginx's passive health check (10 s in production): keeps the suite short
CLIENTS = 20
MIN_PER_CLIENT = 5
MAX_PER_CLIENT = 20
MEMO = (
    "To: the operations team. We should move the weekly release to Thursday because the "
    "Friday releases caused three weekend incidents this quarter. Please confirm by Monday."
)


def skip_reason() -> str | None:
    if NGINX is None:
        return "nginx is not installed (CI installs it: scripts/setup-system.sh)"
    if shutil.which("openssl") is None:
        return "openssl is not installed"
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        return "the PostgreSQL client (pg_dump, pg_restore) is not installed"
    if not MEMOAI.exists():
        return f"the memoai command is not installed next to the interpreter ({MEMOAI})"
    if not POSTGRES_URL:
        return "MEMOAI_TEST_POSTGRES_URL is not set"
    if not REDIS_URL:
        return "MEMOAI_TEST_REDIS_URL is not set"
    return postgres_problem(POSTGRES_URL) or redis_problem(REDIS_URL)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    assert POSTGRES_URL and REDIS_URL
    prefix = temp_prefix()
    topology = Stack(
        prefix,
        admin_postgres_url=POSTGRES_URL,
        redis_url=REDIS_URL,
        limits=Limits(EVALUATIONS_PER_MINUTE, API_PER_MINUTE),
        provider_delay=PROVIDER_DELAY,
        fail_timeout=FAIL_TIMEOUT,
    )
    started = time.monotonic()
    try:
        topology.start()
        print(f"\ntopology up in {time.monotonic() - started:.1f}s under {prefix}")
        yield topology
    finally:
        try:
            topology.close()
        finally:
            shutil.rmtree(prefix, ignore_errors=True)


def start_session(client: httpx.Client) -> dict[str, str]:
    """An anonymous session (cookies kept by the client); the headers a browser page sends."""
    answer = client.post("/api/v1/sessions")
    assert answer.status_code in (200, 201), answer.text
    return {"X-CSRF-Token": client.cookies["memoai_csrf"]}


def evaluate(client: httpx.Client, headers: dict[str, str], text: str, **extra: Any) -> Any:
    answer = client.post(
        "/api/v1/evaluations", json={"text_content": text, **extra}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


# --- (1) the evaluation journey ----------------------------------------------------------------


def test_the_evaluation_journey_through_nginx(stack: Stack) -> None:
    (address,) = stack.new_addresses(1)
    with stack.client(address) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "<html" in page.text.lower()
        # The page started a session through the frontend -> internal listener -> a replica.
        assert {"memoai_session", "memoai_csrf"} <= set(client.cookies.keys())
        headers = start_session(client)  # the live session is reused (200)

        plain = evaluate(client, headers, MEMO, title="Release day")
        assert plain["status"] == "completed"
        assert plain["provenance"]["provider"] == "claude"
        assert plain["rubric_scores"] and plain["strengths"]

        started = time.monotonic()
        arrivals: list[tuple[float, str]] = []
        with client.stream(
            "POST",
            "/api/v1/evaluations?stream=true",
            json={"text_content": MEMO + " Second draft.", "title": "Release day, v2"},
            headers=headers,
        ) as stream:
            assert stream.status_code == 201
            assert stream.headers["content-type"].startswith("text/event-stream")
            for chunk in stream.iter_text():
                arrivals.append((time.monotonic() - started, chunk))
        events = [
            line.split(":", 1)[1].strip()
            for _, chunk in arrivals
            for line in chunk.splitlines()
            if line.startswith("event:")
        ]
        assert events[0] == "started" and events[-1] == "completed", events
        first_at = next(at for at, chunk in arrivals if "event: started" in chunk)
        done_at = next(at for at, chunk in arrivals if "event: completed" in chunk)
        # `started` is sent before the model answers, `completed` after: had nginx buffered
        # the stream, both would arrive together at the end.
        assert done_at - first_at >= PROVIDER_DELAY * 0.8, arrivals

        listed = client.get("/api/v1/evaluations")
        assert listed.status_code == 200
        items = listed.json()["data"]["items"]
        assert [item["title"] for item in items] == ["Release day, v2", "Release day"]
        again = client.get(f"/api/v1/evaluations/{plain['id']}")
        assert again.status_code == 200
        assert again.json()["data"]["overall_score"] == plain["overall_score"]
        assert again.json()["data"]["text_content"] == MEMO
