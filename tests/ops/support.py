"""What the operations tests share: writing evaluations through the API and reading them back."""

from __future__ import annotations

from memoai.app import stop
from memoai.settings import Settings

from helpers import ApiClient, open_client

MEMO = "To: Board\nSubject: Pilot\n\nI request $40,000 for a pilot at two sites by 1 May. Memo {n}."


async def evaluate(client: ApiClient, n: int, **fields: str) -> str:
    """Submit memo number `n` (title 'memo n' unless given); returns the evaluation id."""
    body = {"text_content": MEMO.format(n=n), "title": f"memo {n}", **fields}
    response = await client.post("/api/v1/evaluations", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def titles_of(settings: Settings, token: str) -> list[str]:
    """The titles in a session's history, read through a freshly started app."""
    app, client = await open_client(settings)
    try:
        response = await client.get("/api/v1/evaluations", headers={"x-session-token": token})
        assert response.status_code == 200, response.text
        return sorted(item["title"] for item in response.json()["data"]["items"])
    finally:
        await client.aclose()
        await stop(app)
