"""Brute force: names lock after failures (known or not); spraying addresses are refused."""

from __future__ import annotations

import bcrypt
import pytest

from memoai.auth import passwords, service
from tests.auth.support import OTHER_PASSWORD, PASSWORD, AuthApp


async def attempt(auth: AuthApp, name: str, password: str) -> tuple[int, dict[str, object], str]:
    response = await auth.client.post(
        "/api/v1/auth/login", json={"username": name, "password": password}
    )
    errors = response.json()["errors"]
    return (
        response.status_code,
        errors[0] if errors else {},
        response.headers.get("retry-after", ""),
    )


async def test_five_failures_lock_the_account_even_for_the_right_password(auth: AuthApp) -> None:
    await auth.add_user("hank")
    statuses = [(await attempt(auth, "hank", OTHER_PASSWORD))[0] for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    status, error, retry_after = await attempt(auth, "HANK", PASSWORD)
    assert status == 423 and error["code"] == "ACCOUNT_LOCKED"
    details = error["details"]
    assert isinstance(details, dict)
    assert 880 <= details["retry_after_seconds"] <= 900
    assert int(retry_after) == details["retry_after_seconds"]


async def test_unknown_names_lock_the_same_way(auth: AuthApp) -> None:
    statuses = [(await attempt(auth, "ghost", PASSWORD))[0] for _ in range(6)]
    assert statuses == [401, 401, 401, 401, 423, 423]


async def test_success_clears_the_failures(auth: AuthApp) -> None:
    await auth.add_user("ivy")
    for _ in range(4):
        assert (await attempt(auth, "ivy", OTHER_PASSWORD))[0] == 401
    assert (await attempt(auth, "ivy", PASSWORD))[0] == 200
    for _ in range(4):
        assert (await attempt(auth, "ivy", OTHER_PASSWORD))[0] == 401


async def test_an_address_failing_across_many_names_is_refused(auth: AuthApp) -> None:
    await auth.add_user("judy")
    for index in range(9):  # max_accounts_per_address is 10 in the default auth.yaml
        assert (await attempt(auth, f"victim{index}", "Summer2024!!"))[0] == 401
    status, _, _ = await attempt(auth, "victim9", "Summer2024!!")
    assert status == 401  # the tenth name: counted, then the address is refused
    status, error, retry_after = await attempt(auth, "judy", PASSWORD)
    assert status == 429 and error["code"] == "RATE_LIMITED" and int(retry_after) > 0


async def test_an_unknown_user_costs_exactly_one_bcrypt_check(
    auth: AuthApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    await auth.add_user("kate")
    calls: list[bytes] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", counting)
    async with auth.app.state.db.sessions() as db:
        user, reason = await service.authenticate(db, "nobody-here", PASSWORD, 4)
        assert (user, reason, len(calls)) == (None, "unknown_user", 1)
        assert passwords.hash_rounds(calls[0].decode()) == 4  # the dummy has the same cost
        user, reason = await service.authenticate(db, "kate", OTHER_PASSWORD, 4)
        assert reason == "wrong_password" and len(calls) == 2
    status, _, _ = await attempt(auth, "still-nobody", PASSWORD)
    assert status == 401 and len(calls) == 3
