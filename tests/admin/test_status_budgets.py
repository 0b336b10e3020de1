"""GET /api/v1/admin/status on seeded usage, and daily budgets: the default, a user's own
(higher, lower, none), back to the default, and the reset at 00:00 UTC."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from memoai.app import stop
from memoai.chat.models import ChatMessage, Role
from memoai.db import utcnow
from memoai.evaluations.budgets import day_start, resets_at
from memoai.evaluations.models import Status
from memoai.sessions.models import Session
from tests.admin.accounts import Admin, error, sign_in_admin
from tests.admin.usage_seed import Spec, add_evaluations, add_users
from tests.auth.support import auth_settings, bearer, open_auth_app

DEFAULT_BUDGET = 0.4
MEMO = "To: Board\nSubject: Scanner pilot\n\nI request $12,000 for a scanner pilot. Please approve."


@pytest.fixture
async def budgeted(db_url: str, tmp_path: Path, config_dir: Path) -> AsyncIterator[Admin]:
    """The admin app with a default daily budget of $0.40."""
    settings = auth_settings(db_url, tmp_path, config_dir, llm_daily_budget_usd=DEFAULT_BUDGET)
    opened = await open_auth_app(settings)
    try:
        yield await sign_in_admin(opened)
    finally:
        await opened.client.aclose()
        await stop(opened.app)


def earlier_today(now: datetime, minutes: float = 10) -> datetime:
    """A moment today (UTC) and within the last hour, even just after midnight."""
    return now - min(timedelta(minutes=minutes), (now - day_start(now)) / 2)


async def seed(admin: Admin, specs: list[Spec]) -> None:
    async with admin.auth.app.state.db.engine.begin() as conn:
        await add_evaluations(conn, specs)


async def test_status_reports_health_activity_usage_and_budget_use(budgeted: Admin) -> None:
    admin, now = budgeted, utcnow()
    async with admin.auth.app.state.db.engine.begin() as conn:
        people = await add_users(conn, ["alice", "bob"])
    alice, bob = people["alice"], people["bob"]
    priced = {"provider": "claude", "model": "claude-haiku-4-5"}
    today = earlier_today(now)
    await seed(
        admin,
        [
            Spec(alice, today, {}, cost_usd=0.1, tokens=(1000, 200, 100), **priced),
            Spec(alice, today, {}, cost_usd=0.1, tokens=(1000, 200, 100), **priced),
            Spec(bob, today, {}, cost_usd=0.5, tokens=(5000, 900, 0), **priced),
            Spec(alice, day_start(now) - timedelta(hours=3), {}, cost_usd=1.0, **priced),
            Spec(alice, now - timedelta(days=40), {}, cost_usd=9.0, **priced),  # outside 30 days
            # The configured (offline) provider's last hour: one failure in four calls.
            *(Spec(bob, today, {}, latency_ms=ms) for ms in (100, 200, 300)),
            Spec(bob, today, {}, latency_ms=400, status=Status.FAILED),
        ],
    )
    data = await admin.ok("GET", "/api/v1/admin/status?days=30")

    assert data["database"]["ok"] and data["database"]["size_bytes"] > 0
    assert data["database"]["latency_ms"] >= 0
    provider = data["provider"]
    assert (provider["provider"], provider["calls_last_hour"]) == ("offline", 4)
    assert (provider["failures_last_hour"], provider["error_rate"]) == (1, 0.25)
    assert provider["p95_latency_ms"] == 400 and provider["last_success_at"]
    assert data["configuration"]["ok"] and data["disk"]["ok"] and "ok" in data["backup"]
    assert data["sessions"]["active"] >= 3 and data["sessions"]["signed_in"] >= 3
    assert data["evaluations"]["today"] == 7 and data["evaluations"]["failed_today"] == 1
    assert data["evaluations"]["this_week"] >= 7

    usage = data["usage"]
    assert usage["days"] == 30 and len(usage["per_day"]) == 30
    assert usage["total"]["cost_usd"] == pytest.approx(1.7)
    assert usage["total"]["evaluations"] == 8
    last = usage["per_day"][-1]
    assert last["day"] == now.date().isoformat()
    assert (last["evaluations"], last["prompt_tokens"], last["completion_tokens"]) == (
        7,
        7000,
        1300,
    )
    assert last["cached_tokens"] == 200 and last["cost_usd"] == pytest.approx(0.7)
    claude = next(m for m in usage["per_model"] if m["provider"] == "claude")
    assert claude["model"] == "claude-haiku-4-5" and claude["cost_usd"] == pytest.approx(1.7)
    assert usage["per_model"][0] == claude  # the most expensive first
    top = {u["username"]: u for u in usage["top_users"]}
    assert [u["username"] for u in usage["top_users"]] == ["alice", "bob"]
    assert top["alice"]["cost_usd"] == pytest.approx(1.2)
    assert top["alice"]["spent_today_usd"] == pytest.approx(0.2)
    assert (
        top["bob"]["daily_budget_usd"] == DEFAULT_BUDGET
        and top["bob"]["budget_source"] == "default"
    )
    budget = usage["budget"]
    assert budget["default_daily_usd"] == DEFAULT_BUDGET
    assert budget["spent_today_usd"] == pytest.approx(0.7)
    assert budget["over_budget"] == 1  # bob: $0.50 of $0.40
    assert budget["resets_at"].startswith((day_start(now) + timedelta(days=1)).date().isoformat())

    await admin.ok("PUT", f"/api/v1/admin/budgets/{bob[0]}", json={"daily_budget_usd": None})
    after = await admin.ok("GET", "/api/v1/admin/status?days=1")
    assert after["usage"]["budget"]["over_budget"] == 0
    assert after["usage"]["budget"]["user_budgets"] == 1
    assert len(after["usage"]["per_day"]) == 1


async def test_status_refuses_a_bad_window(budgeted: Admin) -> None:
    for days in ("0", "367", "x"):
        response = await budgeted.call("GET", f"/api/v1/admin/status?days={days}")
        assert response.status_code == 422, response.text


class Named:
    """The offline analysis under a paid provider's name, so that budgets apply."""

    def __init__(self, inner: Any) -> None:
        self._inner, self.name, self.model = inner, "claude", "claude-haiku-4-5"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def user_with_spending(
    admin: Admin, name: str, spent: float, at: datetime
) -> tuple[str, str]:
    user_id, token = await admin.user(name)
    async with admin.auth.app.state.db.sessions() as db:
        session_id = (
            await db.scalars(select(Session.id).where(Session.user_id == uuid.UUID(user_id)))
        ).first()
    await seed(admin, [Spec((uuid.UUID(user_id), session_id), at, {}, cost_usd=spent)])
    return user_id, token


async def submit(admin: Admin, token: str) -> Any:
    return await admin.call(
        "POST",
        "/api/v1/evaluations",
        json={"text_content": MEMO, "fresh": True},
        headers=bearer(token),
    )


async def test_budgets_default_own_none_and_reset(budgeted: Admin) -> None:
    admin = budgeted
    flow = admin.auth.app.state.flow
    flow.provider = Named(flow.provider)
    now = utcnow()
    alice, alice_token = await user_with_spending(admin, "alice", 0.5, earlier_today(now))
    bob, bob_token = await user_with_spending(admin, "bob", 0.2, earlier_today(now))
    _, carol_token = await user_with_spending(
        admin, "carol", 5.0, day_start(now) - timedelta(minutes=1)
    )

    # The default ($0.40): alice spent $0.50 today, so she is refused until 00:00 UTC.
    refused = await submit(admin, alice_token)
    assert refused.status_code == 429, refused.text
    problem = error(refused)
    assert problem["code"] == "BUDGET_EXCEEDED"
    assert "$0.40" in problem["message"] and "00:00 UTC" in problem["message"]
    reset = resets_at(utcnow())
    assert problem["details"]["resets_at"] == reset.isoformat().replace("+00:00", "Z")
    assert problem["details"]["budget_source"] == "default"
    wait = int(refused.headers["Retry-After"])
    assert abs(wait - (reset - utcnow()).total_seconds()) < 60
    assert (await submit(admin, carol_token)).status_code == 201  # yesterday's does not count
    assert (await submit(admin, bob_token)).status_code == 201

    # Her own, higher budget lets her in; bob's own, lower one shuts him out.
    shown = await admin.ok("PUT", f"/api/v1/admin/budgets/{alice}", json={"daily_budget_usd": 1.0})
    assert (shown["daily_budget_usd"], shown["source"]) == (1.0, "user")
    assert shown["spent_today_usd"] == pytest.approx(0.5) and shown["updated_by"] == "root"
    assert (await submit(admin, alice_token)).status_code == 201
    await admin.ok("PUT", f"/api/v1/admin/budgets/{bob}", json={"daily_budget_usd": 0.1})
    lower = await submit(admin, bob_token)
    assert lower.status_code == 429 and error(lower)["details"]["budget_source"] == "user"

    # No budget at all, then back to the default.
    none = await admin.ok("PUT", f"/api/v1/admin/budgets/{bob}", json={"daily_budget_usd": None})
    assert (none["daily_budget_usd"], none["source"]) == (None, "none")
    assert (await submit(admin, bob_token)).status_code == 201
    back = await admin.ok("DELETE", f"/api/v1/admin/budgets/{alice}")
    assert (back["daily_budget_usd"], back["source"]) == (DEFAULT_BUDGET, "default")
    assert (await submit(admin, alice_token)).status_code == 429
    assert (await admin.ok("GET", f"/api/v1/admin/budgets/{alice}"))["source"] == "default"

    log = await admin.ok("GET", f"/api/v1/admin/auth-log?user_id={alice}&event=user_changed")
    assert [item["details"] for item in log["items"]] == [
        {"budget": "default"},
        {"daily_budget_usd": 1.0, "budget": "user"},
    ]


async def test_budget_changes_are_checked(budgeted: Admin) -> None:
    admin = budgeted
    user_id, _ = await admin.user("dave")
    missing = await admin.call(
        "PUT", f"/api/v1/admin/budgets/{uuid.uuid4()}", json={"daily_budget_usd": 1}
    )
    assert missing.status_code == 404 and error(missing)["code"] == "NOT_FOUND"
    for body in ({"daily_budget_usd": -1}, {}, {"daily_budget_usd": 1, "extra": 1}):
        response = await admin.call("PUT", f"/api/v1/admin/budgets/{user_id}", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await admin.call("DELETE", f"/api/v1/admin/budgets/{uuid.uuid4()}")).status_code == 404


async def test_chat_replies_count_in_usage_with_their_estimated_tokens(budgeted: Admin) -> None:
    admin = budgeted
    made = await admin.ok("POST", "/api/v1/evaluations", 201, json={"text_content": MEMO})
    chat = await admin.call("POST", "/api/v1/chat/sessions", json={"evaluation_id": made["id"]})
    assert chat.status_code in (200, 201), chat.text
    chat_id = chat.json()["data"]["id"]
    path = f"/api/v1/chat/sessions/{chat_id}/messages"
    reply = await admin.call("POST", path, json={"message_content": "Which part first?"})
    assert reply.status_code in (200, 201), reply.text
    async with admin.auth.app.state.db.sessions() as db:
        stored = (
            await db.scalars(select(ChatMessage).where(ChatMessage.role == Role.ASSISTANT))
        ).one()
    assert stored.prompt_tokens > 0 and stored.cost_usd == 0.0  # rules-v1 costs nothing
    today = (await admin.ok("GET", "/api/v1/admin/status?days=1"))["usage"]["per_day"][0]
    assert (today["evaluations"], today["chat_replies"]) == (1, 1)
    assert today["prompt_tokens"] >= stored.prompt_tokens
    assert today["completion_tokens"] >= stored.tokens
