"""Every bad input the evaluation API exposes gets its own code and a readable message."""

from __future__ import annotations

import pytest

from helpers import ApiClient

URL = "/api/v1/evaluations"


def first_error(response: object) -> dict[str, object]:
    errors = response.json()["errors"]  # type: ignore[attr-defined]
    assert errors, "an error response must carry errors"
    assert response.json()["data"] is None  # type: ignore[attr-defined]
    return errors[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"text_content": ""}, 422, "TEXT_EMPTY", "text_content"),
        ({"text_content": "   \n\t  "}, 422, "TEXT_EMPTY", "text_content"),
        ({"text_content": "x" * 10_001}, 422, "TEXT_TOO_LONG", "text_content"),
        ({"text_content": "memo\x00\x01binary"}, 422, "TEXT_INVALID", "text_content"),
        ({"text_content": "fine", "title": "bad\x07title"}, 422, "TEXT_INVALID", "title"),
        ({"text_content": "fine", "title": "t" * 201}, 422, "VALIDATION_ERROR", "title"),
        ({"text_content": "fine", "colour": "red"}, 422, "UNKNOWN_FIELD", "colour"),
        ({"title": "no text"}, 422, "VALIDATION_ERROR", "text_content"),
        ({"text_content": 42}, 422, "VALIDATION_ERROR", "text_content"),
        (
            {"text_content": "ok", "revision_of": "not-a-uuid"},
            422,
            "VALIDATION_ERROR",
            "revision_of",
        ),
    ],
)
async def test_bad_bodies(
    client: ApiClient, body: dict[str, object], status: int, code: str, field: str
) -> None:
    response = await client.post(URL, json=body)
    assert response.status_code == status, response.text
    error = first_error(response)
    assert error["code"] == code
    assert error["field"] == field
    assert error["message"]


async def test_too_long_says_the_limit(client: ApiClient) -> None:
    error = first_error(await client.post(URL, json={"text_content": "y" * 12_345}))
    assert "10,000" in str(error["message"]) and "12,345" in str(error["message"])


async def test_malformed_json(client: ApiClient) -> None:
    response = await client.post(
        URL, content=b'{"text_content": "unterminated', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert first_error(response)["code"] == "INVALID_JSON"


async def test_invalid_utf8(client: ApiClient) -> None:
    response = await client.post(
        URL,
        content=b'{"text_content": "caf\xe9 \xff"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert first_error(response)["code"] == "INVALID_ENCODING"


async def test_body_that_is_not_an_object(client: ApiClient) -> None:
    response = await client.post(URL, json=["a", "list"])
    assert response.status_code in (400, 422)
    assert first_error(response)["code"] in ("INVALID_JSON", "VALIDATION_ERROR")


async def test_oversized_body(client: ApiClient) -> None:
    response = await client.post(
        URL,
        content=b'{"text_content": "' + b"a" * 300_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert first_error(response)["code"] == "PAYLOAD_TOO_LARGE"


async def test_bad_id_and_unknown_route(client: ApiClient) -> None:
    bad = await client.get(f"{URL}/12345")
    assert bad.status_code == 422
    assert first_error(bad)["code"] == "VALIDATION_ERROR"
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert first_error(missing)["code"] == "NOT_FOUND"
    wrong = await client.delete(URL)
    assert wrong.status_code == 405
    assert first_error(wrong)["code"] == "METHOD_NOT_ALLOWED"


async def test_bad_paging(client: ApiClient) -> None:
    response = await client.get(f"{URL}?limit=0")
    assert response.status_code == 422
    assert first_error(response)["field"] == "limit"


async def test_retry_of_completed_is_refused(client: ApiClient) -> None:
    created = (
        await client.post(URL, json={"text_content": "A short memo. Please approve."})
    ).json()
    response = await client.post(f"{URL}/{created['data']['id']}/retry")
    assert response.status_code == 409
    assert first_error(response)["code"] == "NOT_RETRYABLE"
