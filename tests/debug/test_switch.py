"""POST /api/v1/admin/debug/toggle: admins only, audited, in force at once, and it ends by
itself; GET /api/v1/admin/debug says how it stands."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from memoai.settings import SettingsError, load_settings
from tests.admin.accounts import Admin, error
from tests.auth.support import bearer

TOGGLE = "/api/v1/admin/debug/toggle"


async def client_flag(admin: Admin) -> bool:
    data = await admin.ok("GET", "/api/v1/config/client")
    return bool(data["debug_mode"])


async def test_an_admin_switches_it_on_for_an_hour_and_off(admin: Admin) -> None:
    assert (await admin.ok("GET", "/api/v1/admin/debug"))["enabled"] is False
    state = await admin.ok("POST", TOGGLE, json={"enabled": True})
    assert state["enabled"] is True and state["source"] == "switch"
    until = datetime.fromisoformat(state["until"])
    changed = datetime.fromisoformat(state["changed_at"])
    assert until - changed == timedelta(minutes=60)
    assert await client_flag(admin) is True
    assert (await admin.ok("GET", "/api/v1/admin/debug"))["until"] == state["until"]

    off = await admin.ok("POST", TOGGLE, json={"enabled": False, "minutes": 5})
    assert off == {**off, "enabled": False, "until": None, "source": "switch"}
    assert await client_flag(admin) is False

    log = await admin.ok("GET", "/api/v1/admin/auth-log", params={"event": "debug_mode_changed"})
    details = [item["details"] for item in log["items"]]
    assert details[0] == {"enabled": False}
    assert details[1]["enabled"] is True and details[1]["minutes"] == 60
    assert {item["actor_id"] for item in log["items"]} == {admin.id}


async def test_it_turns_itself_off_after_its_minutes(admin: Admin) -> None:
    await admin.ok("POST", TOGGLE, json={"enabled": True, "minutes": 0.02})  # 1.2 s
    assert await client_flag(admin) is True
    started = time.monotonic()
    while await client_flag(admin):
        assert time.monotonic() - started < 4, "debug mode did not end by itself"
        await asyncio.sleep(0.1)
    state = await admin.ok("GET", "/api/v1/admin/debug")
    assert state["enabled"] is False and state["source"] == "setting"


async def test_only_admins_switch_it(admin: Admin) -> None:
    _, token = await admin.user("maria")
    response = await admin.call("POST", TOGGLE, json={"enabled": True}, headers=bearer(token))
    assert response.status_code == 403 and error(response)["code"] == "FORBIDDEN"
    response = await admin.call("GET", "/api/v1/admin/debug", headers=bearer(token))
    assert response.status_code == 403
    response = await admin.call("POST", TOGGLE, json={"enabled": True}, headers={"X-No": "1"})
    assert response.status_code == 401
    assert await client_flag(admin) is False


async def test_a_toggle_is_checked(admin: Admin) -> None:
    refused: tuple[tuple[dict[str, object], str], ...] = (
        ({"enabled": True, "minutes": 0}, "VALIDATION_ERROR"),
        ({"enabled": True, "minutes": 1441}, "VALIDATION_ERROR"),
        ({}, "VALIDATION_ERROR"),
        ({"enabled": True, "extra": 1}, "UNKNOWN_FIELD"),
    )
    for body, code in refused:
        response = await admin.call("POST", TOGGLE, json=body)
        assert response.status_code == 422, body
        assert error(response)["code"] == code
    assert await client_flag(admin) is False


def test_production_refuses_to_start_in_debug_mode_and_says_how_to_switch_it(
    tmp_path: Path,
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            app_env="production",
            debug_mode=True,
            jwt_secret_key="k" * 40,
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'prod.db'}",
        )
    message = str(refused.value)
    assert "DEBUG_MODE is on" in message and "POST /api/v1/admin/debug/toggle" in message
