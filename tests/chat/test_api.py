"""The chat API end to end on the offline provider, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

from memoai.app import stop
from memoai.settings import Settings
from tests.chat.support import (
    SCRIPT,
    Callers,
    ask,
    ask_streamed,
    evaluate,
    history,
    lowest_criterion,
    open_chat,
)

from helpers import ApiClient, make_settings, open_client


async def test_opening_a_chat_twice_returns_the_same_session(client: ApiClient) -> None:
    evaluation = await evaluate(client)
    first = await client.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation["id"]})
    assert first.status_code == 201, first.text
    chat = first.json()["data"]
    assert chat["evaluation_id"] == evaluation["id"]
    assert chat["messages"] == [] and chat["message_count"] == 0
    again = await client.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation["id"]})
    assert again.status_code == 200
    assert again.json()["data"]["id"] == chat["id"]
    found = await client.get("/api/v1/chat/sessions", params={"evaluation_id": evaluation["id"]})
    assert [item["id"] for item in found.json()["data"]["items"]] == [chat["id"]]


async def test_another_session_reaches_neither_the_evaluation_nor_the_chat(
    callers: Callers,
) -> None:
    owner, stranger = callers.first, callers.second
    evaluation = await evaluate(owner)
    chat = await open_chat(owner, evaluation["id"])
    await ask(owner, chat["id"], "How do I rewrite my opening?")

    refused = [
        await stranger.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation["id"]}),
        await stranger.get(f"/api/v1/chat/sessions/{chat['id']}"),
        await ask(stranger, chat["id"], "Show me their memo"),
        await stranger.get("/api/v1/chat/sessions", params={"evaluation_id": evaluation["id"]}),
        await owner.post("/api/v1/chat/sessions", json={"evaluation_id": str(uuid.uuid4())}),
    ]
    for response in refused:
        assert response.status_code == 404, response.text
        assert response.json()["errors"][0]["code"] == "NOT_FOUND"
    assert (await stranger.get("/api/v1/chat/sessions")).json()["data"]["items"] == []
    assert len(await history(owner, chat["id"])) == 2  # the stranger's message was not stored


async def test_offline_reply_is_honest_and_explains_the_asked_criterion(client: ApiClient) -> None:
    evaluation = await evaluate(client)
    chat = await open_chat(client, evaluation["id"])
    low = lowest_criterion(evaluation)
    response = await ask(client, chat["id"], f"Why did I get {low['score']} on {low['name']}?")
    assert response.status_code == 201, response.text
    reply = response.json()["data"]
    assert reply["role"] == "assistant" and reply["status"] == "completed"
    assert "not an AI model" in reply["content"]
    scale_max = evaluation["scale"]["max"]
    assert f"You scored {low['score']} out of {scale_max} on {low['name']}" in reply["content"]
    assert reply["provider"] == "offline" and reply["label"] == "offline analysis"
    assert reply["error"] is None
    assert reply["context"]["history_trimmed"] is False


async def test_stream_sends_started_deltas_and_the_stored_reply(client: ApiClient) -> None:
    evaluation = await evaluate(client)
    chat = await open_chat(client, evaluation["id"])
    events = await ask_streamed(client, chat["id"], "How do I rewrite my opening?")
    names = [name for name, _ in events]
    assert names[0] == "started" and names[-1] == "completed"
    assert set(names[1:-1]) == {"delta"} and len(names) > 3
    started, completed = events[0][1], events[-1][1]
    assert started["user_message"]["content"] == "How do I rewrite my opening?"
    assert (
        "".join(data["text"] for name, data in events if name == "delta") == (completed["content"])
    )
    stored = await history(client, chat["id"])
    assert [m["id"] for m in stored] == [started["user_message"]["id"], completed["id"]]
    assert stored[1]["content"] == completed["content"]


async def test_history_is_kept_in_order_across_restarts(
    client: ApiClient, settings: Settings
) -> None:
    evaluation = await evaluate(client)
    chat = await open_chat(client, evaluation["id"])
    questions = ["Summarise my feedback", "How do I rewrite my opening?", "What about evidence?"]
    for question in questions:
        assert (await ask(client, chat["id"], question)).status_code == 201
    messages = await history(client, chat["id"])
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert [m["content"] for m in messages[::2]] == questions

    app, again = await open_client(settings)
    try:
        again.cookies = client.cookies
        reopened = await again.post(
            "/api/v1/chat/sessions", json={"evaluation_id": evaluation["id"]}
        )
        assert reopened.status_code == 200
        assert reopened.json()["data"]["messages"] == messages
        listed = (await again.get("/api/v1/chat/sessions")).json()["data"]["items"]
        assert [(c["id"], c["message_count"]) for c in listed] == [(chat["id"], 6)]
    finally:
        await again.aclose()
        await stop(app)


async def test_bad_messages_get_clear_codes_and_nothing_is_stored(client: ApiClient) -> None:
    evaluation = await evaluate(client)
    chat = await open_chat(client, evaluation["id"])
    cases = {
        "TEXT_EMPTY": " \n\t ",
        "TEXT_TOO_LONG": "x" * 2001,
        "TEXT_INVALID": "Why\x00 my score\x07?",
    }
    for code, text in cases.items():
        response = await ask(client, chat["id"], text)
        assert response.status_code == 422, response.text
        error = response.json()["errors"][0]
        assert error["code"] == code and error["field"] == "message_content"
    too_long = (await ask(client, chat["id"], "x" * 2001)).json()["errors"][0]
    assert too_long["details"] == {"max_chars": 2000, "actual_chars": 2001}
    assert "2,000" in too_long["message"]
    unknown = await client.post(
        f"/api/v1/chat/sessions/{chat['id']}/messages", json={"message_content": "Hi", "x": 1}
    )
    assert unknown.status_code == 422
    assert await history(client, chat["id"]) == []


async def test_message_limit_follows_the_setting(
    db_url: str, tmp_path: Path, config_dir: Path
) -> None:
    settings = make_settings(db_url, tmp_path, config_dir, chat_max_chars=100)
    app, client = await open_client(settings)
    try:
        await client.start_session()
        chat = await open_chat(client, (await evaluate(client))["id"])
        assert (await ask(client, chat["id"], "y" * 100)).status_code == 201
        refused = (await ask(client, chat["id"], "y" * 101)).json()["errors"][0]
        assert refused["code"] == "TEXT_TOO_LONG" and refused["details"]["max_chars"] == 100
    finally:
        await client.aclose()
        await stop(app)


async def test_markup_in_memo_and_message_is_stored_and_returned_verbatim(
    client: ApiClient,
) -> None:
    memo = f"Subject: Pilot {SCRIPT}\n\nWe request $50,000 for the pilot. {SCRIPT} Approve by May."
    evaluation = await evaluate(client, memo)
    chat = await open_chat(client, evaluation["id"])
    question = f"Is {SCRIPT} a problem in my opening?"
    assert (await ask(client, chat["id"], question)).status_code == 201
    messages = await history(client, chat["id"])
    assert messages[0]["content"] == question
    raw = (await client.get(f"/api/v1/chat/sessions/{chat['id']}")).text
    assert "<script>alert(1)</script>" in raw  # JSON data, not HTML: escaping is the page's job
    assert evaluation["text_content"] == memo


async def test_chat_waits_for_a_completed_evaluation(callers: Callers) -> None:
    client = callers.first
    evaluation = await evaluate(client)
    async with callers.app.state.db.sessions() as db:
        from memoai.evaluations import service

        await service.update_fields(db, uuid.UUID(evaluation["id"]), status="running")
    response = await client.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation["id"]})
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "CONFLICT"
