"""The authentication log for administrators: filters, pages, CSV, and every admin action in it."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest

from memoai.auth.models import AuditEvent
from tests.admin.accounts import STRONG, Admin, error

LOG = "/api/v1/admin/auth-log"
FORMULA = '=HYPERLINK("http://evil.example","click")'


async def test_every_admin_action_is_logged_with_its_actor(admin: Admin) -> None:
    made = await admin.ok(
        "POST", "/api/v1/users", 201, json={"username": "vic", "password": STRONG}
    )
    vic = made["id"]
    session = (await admin.auth.login("vic", STRONG))["session_id"]
    await admin.ok("DELETE", f"/api/v1/admin/sessions/{session}")
    await admin.auth.login("vic", STRONG)
    await admin.ok("DELETE", "/api/v1/admin/sessions", params={"user_id": vic})
    for change in ({"display_name": "Victor"}, {"role": "admin"}, {"role": "user"},
                   {"is_active": False}, {"is_active": True}):  # fmt: skip
        await admin.ok("PATCH", f"/api/v1/users/{vic}", json=change)
    await admin.ok("POST", f"/api/v1/users/{vic}/password", json={"password": STRONG + "!"})

    log = await admin.ok("GET", LOG, params={"user_id": vic})
    rows = [(r["event"], r["reason"], r["actor_username"]) for r in reversed(log["items"])]
    assert rows == [
        ("user_created", None, "root"),
        ("login", None, None),
        ("session_revoked", "admin", "root"),
        ("login", None, None),
        ("session_revoked", "admin_all", "root"),
        ("user_changed", "display_name", "root"),
        ("user_changed", "role", "root"),
        ("user_changed", "role", "root"),
        ("user_changed", "deactivated", "root"),
        ("user_changed", "activated", "root"),
        ("password_changed", "reset", "root"),
    ]
    assert log["total"] == len(rows)
    acted = [r for r in log["items"] if r["actor_username"]]
    assert {r["actor_id"] for r in acted} == {admin.id}
    assert all(r["username"] == "vic" and r["user_id"] == vic for r in log["items"])
    assert all(r["ip_address"] and r["outcome"] == "success" for r in acted)
    newest = log["items"][0]
    assert newest["details"] == {"sessions_ended": 0} and newest["request_id"]
    assert "password" not in str(log).replace("password_changed", "")  # no secret, ever


async def add_rows(admin: Admin, user_id: uuid.UUID, months: range) -> None:
    """Rows at known times: a login on the 1st of each month of 2026."""
    async with admin.auth.app.state.db.sessions() as db:
        for month in months:
            at = datetime(2026, month, 1, 12, tzinfo=UTC)
            db.add(AuditEvent(at=at, event="login", outcome="success", user_id=user_id,
                              username="timo", details={"month": month}))  # fmt: skip
        await db.commit()


async def test_filters_by_user_event_and_time_and_pages(admin: Admin) -> None:
    timo = uuid.uuid4()
    await add_rows(admin, timo, range(1, 7))
    await admin.auth.client.post("/api/v1/auth/login", json={"username": "timo", "password": "x"})

    mine = await admin.ok("GET", LOG, params={"user_id": str(timo)})
    assert [r["details"]["month"] for r in mine["items"]] == [6, 5, 4, 3, 2, 1]  # newest first
    spring = await admin.ok(
        "GET",
        LOG,
        params={
            "user_id": str(timo),
            "since": "2026-03-01T12:00:00Z",
            "until": "2026-05-01T12:00:00Z",
        },
    )
    assert [r["details"]["month"] for r in spring["items"]] == [4, 3]  # since in, until out
    zoned = await admin.ok(
        "GET", LOG, params={"user_id": str(timo), "since": "2026-06-01T14:00:00+02:00"}
    )
    assert [r["details"]["month"] for r in zoned["items"]] == [6]  # the same moment in UTC
    page = await admin.ok("GET", LOG, params={"user_id": str(timo), "limit": 2, "offset": 2})
    assert [r["details"]["month"] for r in page["items"]] == [4, 3] and page["total"] == 6
    assert (page["limit"], page["offset"]) == (2, 2)

    failures = await admin.ok("GET", LOG, params={"event": "login"})
    assert {r["outcome"] for r in failures["items"]} == {"success", "failure"}
    assert failures["total"] == 6 + 2  # timo's rows, root's sign-in and the failed attempt
    assert (await admin.ok("GET", LOG, params={"event": "lockout"}))["total"] == 0


@pytest.mark.parametrize(
    "params",
    [{"event": "hacked"}, {"user_id": "root"}, {"since": "yesterday"},
     {"until": "2026-13-01T00:00:00Z"}, {"since": "2026-02-01"}, {"since": "1700000000"},
     {"until": "2026-02-01T00:00:00"},
     {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
     {"since": "2026-02-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"}],
)  # fmt: skip
async def test_bad_filters_are_refused(admin: Admin, params: dict[str, object]) -> None:
    for path in (LOG, LOG + ".csv"):
        response = await admin.call("GET", path, params=params)
        assert response.status_code == 422 and error(response)["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": 10**7 + 1}]
)
async def test_pages_are_bounded(admin: Admin, params: dict[str, object]) -> None:
    response = await admin.call("GET", LOG, params=params)
    assert response.status_code == 422 and error(response)["code"] == "VALIDATION_ERROR"


async def test_csv_is_filtered_and_safe_in_a_spreadsheet(admin: Admin) -> None:
    await admin.auth.client.post(
        "/api/v1/auth/login",
        json={"username": FORMULA, "password": "wrong"},
        headers={"User-Agent": "@SUM(1+1)*cmd|' /C calc'!A0"},
    )
    await admin.ok("POST", "/api/v1/users", 201, json={"username": "+plus", "password": STRONG})
    response = await admin.call("GET", LOG + ".csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="memo-auth-')
    assert response.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    events = [r["event"] for r in rows]
    assert events == ["user_created", "login", "login", "user_created"]  # newest first
    created, failed, signed_in, root = rows
    assert created["username"] == "'+plus" and created["actor_username"] == "root"
    assert (failed["username"], failed["outcome"]) == ("'" + FORMULA, "failure")
    assert failed["user_agent"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert failed["reason"] == "unknown_user" and failed["actor_id"] == ""
    assert signed_in["username"] == "root" and created["details"] == '{"role": "user"}'
    assert root["user_agent"] == "memoai-cli" and root["actor_id"] == ""  # made by the CLI

    only = await admin.call("GET", LOG + ".csv", params={"event": "user_created"})
    names = [r["username"] for r in csv.DictReader(io.StringIO(only.text.lstrip("\ufeff")))]
    assert names == ["'+plus", "root"]
