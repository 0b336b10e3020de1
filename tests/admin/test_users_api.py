"""Users for administrators: list, create, read, edit, temporary passwords (issue 11)."""

from __future__ import annotations

import uuid

import pytest

from memoai.auth.models import Role
from tests.admin.accounts import STRONG, Admin, error
from tests.auth.support import PASSWORD, bearer

USERS = "/api/v1/users"


async def test_an_admin_creates_lists_and_reads_users(admin: Admin) -> None:
    made = await admin.ok(
        "POST",
        USERS,
        201,
        json={"username": "Maria", "password": STRONG, "display_name": "Maria Lopez"},
    )
    assert made["username"] == "Maria" and made["display_name"] == "Maria Lopez"
    assert (made["role"], made["is_active"], made["must_change_password"]) == ("user", True, False)
    boss = await admin.ok(
        "POST", USERS, 201, json={"username": "boss", "password": STRONG, "role": "admin"}
    )
    assert boss["role"] == "admin" and boss["display_name"] == "boss"
    await admin.auth.login("maria", STRONG)  # the new account signs in, name in any case

    page = await admin.ok("GET", USERS)
    assert [u["username"] for u in page["items"]] == ["boss", "Maria", "root"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 50, 0)
    second = await admin.ok("GET", USERS, params={"limit": 1, "offset": 1})
    assert [u["username"] for u in second["items"]] == ["Maria"] and second["total"] == 3
    found = await admin.ok("GET", USERS, params={"q": "LOPEZ"})  # the display name, any case
    assert [u["id"] for u in found["items"]] == [made["id"]] and found["total"] == 1
    assert (await admin.ok("GET", USERS, params={"q": "%"}))["total"] == 0  # no wildcard
    one = await admin.ok("GET", f"{USERS}/{made['id']}")
    assert {**one, "last_login_at": None} == made and one["last_login_at"] is not None


async def test_create_refuses_taken_names_weak_passwords_and_bad_fields(admin: Admin) -> None:
    taken = await admin.call("POST", USERS, json={"username": "ROOT", "password": STRONG})
    assert taken.status_code == 409 and error(taken)["code"] == "CONFLICT"
    assert "taken" in error(taken)["message"]

    weak = await admin.call("POST", USERS, json={"username": "weak", "password": "short"})
    assert weak.status_code == 422
    assert (error(weak)["code"], error(weak)["field"]) == ("PASSWORD_REJECTED", "password")
    assert "12" in error(weak)["message"]  # says the rule: the minimum length
    named = await admin.call(
        "POST", USERS, json={"username": "weakling", "password": "weakling is my password"}
    )
    assert error(named)["code"] == "PASSWORD_REJECTED" and "username" in error(named)["message"]

    for body, code in [
        ({"username": "two words", "password": STRONG}, "VALIDATION_ERROR"),
        ({"username": "x", "password": STRONG}, "VALIDATION_ERROR"),
        ({"username": "rolf", "password": STRONG, "role": "root"}, "VALIDATION_ERROR"),
        ({"username": "rolf", "password": STRONG, "is_admin": True}, "UNKNOWN_FIELD"),
        ({"username": "rolf"}, "VALIDATION_ERROR"),
    ]:
        refused = await admin.call("POST", USERS, json=body)
        assert (refused.status_code, error(refused)["code"]) == (422, code), body
    assert (await admin.ok("GET", USERS))["total"] == 1  # nothing was created


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": 10**7 + 1}, {"q": "q" * 65},
     {"limit": 10**30}],
)  # fmt: skip
async def test_listing_bounds_every_number(admin: Admin, params: dict[str, object]) -> None:
    response = await admin.call("GET", USERS, params=params)
    assert response.status_code == 422 and error(response)["code"] == "VALIDATION_ERROR"


async def test_unknown_and_malformed_ids(admin: Admin) -> None:
    unknown = f"{USERS}/{uuid.uuid4()}"
    for method, path, body in [
        ("GET", unknown, None),
        ("PATCH", unknown, {"display_name": "X"}),
        ("POST", unknown + "/password", {"password": STRONG}),
    ]:
        response = await admin.call(method, path, json=body)
        assert (response.status_code, error(response)["code"]) == (404, "NOT_FOUND"), path
    bad = await admin.call("GET", f"{USERS}/not-a-uuid")
    assert bad.status_code == 422 and error(bad)["code"] == "VALIDATION_ERROR"


async def test_edit_display_name_and_role(admin: Admin) -> None:
    user_id, token = await admin.user("ursula")
    denied = await admin.call("GET", USERS, headers=bearer(token))
    assert denied.status_code == 403 and error(denied)["code"] == "FORBIDDEN"
    changed = await admin.ok(
        "PATCH", f"{USERS}/{user_id}", json={"display_name": " Ursula K. ", "role": "admin"}
    )
    assert (changed["display_name"], changed["role"]) == ("Ursula K.", "admin")
    # The role is read on every request: the same token is an admin's now.
    assert (await admin.call("GET", USERS, headers=bearer(token))).status_code == 200
    back = await admin.ok("PATCH", f"{USERS}/{user_id}", json={"role": "user"})
    assert back["role"] == "user" and back["display_name"] == "Ursula K."
    assert (await admin.call("GET", USERS, headers=bearer(token))).status_code == 403
    for body in (
        {"display_name": ""},
        {"display_name": "  "},
        {"role": "owner"},
        {"is_active": "maybe"},
        {"name": "x"},
    ):
        refused = await admin.call("PATCH", f"{USERS}/{user_id}", json=body)
        assert refused.status_code == 422, body


async def test_deactivating_ends_the_users_sessions(admin: Admin) -> None:
    user_id, token = await admin.user("dave")
    assert await admin.verify(token) == 200
    off = await admin.ok("PATCH", f"{USERS}/{user_id}", json={"is_active": False})
    assert off["is_active"] is False
    assert await admin.verify(token) == 401
    sessions = await admin.ok("GET", "/api/v1/admin/sessions", params={"user_id": user_id})
    assert [s["active"] for s in sessions["items"]] == [False]
    assert sessions["items"][0]["revoked_at"] is not None
    refused = await admin.auth.client.post(
        "/api/v1/auth/login", json={"username": "dave", "password": PASSWORD}
    )
    assert refused.status_code == 401
    on = await admin.ok("PATCH", f"{USERS}/{user_id}", json={"is_active": True})
    assert on["is_active"] is True
    await admin.auth.login("dave")  # signs in again; the old token stays dead
    assert await admin.verify(token) == 401


async def test_the_last_active_admin_is_kept(admin: Admin) -> None:
    for body in ({"role": "user"}, {"is_active": False}, {"display_name": "R", "role": "user"}):
        refused = await admin.call("PATCH", f"{USERS}/{admin.id}", json=body)
        assert refused.status_code == 409 and error(refused)["code"] == "CONFLICT", body
        assert "last active administrator" in error(refused)["message"]
    me = await admin.ok("GET", f"{USERS}/{admin.id}")
    assert (me["role"], me["is_active"], me["display_name"]) == ("admin", True, "root")
    other_id, _ = await admin.user("second", Role.ADMIN)
    demoted = await admin.ok("PATCH", f"{USERS}/{other_id}", json={"role": "user"})
    assert demoted["role"] == "user"
    await admin.ok("PATCH", f"{USERS}/{other_id}", json={"role": "admin"})
    off = await admin.ok("PATCH", f"{USERS}/{admin.id}", json={"is_active": False})
    assert off["is_active"] is False  # another admin remains; root's own token now ends
    assert (await admin.call("GET", USERS)).status_code == 401


async def test_a_temporary_password_must_be_changed_and_ends_sessions(admin: Admin) -> None:
    user_id, token = await admin.user("tina")
    weak = await admin.call("POST", f"{USERS}/{user_id}/password", json={"password": "tina"})
    assert weak.status_code == 422
    assert (error(weak)["code"], error(weak)["field"]) == ("PASSWORD_REJECTED", "password")
    assert await admin.verify(token) == 200

    reset = await admin.ok("POST", f"{USERS}/{user_id}/password", json={"password": STRONG})
    assert reset["must_change_password"] is True and reset["id"] == user_id
    assert await admin.verify(token) == 401
    wrong = await admin.auth.client.post(
        "/api/v1/auth/login", json={"username": "tina", "password": PASSWORD}
    )
    assert wrong.status_code == 401  # the old password is gone
    signed = await admin.auth.login("tina", STRONG)
    assert signed["user"]["must_change_password"] is True


async def test_a_query_parameter_given_twice_is_refused_after_the_policy(admin: Admin) -> None:
    for path, twice in [
        (USERS, [("q", "a"), ("q", "b")]),
        ("/api/v1/admin/sessions", [("limit", "1"), ("limit", "2")]),
        ("/api/v1/admin/auth-log", [("event", "login"), ("event", "logout")]),
        ("/api/v1/admin/auth-log.csv", [("since", "2026-01-01T00:00:00Z")] * 2),
    ]:
        response = await admin.call("GET", path, params=twice)
        assert response.status_code == 422, path
        assert (error(response)["code"], error(response)["field"]) == (
            "VALIDATION_ERROR",
            twice[0][0],
        )
    _, token = await admin.user("ivy")
    denied = await admin.call("GET", USERS, params=[("q", "a"), ("q", "b")], headers=bearer(token))
    assert denied.status_code == 403
