"""A chat reply cut off by a crash: a real `memoai serve` is killed (SIGKILL) while the fake
model trickles its answer; after the restart the question has a failed, retryable reply
(CHAT_INTERRUPTED) instead of a promise that never comes, the Chat tab offers to send it
again, and sending it again gets the answer. On PostgreSQL, where other replicas may still be
answering, only chats quiet for longer than any reply can take are touched."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from memoai.chat import service
from memoai.chat.models import ChatMessage, ChatSession, Role
from memoai.db import Database, utcnow
from memoai.evaluations.models import Evaluation, Submission
from memoai.sessions.models import Session as BrowserSession
from tests.deploy.nginx_layout import free_port
from tests.deploy.processes import Service, base_env, http_ok, wait_until
from tests.fakes.common import FakeServer, ok, trickle
from tests.fakes.fixtures import FAKE_KEY, SAMPLE_MEMO

MEMOAI = Path(sys.executable).parent / "memoai"
# Generous: on a loaded CI machine importing the app alone has taken 20 s.
START_SECONDS = 120.0
QUESTION = "How do I make the ask clearer?"


@pytest.fixture
def server(tmp_path: Path, config_dir: Path, anthropic_fake: FakeServer) -> Iterator[Service]:
    port = free_port()
    env = base_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'memoai.db'}",
        DATA_DIR=str(tmp_path / "data"),
        BACKUP_DIR=str(tmp_path / "backups"),
        CONFIG_DIR=str(config_dir),
        LLM_PROVIDER="claude",
        CLAUDE_API_KEY=FAKE_KEY,
        LLM_MODEL="claude-test",
        LLM_BASE_URL=anthropic_fake.url,
        CSRF_PROTECTION="false",
    )
    argv = [str(MEMOAI), "serve", "--port", str(port)]
    service = Service("memoai", argv, env=env, cwd=tmp_path, log=tmp_path / "serve.log")
    service.port = port  # type: ignore[attr-defined]
    try:
        yield service
    finally:
        service.stop()


def start(service: Service) -> str:
    url = f"http://127.0.0.1:{service.port}"  # type: ignore[attr-defined]
    service.start()
    wait_until(
        lambda: http_ok(f"{url}/health"), "memoai serve", timeout=START_SECONDS, service=service
    )
    return url


def events_until_delta(client: httpx.Client, path: str) -> list[str]:
    """Ask in a stream and return the event names up to the first piece of the reply."""
    seen = []
    with client.stream("POST", path, json={"message_content": QUESTION}) as response:
        assert response.status_code == 201
        for line in response.iter_lines():
            if line.startswith("event: "):
                seen.append(line[7:])
                if seen[-1] == "delta":
                    return seen
    raise AssertionError(f"the stream ended without a delta: {seen}")


def test_a_reply_cut_off_by_sigkill_is_marked_failed_and_can_be_sent_again(
    server: Service, anthropic_fake: FakeServer
) -> None:
    # Evaluations answer at once; chat replies trickle, one chunk every two seconds.
    anthropic_fake.default = lambda body: ok() if body.get("tools") else trickle(0.1, 2.0)
    url = start(server)
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("/api/v1/sessions").status_code in (200, 201)
        created = client.post("/api/v1/evaluations", json={"text_content": SAMPLE_MEMO})
        assert created.status_code == 201, created.text
        evaluation_id = created.json()["data"]["id"]
        chat = client.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation_id})
        chat_id = chat.json()["data"]["id"]
        path = f"/api/v1/chat/sessions/{chat_id}/messages?stream=true"
        assert events_until_delta(client, path) == ["started", "delta"]
        server.kill()  # mid-reply: the question is stored, the answer is not

        anthropic_fake.default = lambda body: ok()
        start(server)
        messages = client.get(f"/api/v1/chat/sessions/{chat_id}").json()["data"]["messages"]
        assert [(m["role"], m["status"]) for m in messages] == [
            ("user", "completed"),
            ("assistant", "failed"),
        ]
        assert messages[0]["content"] == QUESTION
        assert messages[1]["error"]["code"] == "CHAT_INTERRUPTED"
        assert "send it again" in messages[1]["error"]["message"]

        page = client.get("/ui/chat", params={"evaluation_id": evaluation_id})
        assert page.status_code == 200
        assert "CHAT_INTERRUPTED" in page.text and "data-chat-retry" in page.text

        # What the page's retry button does: the same question, sent again.
        again = client.post(
            f"/api/v1/chat/sessions/{chat_id}/messages", json={"message_content": QUESTION}
        )
        assert again.status_code == 201, again.text
        assert again.json()["data"]["status"] == "completed"
        prompt = anthropic_fake.last.body["messages"]
        assert [turn["role"] for turn in prompt] == ["user"]  # asked once, not twice


async def add_chat(
    db: Database, roles: list[str], at: Any, later: Sequence[str] = (), later_at: Any = None
) -> Any:
    """A chat with messages of these roles written at `at`, then those of `later` at `later_at`."""
    async with db.sessions() as session:
        browser = BrowserSession(token_hash=f"t{at.timestamp()}{len(roles)}", expires_at=at)
        session.add(browser)
        await session.flush()
        submission = Submission(session_id=browser.id, text_content=SAMPLE_MEMO, text_hash="h")
        session.add(submission)
        await session.flush()
        evaluation = Evaluation(
            submission_id=submission.id,
            session_id=browser.id,
            request_key="k",
            provider="offline",
            model="rules",
            config_version="v",
            rubric_version="v",
        )
        session.add(evaluation)
        await session.flush()
        chat = ChatSession(evaluation_id=evaluation.id, session_id=browser.id)
        session.add(chat)
        await session.flush()
        for role in roles:
            session.add(ChatMessage(chat_session_id=chat.id, role=role, content="q", created_at=at))
        for role in later:
            session.add(
                ChatMessage(chat_session_id=chat.id, role=role, content="q", created_at=later_at)
            )
        await session.commit()
        return chat.id


async def test_only_chats_quiet_since_the_cutoff_are_recovered(db_url: str) -> None:
    from memoai import migrations

    db = Database(db_url)
    try:
        await migrations.upgrade(db.engine)
        now = utcnow()
        old = now - timedelta(minutes=10)
        lost = await add_chat(db, [Role.USER, Role.ASSISTANT, Role.USER, Role.USER], old)
        answered = await add_chat(db, [Role.USER, Role.ASSISTANT], old)
        recent = await add_chat(db, [Role.USER], now)
        async with db.sessions() as session:
            assert await service.recover_interrupted(session, now - timedelta(minutes=5)) == 2
            assert await service.recover_interrupted(session, now - timedelta(minutes=5)) == 0
            rows = await session.execute(
                select(ChatMessage.chat_session_id, ChatMessage.error_code).where(
                    ChatMessage.role == Role.ASSISTANT
                )
            )
            markers = [chat for chat, code in rows.all() if code == "CHAT_INTERRUPTED"]
        assert markers == [lost, lost]
        assert answered not in markers and recent not in markers
    finally:
        await db.dispose()


async def test_a_chat_used_after_the_crash_still_gets_its_lost_reply(db_url: str) -> None:
    from memoai import migrations

    db = Database(db_url)
    try:
        await migrations.upgrade(db.engine)
        now = utcnow()
        old = now - timedelta(minutes=10)
        # Asked before the crash, never answered; the writer then asked again and got a reply.
        continued = await add_chat(db, [Role.USER], old, [Role.USER, Role.ASSISTANT], now)
        # Answered before the crash; a new question is being answered right now elsewhere.
        busy = await add_chat(db, [Role.USER, Role.ASSISTANT], old, [Role.USER], now)
        async with db.sessions() as session:
            assert await service.recover_interrupted(session, now - timedelta(minutes=5)) == 1
            rows = await session.execute(
                select(ChatMessage.chat_session_id).where(
                    ChatMessage.error_code == "CHAT_INTERRUPTED"
                )
            )
            assert [chat for (chat,) in rows.all()] == [continued]
        assert busy != continued
    finally:
        await db.dispose()
