"""Shared pieces of the chat tests: a memo, an evaluation to talk about, reading a stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from tests.fakes.fixtures import SAMPLE_MEMO

from helpers import ApiClient

MEMO = SAMPLE_MEMO
SCRIPT = "<script>alert(1)</script>"
Event = tuple[str, dict[str, Any]]


@dataclass
class Callers:
    app: Any
    first: ApiClient
    second: ApiClient


async def evaluate(client: httpx.AsyncClient, text: str = MEMO, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/evaluations", json={"text_content": text, **extra})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    assert data["status"] == "completed", data
    return data


async def open_chat(client: httpx.AsyncClient, evaluation_id: str) -> dict[str, Any]:
    response = await client.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation_id})
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def ask(client: httpx.AsyncClient, chat_id: str, text: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/chat/sessions/{chat_id}/messages", json={"message_content": text}
    )


async def history(client: httpx.AsyncClient, chat_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/chat/sessions/{chat_id}")
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["data"]["messages"]
    return messages


async def iter_events(response: httpx.Response) -> AsyncIterator[Event]:
    """(event, data) pairs of a server-sent-events response, as they arrive."""
    event = None
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event:
            yield event, json.loads(line[6:])


async def read_events(response: httpx.Response) -> list[Event]:
    return [event async for event in iter_events(response)]


async def ask_streamed(client: httpx.AsyncClient, chat_id: str, text: str) -> list[Event]:
    async with client.stream(
        "POST",
        f"/api/v1/chat/sessions/{chat_id}/messages?stream=true",
        json={"message_content": text},
    ) as response:
        assert response.status_code == 201
        assert response.headers["content-type"].startswith("text/event-stream")
        return await read_events(response)


def lowest_criterion(evaluation: dict[str, Any]) -> dict[str, Any]:
    """The assessed criterion with the lowest score (what the Chat tab suggests asking about)."""
    scored = [s for s in evaluation["rubric_scores"] if s["assessed"] and s["score"] is not None]
    return min(scored, key=lambda s: s["score"])
