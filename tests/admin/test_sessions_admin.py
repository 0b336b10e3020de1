"""Sessions for administrators: list with filters, revoke one, revoke all of a user's."""

from __future__ import annotations

import uuid

import pytest

from memoai.sessions import service as sessions
from tests.admin.accounts import Admin, error

SESSIONS = "/api/v1/admin/sessions"


async def anonymous_session(admin: Admin) -> str:
    """An anonymous session (made before login mode, say): it has no user."""
    async with admin.auth.app.state.db.sessions() as db:
        session, _ = await sessions.create_session(
            db, admin.auth.settings.session_timeout, ip_address="10.0.0.9", user_agent="curl/8"
        )
    return str(session.id)


async def test_the_list_names_users_and_says_which_are_live(admin: Admin) -> None:
    anonymous = await anonymous_session(admin)
    ann_id, ann_token = await admin.user("ann")
    second = await admin.auth.login("ann")  # ann signs in twice: the newest is seen first
    admin.auth.client.cookies.clear()
    listed = await admin.ok("GET", SESSIONS)
    assert listed["total"] == 4 and (listed["limit"], listed["offset"]) == (50, 0)
    assert listed["items"][0]["id"] == second["session_id"]
    by_id = {item["id"]: item for item in listed["items"]}
    assert by_id[anonymous]["user_id"] is None and by_id[anonymous]["username"] is None
    assert (by_id[anonymous]["ip_address"], by_id[anonymous]["user_agent"]) == (
        "10.0.0.9",
        "curl/8",
    )
    mine = by_id[second["session_id"]]
    assert (mine["user_id"], mine["username"], mine["active"]) == (ann_id, "ann", True)
    assert set(mine) == {
        "id", "user_id", "username", "created_at", "last_seen_at", "expires_at", "revoked_at",
        "ip_address", "user_agent", "active",
    }  # fmt: skip

    of_ann = await admin.ok("GET", SESSIONS, params={"user_id": ann_id})
    assert {s["username"] for s in of_ann["items"]} == {"ann"} and of_ann["total"] == 2
    page = await admin.ok("GET", SESSIONS, params={"limit": 1, "offset": 1})
    assert len(page["items"]) == 1 and page["total"] == 4
    assert page["items"][0]["id"] == listed["items"][1]["id"]

    await admin.ok("DELETE", f"{SESSIONS}/{second['session_id']}")
    live = await admin.ok("GET", SESSIONS, params={"active": "true"})
    ended = await admin.ok("GET", SESSIONS, params={"active": "false"})
    assert second["session_id"] not in {s["id"] for s in live["items"]} and live["total"] == 3
    assert [s["id"] for s in ended["items"]] == [second["session_id"]]
    assert ended["items"][0]["active"] is False and ended["items"][0]["revoked_at"]
    assert await admin.verify(ann_token) == 200  # ann's other session is untouched


async def test_revoking_one_session_ends_its_token(admin: Admin) -> None:
    _, token = await admin.user("bea")
    session_id = (await admin.auth.client.get(
        "/api/v1/auth/verify", headers={"Authorization": f"Bearer {token}"}
    )).json()["data"]["session_id"]  # fmt: skip
    assert await admin.ok("DELETE", f"{SESSIONS}/{session_id}") == {"revoked": 1}
    assert await admin.verify(token) == 401
    assert await admin.ok("DELETE", f"{SESSIONS}/{session_id}") == {"revoked": 0}  # already
    anonymous = await anonymous_session(admin)
    assert await admin.ok("DELETE", f"{SESSIONS}/{anonymous}") == {"revoked": 1}

    unknown = await admin.call("DELETE", f"{SESSIONS}/{uuid.uuid4()}")
    assert (unknown.status_code, error(unknown)["code"]) == (404, "NOT_FOUND")
    bad = await admin.call("DELETE", f"{SESSIONS}/12345")
    assert (bad.status_code, error(bad)["code"]) == (422, "VALIDATION_ERROR")


async def test_revoking_all_of_a_users_sessions(admin: Admin) -> None:
    cid, first = await admin.user("cleo")
    second = (await admin.auth.login("cleo"))["access_token"]
    admin.auth.client.cookies.clear()
    _, other = await admin.user("dan")
    assert await admin.ok("DELETE", SESSIONS, params={"user_id": cid}) == {"revoked": 2}
    assert (await admin.verify(first), await admin.verify(second)) == (401, 401)
    assert await admin.verify(other) == 200 and await admin.verify(admin.token) == 200
    assert await admin.ok("DELETE", SESSIONS, params={"user_id": cid}) == {"revoked": 0}

    unknown = await admin.call("DELETE", SESSIONS, params={"user_id": str(uuid.uuid4())})
    assert (unknown.status_code, error(unknown)["code"]) == (404, "NOT_FOUND")
    for params in ({}, {"user_id": "nobody"}):
        refused = await admin.call("DELETE", SESSIONS, params=params)
        assert (refused.status_code, error(refused)["code"]) == (422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": 10**7 + 1}, {"user_id": "x"},
     {"active": "perhaps"}, {"active": "1"}, {"active": "yes"}],
)  # fmt: skip
async def test_listing_refuses_bad_filters(admin: Admin, params: dict[str, object]) -> None:
    response = await admin.call("GET", SESSIONS, params=params)
    assert response.status_code == 422 and error(response)["code"] == "VALIDATION_ERROR"
