"""GET /api/v1/debug/info: what debug mode captured for an evaluation and its chat replies,
to the evaluation's owner and to admins; someone else gets 404, nobody signed in 401."""

from __future__ import annotations

from typing import Any

from tests.admin.accounts import Admin, error
from tests.auth.support import bearer
from tests.chat.support import MEMO

INFO = "/api/v1/debug/info"


async def evaluate(admin: Admin, token: str) -> str:
    data = await admin.ok(
        "POST", "/api/v1/evaluations", 201, json={"text_content": MEMO}, headers=bearer(token)
    )
    assert data["status"] == "completed"
    return str(data["id"])


async def info(admin: Admin, evaluation_id: str, token: str | None = None) -> Any:
    headers = bearer(token) if token else None
    return await admin.ok("GET", INFO, params={"evaluation_id": evaluation_id}, headers=headers)


async def test_owner_and_admins_see_the_run_and_its_chat_replies(admin: Admin) -> None:
    _, maria = await admin.user("maria")
    await admin.ok("POST", "/api/v1/admin/debug/toggle", json={"enabled": True})
    evaluation_id = await evaluate(admin, maria)
    chat = await admin.ok(
        "POST", "/api/v1/chat/sessions", 201, json={"evaluation_id": evaluation_id},
        headers=bearer(maria),
    )  # fmt: skip
    reply = await admin.ok(
        "POST", f"/api/v1/chat/sessions/{chat['id']}/messages", 201,
        json={"message_content": "Which part first?"}, headers=bearer(maria),
    )  # fmt: skip

    seen = await info(admin, evaluation_id, maria)
    assert seen["debug_mode"] is True and seen["evaluation_id"] == evaluation_id
    run, answer = seen["records"]
    assert run["kind"] == "evaluation" and run["chat_message_id"] is None
    assert MEMO.splitlines()[0] in run["prompt"] and run["prompt"].startswith("[system]")
    assert '"rubric_scores"' in run["response"] and run["error"] is None
    assert {"queue_ms", "prepare_ms", "model_ms", "validation_ms", "database_ms"} <= set(
        run["timings"]
    )
    assert all(ms >= 0 for ms in run["timings"].values())
    assert run["details"] == {"provider": "offline", "model": "rules-v1"}
    assert answer["kind"] == "chat" and answer["chat_message_id"] == reply["id"]
    assert "Which part first?" in answer["prompt"] and answer["response"]
    assert {"queue_ms", "model_ms", "database_ms"} <= set(answer["timings"])
    assert await info(admin, evaluation_id) == seen  # an admin sees it as well


async def test_nothing_is_captured_while_it_is_off(admin: Admin) -> None:
    _, maria = await admin.user("maria")
    evaluation_id = await evaluate(admin, maria)
    seen = await info(admin, evaluation_id, maria)
    assert seen == {"evaluation_id": evaluation_id, "debug_mode": False, "records": []}


async def test_someone_else_and_nobody_are_refused(admin: Admin) -> None:
    _, maria = await admin.user("maria")
    _, olga = await admin.user("olga")
    await admin.ok("POST", "/api/v1/admin/debug/toggle", json={"enabled": True})
    evaluation_id = await evaluate(admin, maria)
    params = {"evaluation_id": evaluation_id}
    other = await admin.call("GET", INFO, params=params, headers=bearer(olga))
    assert other.status_code == 404 and error(other)["code"] == "NOT_FOUND"
    nobody = await admin.call("GET", INFO, params=params, headers={"X-Nobody": "1"})
    assert nobody.status_code == 401
    missing = await admin.call("GET", INFO, params={"evaluation_id": "0" * 32})
    assert missing.status_code == 404
    assert (await admin.call("GET", INFO)).status_code == 422
