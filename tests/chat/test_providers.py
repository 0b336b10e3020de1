"""Chat through the real SDKs against the fake Claude and OpenAI servers: streaming, retries,
timeouts that never lose the question, and histories trimmed to the model's context window."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from memoai.app import create_app, start, stop
from memoai.chat.service import estimate_tokens
from memoai.settings import Settings
from memoai.web.asgi import StreamingASGITransport
from tests.chat.support import MEMO, ask, ask_streamed, evaluate, history, iter_events, open_chat
from tests.fakes.anthropic_server import CHAT_REPLY
from tests.fakes.common import FakeServer, hang, ok, status, trickle
from tests.fakes.fixtures import FAKE_KEY
from tests.fakes.openai_server import CHAT_REPLY as OPENAI_REPLY

from helpers import ApiClient, make_settings


def claude(fake: FakeServer, **overrides: Any) -> dict[str, Any]:
    return {
        "llm_provider": "claude",
        "claude_api_key": FAKE_KEY,
        "llm_model": "claude-test",
        "llm_base_url": fake.url,
        "llm_timeout_seconds": 5.0,
        "llm_max_retries": 2,
        **overrides,
    }


async def started_client(
    settings: Settings, cookies: httpx.Cookies | None = None
) -> tuple[Any, ApiClient]:
    """A client whose API streams for real (the in-process transport that does not buffer)."""
    app = create_app(settings)
    await start(app, settings)
    client = ApiClient(transport=StreamingASGITransport(app), base_url="http://testserver")
    if cookies is None:
        await client.start_session()
    else:
        client.cookies = cookies
    return app, client


@pytest.fixture
async def claude_client(
    db_url: str, tmp_path: Path, config_dir: Path, anthropic_fake: FakeServer
) -> AsyncIterator[ApiClient]:
    # The whole reply must arrive within the timeout: 2 s leaves the streamed test's ~0.6 s
    # of paced chunks room on a loaded CI machine, and the fakes' 5 s hang still exceeds it.
    settings = make_settings(
        db_url, tmp_path, config_dir, **claude(anthropic_fake, llm_timeout_seconds=2.0)
    )
    app, client = await started_client(settings)
    try:
        yield client
    finally:
        await client.aclose()
        await stop(app)


async def _chat(client: ApiClient) -> str:
    evaluation = await evaluate(client)
    return str((await open_chat(client, evaluation["id"]))["id"])


async def test_claude_reply_streams_chunk_by_chunk_with_the_evaluation_as_context(
    claude_client: ApiClient, anthropic_fake: FakeServer
) -> None:
    chat_id = await _chat(claude_client)
    anthropic_fake.push(trickle(0.3, interval=0.1))
    arrivals: list[tuple[str, float]] = []
    events = []
    sent = time.monotonic()
    async with claude_client.stream(
        "POST",
        f"/api/v1/chat/sessions/{chat_id}/messages?stream=true",
        json={"message_content": "How do I strengthen the ask?"},
    ) as response:
        async for event in iter_events(response):
            arrivals.append((event[0], time.monotonic()))
            events.append(event)
    names = [name for name, _ in events]
    assert names[0] == "started" and names[-1] == "completed"
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) >= 3 and "".join(deltas) == CHAT_REPLY
    first_delta = next(at for name, at in arrivals if name == "delta")
    assert first_delta - sent >= 0.3  # the model's first token, not before
    assert arrivals[-1][1] - first_delta >= 0.2  # later chunks came as the model sent them
    request = anthropic_fake.last.body
    system = request["system"][0]["text"]
    assert MEMO.strip() in system and "Purpose and explicit ask" in system
    assert request["messages"] == [{"role": "user", "content": "How do I strengthen the ask?"}]
    assert events[-1][1]["label"] == "Claude (claude-test)"


async def test_overloaded_claude_is_retried_before_the_first_chunk(
    claude_client: ApiClient, anthropic_fake: FakeServer
) -> None:
    chat_id = await _chat(claude_client)
    anthropic_fake.push(status(529, retry_after=0.01), ok())
    before = len(anthropic_fake.requests)
    response = await ask(claude_client, chat_id, "Why this score on evidence?")
    assert response.status_code == 201, response.text
    assert response.json()["data"]["content"] == CHAT_REPLY
    assert len(anthropic_fake.requests) - before == 2


async def test_a_timeout_ends_as_a_failed_reply_and_the_question_is_kept(
    claude_client: ApiClient, anthropic_fake: FakeServer
) -> None:
    chat_id = await _chat(claude_client)
    anthropic_fake.push(hang(5.0))
    response = await ask(claude_client, chat_id, "Will this time out?")
    assert response.status_code == 504
    error = response.json()["errors"][0]
    assert error["code"] == "LLM_TIMEOUT" and "Your message is saved" in error["message"]
    assert error["details"]["user_message"]["content"] == "Will this time out?"
    stored = await history(claude_client, chat_id)
    assert [(m["role"], m["status"]) for m in stored] == [
        ("user", "completed"),
        ("assistant", "failed"),
    ]
    assert stored[1]["error"]["code"] == "LLM_TIMEOUT"

    anthropic_fake.push(hang(5.0))
    events = await ask_streamed(claude_client, chat_id, "And streamed?")
    assert [name for name, _ in events] == ["started", "failed"]
    assert events[-1][1]["error"]["code"] == "LLM_TIMEOUT"
    assert len(await history(claude_client, chat_id)) == 4

    # The failed turns are left out of the history sent with the next question.
    anthropic_fake.push(ok())
    assert (await ask(claude_client, chat_id, "Third try")).status_code == 201
    sent = anthropic_fake.last.body["messages"]
    assert sent == [
        {"role": "user", "content": "Will this time out?\n\nAnd streamed?\n\nThird try"}
    ]


async def test_a_failed_reply_is_kept_in_the_writers_language(
    claude_client: ApiClient, anthropic_fake: FakeServer
) -> None:
    chat_id = await _chat(claude_client)
    claude_client.headers["Accept-Language"] = "es"
    anthropic_fake.push(hang(5.0))
    response = await ask(claude_client, chat_id, "¿Se agotará el tiempo?")
    assert response.status_code == 504
    assert response.json()["errors"][0]["code"] == "LLM_TIMEOUT"
    stored = (await history(claude_client, chat_id))[-1]
    assert stored["error"]["code"] == "LLM_TIMEOUT"  # the code stays; the sentence is Spanish
    assert stored["error"]["message"].startswith(
        "El modelo de IA tardó demasiado en responder. Su mensaje está guardado"
    )


async def test_openai_compatible_server_streams_a_reply(
    db_url: str, tmp_path: Path, config_dir: Path, openai_fake: FakeServer
) -> None:
    settings = make_settings(
        db_url,
        tmp_path,
        config_dir,
        llm_provider="openai",
        openai_api_key=FAKE_KEY,
        llm_model="gpt-4o-mini",
        llm_base_url=f"{openai_fake.url}/v1",
    )
    app, client = await started_client(settings)
    try:
        chat_id = await _chat(client)
        openai_fake.push(trickle(0.05))
        events = await ask_streamed(client, chat_id, "Which framework fits my memo?")
        assert [n for n, _ in events][-1] == "completed"
        assert "".join(d["text"] for n, d in events if n == "delta") == OPENAI_REPLY
        messages = openai_fake.last.body["messages"]
        assert messages[0]["role"] == "system" and MEMO.strip() in messages[0]["content"]
        assert messages[-1] == {"role": "user", "content": "Which framework fits my memo?"}
        assert events[-1][1]["label"] == "gpt-4o-mini (OpenAI-compatible)"
    finally:
        await client.aclose()
        await stop(app)


async def test_long_history_is_trimmed_to_the_newest_turns_that_fit(
    db_url: str, tmp_path: Path, config_dir: Path, anthropic_fake: FakeServer
) -> None:
    settings = make_settings(
        db_url, tmp_path, config_dir, **claude(anthropic_fake, llm_max_tokens=256)
    )
    questions = [letter * 1600 for letter in "ABCD"]  # 400 tokens each
    app, client = await started_client(settings)
    try:
        chat_id = await _chat(client)
        for question in questions[:3]:
            reply = (await ask(client, chat_id, question)).json()["data"]
        assert len(anthropic_fake.last.body["messages"]) == 5  # a large window: everything
        assert reply["context"]["history_trimmed"] is False
        system = estimate_tokens(anthropic_fake.last.body["system"][0]["text"])
        cookies = client.cookies
    finally:
        await client.aclose()
        await stop(app)

    # Room for the system context, the reply and two questions with their answers.
    window = system + 256 + 2 * 400 + 2 * estimate_tokens(CHAT_REPLY) + 10
    llm_file = config_dir / "llm.yaml"
    llm = yaml.safe_load(llm_file.read_text())
    llm["context_window_tokens"]["claude-test"] = window
    llm_file.write_text(yaml.safe_dump(llm))
    app, client = await started_client(settings, cookies)
    try:
        reply = (await ask(client, chat_id, questions[3])).json()["data"]
    finally:
        await client.aclose()
        await stop(app)
    sent = anthropic_fake.last.body["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [
        ("user", questions[2]),
        ("assistant", CHAT_REPLY),
        ("user", questions[3]),
    ]
    assert reply["status"] == "completed"
    assert reply["context"]["history_trimmed"] is True
    assert reply["context"]["turns_dropped"] == 4
    assert reply["context"]["context_window_tokens"] == window
