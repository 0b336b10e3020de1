"""Two `memoai api` processes on one database: debug mode switched on one replica is on for
the other within two seconds, and ends by itself on both (issue 12)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.replicas import api_replicas, sign_in_as_admin

MINUTES = 0.1  # six seconds


@pytest.fixture
def replicas(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two API processes sharing the database, debug mode off by default."""
    with api_replicas(db_url, tmp_path, DEBUG_MODE="false") as urls:
        yield urls


def debug_mode(client: httpx.Client) -> bool:
    response = client.get("/api/v1/config/client")
    assert response.status_code == 200, response.text
    return bool(response.json()["data"]["debug_mode"])


def until(client: httpx.Client, wanted: bool, limit: float) -> float:
    """Seconds until the replica's debug mode is `wanted`; fails after `limit` seconds."""
    started = time.monotonic()
    while debug_mode(client) != wanted:
        assert time.monotonic() - started < limit, f"debug mode still {not wanted}"
        time.sleep(0.05)
    return time.monotonic() - started


def test_the_switch_reaches_both_replicas_and_expires(replicas: tuple[str, str]) -> None:
    url_a, url_b = replicas
    with (
        httpx.Client(base_url=url_a, timeout=20) as a,
        httpx.Client(base_url=url_b, timeout=20) as b,
    ):
        sign_in_as_admin(a)
        assert not debug_mode(a) and not debug_mode(b)

        on = a.post("/api/v1/admin/debug/toggle", json={"enabled": True, "minutes": MINUTES})
        assert on.status_code == 200, on.text
        switched = time.monotonic()
        assert debug_mode(a)  # at once where it was switched
        until(b, True, 2.0)
        # Both end by themselves, each within two seconds of the end time.
        left = MINUTES * 60 - (time.monotonic() - switched)
        until(b, False, left + 2.0)
        until(a, False, 2.0)

        on = a.post("/api/v1/admin/debug/toggle", json={"enabled": True})
        assert on.status_code == 200 and on.json()["data"]["enabled"]
        until(b, True, 2.0)
        off = a.post("/api/v1/admin/debug/toggle", json={"enabled": False})
        assert off.status_code == 200, off.text
        until(b, False, 2.0)
