"""The evaluation API end to end on the offline analyser, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from memoai.app import stop

from helpers import ApiClient, make_settings, open_client

MEMO = """To: Executive Leadership Team
From: Dana Whitfield, Director of Patient Access
Date: 3 March 2025
Subject: Request for $420,000 to pilot digital patient intake

I request approval of $420,000 to pilot digital patient intake at two clinics from July.

Paper intake takes 14 minutes per patient and causes 11% of claim denials. A pilot at two
clinics would cut intake time to 5 minutes and save an estimated $610,000 a year.

Risks: staff adoption and integration with our EHR. We will mitigate them with two weeks of
training and a vendor-led integration test before go-live.

Please approve the pilot by 15 April so we can start in July.
"""


async def test_submit_returns_a_complete_offline_evaluation(client: ApiClient) -> None:
    response = await client.post(
        "/api/v1/evaluations", json={"text_content": MEMO, "title": "Pilot"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["errors"] == []
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    data = body["data"]
    assert data["status"] == "completed"
    assert data["text_content"] == MEMO
    assert data["title"] == "Pilot"
    assert data["provenance"]["label"] == "offline analysis"
    assert data["provenance"]["provider"] == "offline"
    assert data["strengths"] and data["opportunities"]
    ids = [s["criterion_id"] for s in data["rubric_scores"]]
    assert len(ids) == len(set(ids)) >= 5
    assessed = [s for s in data["rubric_scores"] if s["score"] is not None]
    total = sum(s["weight"] for s in assessed)
    expected = sum(s["score"] * s["weight"] for s in assessed) / total
    assert abs(data["overall_score"] - round(expected, 2)) < 0.01
    assert data["metrics"]["has_headers"] is True
    assert data["metrics"]["has_explicit_ask"] is True
    for seg in data["segment_feedback"]:
        assert MEMO[seg["start"] : seg["end"]] == seg["segment"]


async def test_identical_request_is_reused_unless_fresh(client: ApiClient) -> None:
    first = (await client.post("/api/v1/evaluations", json={"text_content": MEMO})).json()["data"]
    again = await client.post("/api/v1/evaluations", json={"text_content": MEMO})
    assert again.status_code == 200
    assert again.json()["data"]["id"] == first["id"]
    assert again.json()["data"]["reused"] is True
    fresh = await client.post("/api/v1/evaluations", json={"text_content": MEMO, "fresh": True})
    assert fresh.status_code == 201
    assert fresh.json()["data"]["id"] != first["id"]


async def test_list_get_and_isolation_between_sessions(client: ApiClient, settings: object) -> None:
    created = (await client.post("/api/v1/evaluations", json={"text_content": MEMO})).json()
    eval_id = created["data"]["id"]
    listing = (await client.get("/api/v1/evaluations")).json()["data"]
    assert listing["total"] == 1 and listing["items"][0]["id"] == eval_id
    assert (await client.get(f"/api/v1/evaluations/{eval_id}")).status_code == 200

    client.cookies.clear()
    await client.start_session()
    other = await client.get(f"/api/v1/evaluations/{eval_id}")
    assert other.status_code == 404
    assert other.json()["errors"][0]["code"] == "NOT_FOUND"
    assert (await client.get("/api/v1/evaluations")).json()["data"]["total"] == 0
    retry = await client.post(f"/api/v1/evaluations/{eval_id}/retry")
    assert retry.status_code == 404


async def test_revision_chain_is_recorded(client: ApiClient) -> None:
    first = (await client.post("/api/v1/evaluations", json={"text_content": MEMO})).json()["data"]
    revised = MEMO.replace("Please approve", "Kindly approve")
    second = await client.post(
        "/api/v1/evaluations", json={"text_content": revised, "revision_of": first["id"]}
    )
    assert second.status_code == 201
    assert second.json()["data"]["revision_of"] == first["submission_id"]
    missing = await client.post(
        "/api/v1/evaluations", json={"text_content": revised, "revision_of": str(uuid.uuid4())}
    )
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["field"] == "revision_of"


async def test_stream_sends_started_partials_and_completed(client: ApiClient) -> None:
    events: list[tuple[str, dict[str, object]]] = []
    async with client.stream(
        "POST", "/api/v1/evaluations?stream=true", json={"text_content": MEMO}
    ) as response:
        assert response.status_code == 201
        assert response.headers["content-type"].startswith("text/event-stream")
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event:
                events.append((event, json.loads(line[6:])))
    names = [e for e, _ in events]
    assert names[0] == "started"
    assert names[-1] == "completed"
    assert "partial" in names
    partials = [d for e, d in events if e == "partial"]
    assert any(p.get("strengths") for p in partials)
    final = events[-1][1]
    assert final["status"] == "completed"
    stored = await client.get(f"/api/v1/evaluations/{final['id']}")
    assert stored.json()["data"]["overall_score"] == final["overall_score"]


async def test_debug_mode_stores_raw_prompt_without_secrets(
    db_url: str, tmp_path: Path, config_dir: Path
) -> None:
    settings = make_settings(db_url, tmp_path, config_dir, debug_mode=True)
    app, client = await open_client(settings)
    try:
        await client.start_session()
        data = (await client.post("/api/v1/evaluations", json={"text_content": MEMO})).json()
        info = await client.get("/api/v1/debug/info", params={"evaluation_id": data["data"]["id"]})
        (record,) = info.json()["data"]["records"]
        assert MEMO.strip()[:40] in record["prompt"] and "model_ms" in record["timings"]
    finally:
        await client.aclose()
        await stop(app)
