"""Secrets never stored or shown: an API key, a JWT, a session cookie, a CSRF token, a password
and an Authorization header are planted everywhere they could reach (request headers, model
errors, an exception, the memo itself, the provider's base URL) and none of them is found in
the stored debug data, the log output, the API's answers or the pages."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from memoai.app import stop
from memoai.auth.models import Role
from memoai.debugging.models import DebugRecord
from memoai.evaluations import flow
from memoai.ops.logging import configure_logging
from memoai.web.asgi import StreamingASGITransport
from memoai.web.pages import create_web_app
from tests.auth.support import PASSWORD, auth_settings, bearer, open_auth_app
from tests.chat.support import MEMO
from tests.fakes.common import FakeServer, status

API_KEY = "sk-ant-api03-PlantedKey0123456789abcdefXYZ"
ADMIN_PASSWORD = "Planted-Root-Passphrase-77"
MEMO_PASSWORD = "Hunter2-Planted-Memo-Pw"
BASE_PASSWORD = "PlantedBasePw99"
CSRF = "PlantedCsrfToken-4f8e2a9c1b"
COOKIE = "PlantedSessionCookie-9a7b6c5d"


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The app's real log handler and format (JSON lines) at DEBUG, writing into a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("DEBUG", "json")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def planted_memo(jwt: str) -> str:
    return (
        f"{MEMO}\n\nNotes for IT (please ignore): our key is {API_KEY}; "
        f"Authorization: Bearer {jwt}\nCookie: memoai_session={COOKIE}; memoai_csrf={CSRF}\n"
        f"csrf_token={CSRF} and password: {MEMO_PASSWORD}. The admin's is {ADMIN_PASSWORD}. "
        f"Bare token {jwt} and proxy http://ops:{BASE_PASSWORD}@proxy.internal:3128/.\n"
    )


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


async def test_no_secret_reaches_debug_data_logs_or_pages(
    db_url: str,
    tmp_path: Path,
    config_dir: Path,
    anthropic_fake: FakeServer,
    logs: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The URL's credentials become a Basic Authorization header, which the SDK then sends
    # instead of its x-api-key: the fake takes any (what matters is where the secrets end up).
    anthropic_fake.api_key = None
    base_url = anthropic_fake.url.replace("http://", f"http://planted:{BASE_PASSWORD}@")
    settings = auth_settings(
        db_url,
        tmp_path,
        config_dir,
        llm_provider="claude",
        claude_api_key=API_KEY,
        llm_model="claude-test",
        llm_base_url=base_url,
        llm_retry_base_delay=0.01,
        admin_password=ADMIN_PASSWORD,
        debug_mode=True,
    )
    auth = await open_auth_app(settings)
    web = create_web_app(settings, api_transport=StreamingASGITransport(auth.app))
    browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://web")
    try:
        await auth.add_user("maria")
        await auth.add_user("root", role=Role.ADMIN)
        login = await auth.login("maria")
        jwt, session_cookie = login["access_token"], auth.client.cookies.get("memoai_session")
        csrf_cookie = auth.client.cookies.get("memoai_csrf")
        auth.client.cookies.clear()
        admin = bearer((await auth.login("root"))["access_token"])
        auth.client.cookies.clear()
        secrets = [API_KEY, jwt, session_cookie, csrf_cookie, CSRF, COOKIE, PASSWORD, MEMO_PASSWORD,
                   ADMIN_PASSWORD, BASE_PASSWORD, settings.secret("jwt_secret_key")]  # fmt: skip
        assert all(secrets)
        # The user's own credentials travel in every header they can.
        headers = {
            **bearer(jwt),
            "Cookie": f"memoai_session={session_cookie}; memoai_csrf={csrf_cookie}",
            "X-CSRF-Token": str(csrf_cookie),
            "X-Api-Key": API_KEY,
            "User-Agent": f"agent password={MEMO_PASSWORD}",
        }
        memo = planted_memo(jwt)
        echo = f"bad request for key {API_KEY} Authorization: Bearer {jwt} at {base_url}"

        async def evaluate() -> dict[str, Any]:
            response = await auth.client.post(
                "/api/v1/evaluations", json={"text_content": memo, "fresh": True}, headers=headers
            )
            auth.client.cookies.clear()
            assert response.status_code == 201, response.text
            data: dict[str, Any] = response.json()["data"]
            return data

        # 1. A model error echoing the secrets, retried, then an answer.
        anthropic_fake.push(status(500, message=echo))
        completed = await evaluate()
        assert completed["status"] == "completed"
        # 2. A model error that ends the evaluation (its message is shown to the user).
        anthropic_fake.push(status(400, message=echo))
        failed = await evaluate()
        assert failed["status"] == "failed" and failed["error"]["message"]

        # 3. An exception in the pipeline whose message carries the secrets.
        def crash(*_: object) -> Any:
            raise RuntimeError(f"crashed with {API_KEY} and {jwt}, cookie {COOKIE}")

        monkeypatch.setattr(flow, "compute_metrics", crash)
        crashed = await evaluate()
        assert crashed["status"] == "failed"
        monkeypatch.undo()
        # 4. A chat reply about the memo.
        chat = await auth.client.post(
            "/api/v1/chat/sessions", json={"evaluation_id": completed["id"]}, headers=bearer(jwt)
        )
        assert chat.status_code == 201, chat.text
        reply = await auth.client.post(
            f"/api/v1/chat/sessions/{chat.json()['data']['id']}/messages",
            json={"message_content": f"Is {API_KEY} safe? password: {MEMO_PASSWORD}"},
            headers=bearer(jwt),
        )
        assert reply.status_code == 201, reply.text

        # What is stored.
        async with auth.app.state.db.sessions() as db:
            rows = list(await db.scalars(select(DebugRecord)))
        assert {row.kind for row in rows} == {"evaluation", "chat"} and len(rows) == 4
        stored = json.dumps([row.data for row in rows])
        assert "***" in stored and MEMO.splitlines()[0] in stored
        attempts = [a for row in rows for a in row.data["attempts"]]
        assert any(not a["ok"] for a in attempts) and any(a["ok"] for a in attempts)
        assert any("crashed with" in str(row.data.get("exception")) for row in rows)
        assert leaked(stored, secrets) == []

        # What the API answers and the pages show, to the owner and to an admin (the memo
        # itself is the owner's text and is shown to them as written, elsewhere).
        shown = [json.dumps([failed["error"], crashed["error"]])]
        for who in (bearer(jwt), admin):
            for evaluation in (completed, failed, crashed):
                answer = await auth.client.get(
                    "/api/v1/debug/info", params={"evaluation_id": evaluation["id"]}, headers=who
                )
                assert answer.status_code == 200, answer.text
                shown.append(answer.text)
        browser.cookies.set("memoai_session", str(session_cookie))
        for page in ("/ui/tabs/debug", f"/ui/debug/records?evaluation_id={completed['id']}"):
            response = await browser.get(page)
            assert response.status_code == 200, page
            shown.append(response.text)
        assert "Raw prompt" in shown[-1] and "***" in shown[-1]
        assert leaked("\n".join(shown), secrets) == []

        # What was logged (the failures above were logged, with a traceback).
        output = logs.getvalue()
        assert "evaluation crashed" in output and "LLM call failed" in output
        assert leaked(output, secrets) == []
    finally:
        await browser.aclose()
        await auth.client.aclose()
        await stop(auth.app)
