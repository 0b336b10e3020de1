"""Two `memoai api` processes on one database: an admin edit on one is in force on the other
within two seconds, for the next evaluation, and so is the rollback (issue 11)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.admin.test_config_api import MEMO, NEW_CRITERION
from tests.replicas import api_replicas, sign_in_as_admin


@pytest.fixture
def replicas(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two API processes sharing the database, each with its own config folder, so the second
    can only learn of an edit through the database."""
    with api_replicas(db_url, tmp_path) as urls:
        yield urls


def criteria_on(client: httpx.Client) -> list[str]:
    response = client.get("/api/v1/config/rubric")
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]["criteria"]]


def until_seen(client: httpx.Client, present: bool) -> float:
    """Seconds until the other replica's rubric has (or lacks) the new criterion."""
    started = time.monotonic()
    while ("brevity" in criteria_on(client)) != present:
        assert time.monotonic() - started < 2.0, "the other replica did not notice in 2 s"
        time.sleep(0.05)
    return time.monotonic() - started


def evaluated_criteria(client: httpx.Client) -> list[str]:
    client.cookies.clear()  # a new session each time, named by its token
    token = client.post("/api/v1/sessions").json()["data"]["token"]
    client.cookies.clear()
    made = client.post(
        "/api/v1/evaluations",
        json={"text_content": MEMO, "fresh": True},
        headers={"X-Session-Token": token},
    )
    assert made.status_code == 201, made.text
    data: dict[str, Any] = made.json()["data"]
    return [s["criterion_id"] for s in data["rubric_scores"]]


def test_an_edit_on_one_replica_is_in_force_on_the_other(replicas: tuple[str, str]) -> None:
    url_a, url_b = replicas
    with (
        httpx.Client(base_url=url_a, timeout=20) as a,
        httpx.Client(base_url=url_b, timeout=20) as b,
    ):
        sign_in_as_admin(a)
        rubric = a.get("/api/v1/admin/config/rubric").json()["data"]
        text = rubric["content"].replace("criteria:\n", "criteria:\n" + NEW_CRITERION, 1)
        assert "brevity" not in evaluated_criteria(b)

        saved = a.put("/api/v1/admin/config/rubric", json={"content": text})
        assert saved.status_code == 200, saved.text
        until_seen(b, present=True)
        assert "brevity" in evaluated_criteria(b)

        back = a.post("/api/v1/admin/config/rubric/rollback", json={"version": 1})
        assert back.status_code == 200, back.text
        until_seen(b, present=False)
        assert "brevity" not in evaluated_criteria(b)
