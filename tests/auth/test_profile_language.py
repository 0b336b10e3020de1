"""The profile's language (GET/PATCH /api/v1/auth/me), the cookie it gives the browser at
sign-in, and error messages in the reader's language with codes that never change."""

from __future__ import annotations

from typing import Any

import httpx

from memoai.auth.models import Role
from tests.auth.support import PASSWORD, AuthApp, bearer

SPANISH = {"Accept-Language": "es"}


async def signed_in(auth: AuthApp, username: str, **kw: Any) -> dict[str, str]:
    """Bearer headers of a fresh login (the cookie jar emptied: no CSRF in the way)."""
    await auth.add_user(username, **kw)
    token = (await auth.login(username))["access_token"]
    auth.client.cookies.clear()
    return bearer(token)


def language_cookie(response: httpx.Response) -> str | None:
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith("memoai_lang=")]
    return found[0].split(";", 1)[0].split("=", 1)[1] if found else None


async def test_the_profile_remembers_the_language_and_gives_it_at_sign_in(auth: AuthApp) -> None:
    headers = await signed_in(auth, "ana")
    me = await auth.client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["data"]["username"] == "ana" and me.json()["data"]["language"] is None

    changed = await auth.client.patch("/api/v1/auth/me", json={"language": "es"}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["language"] == "es"
    assert language_cookie(changed) == "es"
    auth.client.cookies.clear()
    again = await auth.client.get("/api/v1/auth/me", headers=headers)
    assert again.json()["data"]["language"] == "es"
    verify = await auth.client.get("/api/v1/auth/verify", headers=headers)
    assert verify.json()["data"]["user"]["language"] == "es"

    login = await auth.client.post(
        "/api/v1/auth/login", json={"username": "ana", "password": PASSWORD}
    )
    assert language_cookie(login) == "es"  # the browser reads in it from the first page on
    auth.client.cookies.clear()

    cleared = await auth.client.patch("/api/v1/auth/me", json={"language": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["data"]["language"] is None
    login = await auth.client.post(
        "/api/v1/auth/login", json={"username": "ana", "password": PASSWORD}
    )
    assert language_cookie(login) is None  # the browser's own choice again


async def test_each_person_changes_only_their_own_profile(auth: AuthApp) -> None:
    ana = await signed_in(auth, "ana")
    boss = await signed_in(auth, "boss", role=Role.ADMIN)
    response = await auth.client.patch("/api/v1/auth/me", json={"language": "es"}, headers=boss)
    assert response.status_code == 200 and response.json()["data"]["username"] == "boss"
    mine = await auth.client.get("/api/v1/auth/me", headers=ana)
    assert mine.json()["data"]["language"] is None


async def test_the_profile_needs_a_signed_in_caller(auth: AuthApp) -> None:
    read = await auth.client.get("/api/v1/auth/me", headers=SPANISH)
    assert read.status_code == 401
    change = await auth.client.patch("/api/v1/auth/me", json={"language": "es"})
    assert change.status_code == 401
    assert read.json()["errors"][0]["code"] == change.json()["errors"][0]["code"]


async def test_an_unsupported_language_has_its_own_code_in_both_languages(
    auth: AuthApp,
) -> None:
    headers = await signed_in(auth, "ana")
    answers = {}
    for reader in ("en", "es"):
        response = await auth.client.patch(
            "/api/v1/auth/me",
            json={"language": "fr"},
            headers={**headers, "Accept-Language": reader},
        )
        assert response.status_code == 422, response.text
        error = response.json()["errors"][0]
        assert (error["code"], error["field"]) == ("UNSUPPORTED_LANGUAGE", "language")
        answers[reader] = error["message"]
    assert answers["en"] == "'language' must be 'en' or 'es'."
    assert answers["es"] == "'language' debe ser 'en' o 'es'."
    me = await auth.client.get("/api/v1/auth/me", headers=headers)
    assert me.json()["data"]["language"] is None  # nothing changed


async def test_errors_speak_the_readers_language_with_the_same_code(auth: AuthApp) -> None:
    await auth.add_user("ana")
    wrong = {"username": "ana", "password": "not the password"}
    english = await auth.client.post("/api/v1/auth/login", json=wrong)
    spanish = await auth.client.post("/api/v1/auth/login", json=wrong, headers=SPANISH)
    assert english.status_code == spanish.status_code == 401
    codes = {r.json()["errors"][0]["code"] for r in (english, spanish)}
    assert codes == {"INVALID_CREDENTIALS"}
    assert english.json()["errors"][0]["message"] == "Wrong username or password."
    assert spanish.json()["errors"][0]["message"] == "Usuario o contraseña incorrectos."

    auth.client.cookies.set("memoai_lang", "es")  # the switch's cookie wins over the header
    missing = await auth.client.post(
        "/api/v1/auth/login", json={"username": "ana"}, headers={"Accept-Language": "en"}
    )
    auth.client.cookies.clear()
    error = missing.json()["errors"][0]
    assert (missing.status_code, error["code"], error["field"]) == (
        422,
        "VALIDATION_ERROR",
        "password",
    )
    assert error["message"] == "'password' es obligatorio."

    nowhere = await auth.client.get("/api/v1/no-such-thing", headers=SPANISH)
    assert nowhere.json()["errors"][0]["code"] == "NOT_FOUND"
    assert nowhere.json()["errors"][0]["message"] == "No hay nada en esta dirección."


async def test_the_password_policy_answers_in_spanish_with_its_values(auth: AuthApp) -> None:
    headers = await signed_in(auth, "ana")
    response = await auth.client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers={**headers, **SPANISH},
    )
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["code"] == "PASSWORD_REJECTED" and error["field"] == "new_password"
    policy = auth.app.state.configs.current().auth.authentication.security
    assert error["message"] == (
        f"La contraseña debe tener al menos {policy.password_min_length} caracteres."
    )
