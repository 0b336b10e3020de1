"""Errors built outside auth (text checks, comments, query parameters) in the reader's
language, their codes, fields and details the same in both."""

from __future__ import annotations

from typing import Any

import httpx

from memoai.auth.models import Role
from tests.auth.support import AuthApp
from tests.auth.test_profile_language import signed_in


async def both(
    auth: AuthApp, method: str, path: str, headers: dict[str, str], **kw: Any
) -> tuple[dict[str, Any], dict[str, Any], int]:
    answers: list[httpx.Response] = []
    for reader in ("en", "es"):
        answers.append(
            await auth.client.request(
                method, path, headers={**headers, "Accept-Language": reader}, **kw
            )
        )
    english, spanish = (a.json()["errors"][0] for a in answers)
    assert answers[0].status_code == answers[1].status_code
    assert (english["code"], english["field"], english["details"]) == (
        spanish["code"],
        spanish["field"],
        spanish["details"],
    )
    assert english["message"] != spanish["message"]
    return english, spanish, answers[0].status_code


async def test_text_checks_answer_in_spanish(auth: AuthApp) -> None:
    headers = await signed_in(auth, "ana")
    english, spanish, status = await both(
        auth, "POST", "/api/v1/evaluations", headers, json={"text_content": "   "}
    )
    assert (status, english["code"]) == (422, "TEXT_EMPTY")
    assert spanish["message"] == "El memorando está vacío. Pegue o escriba primero su memorando."
    limit = auth.settings.memo_max_chars
    english, spanish, status = await both(
        auth, "POST", "/api/v1/evaluations", headers, json={"text_content": "x" * (limit + 1)}
    )
    assert (status, english["code"]) == (422, "TEXT_TOO_LONG")
    assert english["details"] == {"max_chars": limit, "actual_chars": limit + 1}
    assert f"{limit + 1:,}" in english["message"]
    assert f"{limit + 1:,}".replace(",", ".") in spanish["message"]  # Spanish thousands


async def test_a_repeated_query_parameter_answers_in_spanish(auth: AuthApp) -> None:
    admin = await signed_in(auth, "boss", role=Role.ADMIN)
    english, spanish, status = await both(
        auth, "GET", "/api/v1/admin/auth-log?limit=5&limit=6", admin
    )
    assert (status, english["code"], english["field"]) == (422, "VALIDATION_ERROR", "limit")
    assert spanish["message"] == "Indique el parámetro de consulta 'limit' una sola vez."
