"""Who may call what, generated from app.routes: every route against every kind of caller.

In login mode, over every API route: no caller, an anonymous session, a deactivated user, a
revoked session, an expired token, a token signed with an unknown key and a tampered token are
all 401 on anything not public; user B, and an admin, get 404 for user A's objects; users get
403 on admin routes; user A reaches its own objects. The test fails on a route, a path
parameter or a body it does not know how to fill, so a new route cannot be born unchecked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

from memoai.auth.models import Role
from memoai.auth.tokens import TokenCodec
from memoai.deps import POLICIES
from memoai.sessions import service as sessions
from tests.auth.support import PASSWORD, SECRET, AuthApp, bearer
from tests.contract.test_routes import policies

MEMO = (
    "To: Operations\nFrom: Ana\nSubject: Approve the scanner pilot\n\n"
    "I request $12,000 to pilot scanners at two sites by 1 May. Intake now takes 14 minutes; "
    "the pilot cuts it to 5. Risks: training time, covered by a vendor session. Please approve."
)
DENIED_CODES = {"UNAUTHORIZED", "SESSION_EXPIRED", "LOGIN_REQUIRED"}


@dataclass
class Fixture:
    """User A's objects, the bodies routes take, and every caller's headers."""

    params: dict[str, str]
    bodies: dict[str, dict[str, Any]]
    callers: dict[str, dict[str, str]]


def api_routes(app: Any) -> list[APIRoute]:
    found = (context.original_route for context in iter_route_contexts(app.routes))
    return [r for r in found if isinstance(r, APIRoute) and r.path.startswith("/api/")]


def strictest(route: APIRoute) -> str:
    order = list(dict.fromkeys(POLICIES.values()))
    found = policies(route)
    assert found, f"{route.path} declares no policy"
    return max(found, key=order.index)


async def signed_in(auth: AuthApp, name: str, role: Role = Role.USER) -> tuple[str, dict[str, Any]]:
    await auth.add_user(name, role=role)
    data = await auth.login(name)
    auth.client.cookies.clear()  # every call below carries exactly the headers it names
    return data["access_token"], data


async def build(auth: AuthApp) -> Fixture:
    token_a, login_a = await signed_in(auth, "alice")
    token_b, _ = await signed_in(auth, "bob")
    token_admin, _ = await signed_in(auth, "root", Role.ADMIN)
    token_gone, _ = await signed_in(auth, "dora")
    token_revoked, _ = await signed_in(auth, "rex")
    _, victim = await signed_in(auth, "victor")  # admin routes change and revoke him, not A
    out = await auth.client.post("/api/v1/auth/logout", headers=bearer(token_revoked))
    assert out.status_code == 200, out.text
    async with auth.app.state.db.sessions() as db:
        from memoai.auth import service
        from memoai.auth.audit import CLI

        await service.set_active(db, await service.user_by_name(db, "dora"), False, origin=CLI)
        _, anonymous = await sessions.create_session(db, auth.settings.session_timeout)

    session_a, user_a = uuid.UUID(login_a["session_id"]), uuid.UUID(login_a["user"]["id"])
    expired, _ = TokenCodec(SECRET, [], timedelta(hours=-2)).issue(session_a, user_a)
    foreign, _ = TokenCodec("another-key-" + "x" * 40, [], timedelta(hours=1)).issue(
        session_a, user_a
    )
    head, payload, signature = token_a.split(".")
    tampered = ".".join((head, payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1],
                         signature))  # fmt: skip

    made = await auth.client.post(
        "/api/v1/evaluations", json={"text_content": MEMO}, headers=bearer(token_a)
    )
    assert made.status_code == 201, made.text
    revised = await auth.client.post(
        "/api/v1/evaluations",
        json={
            # The passive sentence gives the revision a comment (comment_index 0) to mark.
            "text_content": MEMO + " Thank you. Forms are still typed in by hand.",
            "revision_of": made.json()["data"]["id"],
        },
        headers=bearer(token_a),
    )
    assert revised.status_code == 201, revised.text
    evaluation_id = revised.json()["data"]["id"]  # a revision: every per-memo route answers
    chat = await auth.client.post(
        "/api/v1/chat/sessions", json={"evaluation_id": evaluation_id}, headers=bearer(token_a)
    )
    assert chat.status_code in (200, 201), chat.text
    spare = await auth.client.post(  # a memo of its own, for DELETE /api/v1/memos/{memo_id}
        "/api/v1/evaluations",
        json={"text_content": MEMO + " A second memo.", "title": "Spare"},
        headers=bearer(token_a),
    )
    assert spare.status_code == 201, spare.text
    active = auth.app.state.configs.active
    rubric = active("rubric").stored.content
    return Fixture(
        params={
            "evaluation_id": evaluation_id,
            "chat_id": chat.json()["data"]["id"],
            "memo_id": spare.json()["data"]["submission_id"],
            "user_id": victim["user"]["id"],
            "session_id": victim["session_id"],
            "comment_index": "0",
            "config_type": "rubric",
            "version": "1",
        },
        bodies={
            "/api/v1/evaluations": {"text_content": MEMO},
            "/api/v1/chat/sessions": {"evaluation_id": evaluation_id},
            "/api/v1/evaluations/{evaluation_id}/comments/{comment_index}": {"state": "done"},
            "/api/v1/chat/sessions/{chat_id}/messages": {"message_content": "Which part first?"},
            "/api/v1/users": {"username": "newcomer", "password": "a fresh long passphrase 9"},
            "/api/v1/users/{user_id}": {"display_name": "Victim"},
            "/api/v1/users/{user_id}/password": {"password": "a temporary passphrase 11"},
            # The active texts again: valid, and saving them makes no new version.
            "/api/v1/admin/config/{config_type}": {"content": rubric},
            "/api/v1/admin/config/{config_type}/rollback": {"version": 1},
            "/api/v1/admin/config/{config_type}/preview": {"content": rubric, "text_content": MEMO},
            "/api/v1/admin/auth/config": {"content": active("auth").stored.content},
            "/api/v1/admin/budgets/{user_id}": {"daily_budget_usd": 1.0},
            "/api/v1/admin/debug/toggle": {"enabled": False},
            "/api/v1/auth/me": {"language": "es"},
            "/api/v1/auth/password": {
                "current_password": PASSWORD,
                "new_password": "a different long passphrase 7",
            },
        },
        callers={
            "no caller": {},
            "anonymous session": {"X-Session-Token": anonymous},
            "deactivated user": bearer(token_gone),
            "revoked session": bearer(token_revoked),
            "expired token": bearer(expired),
            "unknown key": bearer(foreign),
            "tampered token": bearer(tampered),
            "user A": bearer(token_a),
            "user B": bearer(token_b),
            "admin": bearer(token_admin),
        },
    )


# Routes on user A's objects that administrators may read too (what debug mode captured).
OWNER_OR_ADMIN = frozenset({"/api/v1/debug/info"})


def fill(route: APIRoute, fixture: Fixture) -> tuple[str, dict[str, Any] | None]:
    path = route.path
    for param in route.dependant.path_params:
        assert param.name in fixture.params, f"{route.path}: no value for {{{param.name}}}"
        path = path.replace("{" + param.name + "}", fixture.params[param.name])
    # A required query parameter that names an object (GET /api/v1/debug/info?evaluation_id=).
    query = route.dependant.query_params
    named = [p.name for p in query if p.field_info.is_required() and p.name in fixture.params]
    if named:
        path += "?" + "&".join(f"{name}={fixture.params[name]}" for name in named)
    body = None
    if route.body_field is not None:
        assert route.path in fixture.bodies, f"{route.path}: no body to send"
        body = fixture.bodies[route.path]
    return path, body


async def call(auth: AuthApp, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    response = await auth.client.request(method, path, json=body, headers=headers)
    auth.client.cookies.clear()
    return response


def code_of(response: Any) -> str:
    errors = response.json().get("errors") or [{}]
    return str(errors[0].get("code"))


async def test_every_route_against_every_caller(auth: AuthApp) -> None:
    fixture = await build(auth)
    routes = api_routes(auth.app)
    assert len(routes) > 20
    problems: list[str] = []
    checked = 0
    for route in routes:
        policy = strictest(route)
        if policy == "public":
            continue
        path, body = fill(route, fixture)
        owned = bool(route.dependant.path_params) or "?" in path
        for method in sorted(route.methods):
            for who, headers in fixture.callers.items():
                if who in ("user A", "user B", "admin") and not (owned or policy == "admin"):
                    continue  # their own account's routes (logout, password) are tested apart
                expected = expect(who, policy, owned)
                if who == "admin" and route.path in OWNER_OR_ADMIN:
                    expected = "allowed"
                response = await call(auth, method, path, body, headers)
                checked += 1
                got = response.status_code
                if expected == "allowed":
                    ok = got not in (401, 403, 404)
                else:
                    ok = got == expected and (got != 401 or code_of(response) in DENIED_CODES)
                if not ok:
                    problems.append(f"{method} {route.path} as {who}: {got} (wanted {expected})")
    assert checked > 100
    assert not problems, "\n".join(problems)


def expect(who: str, policy: str, owned: bool) -> int | str:
    """What a caller should get from a route of a policy (owned: it names user A's object)."""
    if who not in ("user A", "user B", "admin"):
        return 401
    if policy == "admin":
        return "allowed" if who == "admin" else 403
    if who == "user A":
        return "allowed"
    return 404 if owned else "allowed"


async def test_denied_callers_get_the_code_that_says_why(auth: AuthApp) -> None:
    fixture = await build(auth)
    why = {}
    for who in ("no caller", "anonymous session", "expired token", "tampered token"):
        response = await call(auth, "GET", "/api/v1/evaluations", None, fixture.callers[who])
        why[who] = (response.status_code, code_of(response))
    assert why == {
        "no caller": (401, "UNAUTHORIZED"),
        "anonymous session": (401, "LOGIN_REQUIRED"),
        "expired token": (401, "SESSION_EXPIRED"),
        "tampered token": (401, "UNAUTHORIZED"),
    }
