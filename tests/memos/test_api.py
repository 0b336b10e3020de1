"""My memos over the API on SQLite and PostgreSQL: listing, search, pages, owners, deleting."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from memoai.api import AppError
from memoai.auth.models import AuditEvent
from memoai.chat.models import ChatMessage, ChatSession
from memoai.db import Database
from memoai.evaluations import budgets
from memoai.evaluations.models import Evaluation, Submission
from memoai.sessions.caller import Caller
from memoai.settings import Settings

from helpers import ApiClient

MEMO = (
    "To: Operations\nFrom: Ana\nSubject: {subject}\n\nI request $12,000 to pilot scanners at two "
    "sites by 1 May. Intake takes 14 minutes; the pilot cuts it to 5. Please approve."
)


async def submit(
    client: ApiClient, subject: str, title: str | None = None, revision_of: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"text_content": MEMO.format(subject=subject)}
    if title is not None:
        body["title"] = title
    if revision_of is not None:
        body["revision_of"] = revision_of
    response = await client.post("/api/v1/evaluations", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def memos(client: ApiClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/memos", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def counts(settings: Settings) -> dict[str, int]:
    db = Database(settings.db_url)
    try:
        async with db.sessions() as session:
            found = {}
            for name, table in (
                ("submissions", Submission),
                ("evaluations", Evaluation),
                ("chats", ChatSession),
                ("messages", ChatMessage),
            ):
                total = await session.scalar(select(func.count()).select_from(table))
                found[name] = int(total or 0)
            return found
    finally:
        await db.dispose()


async def audit_rows(settings: Settings) -> list[AuditEvent]:
    db = Database(settings.db_url)
    try:
        async with db.sessions() as session:
            rows = await session.scalars(select(AuditEvent).order_by(AuditEvent.at))
            return [row for row in rows if row.event in ("memo_deleted", "data_deleted")]
    finally:
        await db.dispose()


async def test_memos_group_versions_newest_activity_first(client: ApiClient) -> None:
    first = await submit(client, "Scanner pilot", title="Scanner pilot")
    other = await submit(client, "Parking", title="Parking")
    second = await submit(client, "Scanner pilot, revised", revision_of=first["id"])
    third = await submit(client, "Scanner pilot, third", revision_of=second["id"])

    page = await memos(client)
    assert page["total"] == 2 and page["q"] == ""
    scanner, parking = page["items"]
    assert scanner["id"] == first["submission_id"]
    assert scanner["title"] == "Scanner pilot"  # the revisions had none: the newest title
    assert [v["version"] for v in scanner["versions"]] == [1, 2, 3]
    assert [v["evaluation_id"] for v in scanner["versions"]] == [
        first["id"],
        second["id"],
        third["id"],
    ]
    assert scanner["latest"]["evaluation_id"] == third["id"]
    assert scanner["latest"]["overall_score"] == third["overall_score"]
    assert scanner["latest"]["status"] == "completed"
    assert scanner["excerpt"].startswith("To: Operations From: Ana Subject: Scanner pilot, third")
    assert parking["id"] == other["submission_id"]
    assert [v["evaluation_id"] for v in parking["versions"]] == [other["id"]]

    one = await client.get(f"/api/v1/memos/{first['submission_id']}")
    assert one.status_code == 200
    assert one.json()["data"] == scanner


async def test_the_export_holds_every_version_s_text(client: ApiClient) -> None:
    first = await submit(client, "Scanner <pilot>", title="Scanner")
    second = await submit(client, "Scanner pilot, revised", revision_of=first["id"])
    other = await submit(client, "Parking")
    response = await client.get("/api/v1/memos/export.json")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="my-memos-')
    data = response.json()["data"]
    assert data["count"] == 2
    parking, scanner = data["memos"]  # the most recently revised first
    assert [v["text_content"] for v in scanner["versions"]] == [
        first["text_content"],
        second["text_content"],
    ]
    assert parking["versions"][0]["text_content"] == other["text_content"]
    assert parking["title"] is None and scanner["title"] == "Scanner"
    await client.delete(f"/api/v1/memos/{first['submission_id']}")
    after = (await client.get("/api/v1/memos/export.json")).json()["data"]
    assert after["count"] == 1 and "Scanner" not in json.dumps(after)


async def test_search_finds_title_and_text_of_any_version_in_any_case(client: ApiClient) -> None:
    first = await submit(client, "Scanner pilot", title="Quarterly Budget")
    await submit(client, "Completely rewritten", revision_of=first["id"])
    await submit(client, "Parking at 100% capacity", title="Parking")

    assert [m["title"] for m in (await memos(client, q="quarterly"))["items"]] == [
        "Quarterly Budget"
    ]
    # Text of the first version, which the newest version no longer has.
    found = await memos(client, q="SCANNER PILOT")
    assert found["total"] == 1 and found["items"][0]["id"] == first["submission_id"]
    # Wildcards are searched for literally.
    assert [m["title"] for m in (await memos(client, q="100%"))["items"]] == ["Parking"]
    assert (await memos(client, q="_"))["total"] == 0
    await submit(client, "Über den Ärger mit Straßen", title="ÉTÉ")
    for q in ("ärger", "ÜBER", "été", "STRAßEN"):  # beyond ASCII too, on every database
        assert [m["title"] for m in (await memos(client, q=q))["items"]] == ["ÉTÉ"], q
    nothing = await memos(client, q="no such words")
    assert nothing == {"items": [], "total": 0, "limit": 20, "offset": 0, "q": "no such words"}
    assert (await memos(client, q="  "))["total"] == 3  # blank is no search

    too_long = await client.get("/api/v1/memos", params={"q": "x" * 201})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["code"] == "VALIDATION_ERROR"


async def test_pages_of_memos(client: ApiClient) -> None:
    for n in range(5):
        await submit(client, f"Topic {n}", title=f"Memo {n}")
    page = await memos(client, limit=2, offset=2)
    assert page["total"] == 5
    assert [m["title"] for m in page["items"]] == ["Memo 2", "Memo 1"]
    assert (await memos(client, limit=2, offset=4))["items"][0]["title"] == "Memo 0"
    assert (await memos(client, offset=10))["items"] == []
    bad = await client.get("/api/v1/memos", params={"limit": 0})
    assert bad.status_code == 422


async def test_pages_are_slices_of_the_whole_list_with_whole_memos(client: ApiClient) -> None:
    """Pages are grouped from the versions' ids and read one page at a time: each page is the
    same slice of the whole list, every memo with all its versions."""
    a1 = await submit(client, "Alpha", title="Alpha")
    b1 = await submit(client, "Beta", title="Beta")
    a2 = await submit(client, "Alpha, revised", revision_of=a1["id"])
    c1 = await submit(client, "Gamma", title="Gamma")
    b2 = await submit(client, "Beta, revised", revision_of=b1["id"])
    a3 = await submit(client, "Alpha, third", revision_of=a1["id"])  # a second branch
    whole = await memos(client, limit=100)
    assert [m["title"] for m in whole["items"]] == ["Alpha", "Beta", "Gamma"]
    alpha, beta, gamma = whole["items"]
    assert [v["evaluation_id"] for v in alpha["versions"]] == [a1["id"], a2["id"], a3["id"]]
    assert [v["evaluation_id"] for v in beta["versions"]] == [b1["id"], b2["id"]]
    assert gamma["id"] == c1["submission_id"] and len(gamma["versions"]) == 1
    pages = [await memos(client, limit=1, offset=offset) for offset in range(4)]
    assert [item for page in pages for item in page["items"]] == whole["items"]
    assert {page["total"] for page in pages} == {3}
    found = await memos(client, q="BETA, REVISED", limit=1)
    assert found["total"] == 1 and found["items"] == [beta]


async def test_a_writer_sees_and_deletes_only_their_own(client: ApiClient) -> None:
    mine = await submit(client, "Mine", title="Mine")
    own_cookies = dict(client.cookies)
    client.cookies.clear()  # another browser: a session of its own
    await client.start_session()
    assert (await memos(client))["total"] == 0
    for method in ("GET", "DELETE"):
        response = await client.request(method, f"/api/v1/memos/{mine['submission_id']}")
        assert response.status_code == 404, response.text
        assert response.json()["errors"][0]["code"] == "NOT_FOUND"
    wiped = await client.delete("/api/v1/memos")
    assert wiped.json()["data"] == {"memos": 0, "versions": 0, "evaluations": 0, "chat_messages": 0}
    client.cookies.clear()
    client.cookies.update(own_cookies)
    assert (await memos(client))["total"] == 1
    # An evaluation id is not a memo id.
    assert (await client.get(f"/api/v1/memos/{mine['id']}")).status_code == 404


async def test_deleting_a_memo_removes_every_version_evaluation_and_chat(
    client: ApiClient, settings: Settings
) -> None:
    first = await submit(client, "Scanner pilot", title="Secret scanner plan")
    second = await submit(client, "Scanner pilot, revised", revision_of=first["id"])
    kept = await submit(client, "Parking", title="Parking")
    chat = await client.post("/api/v1/chat/sessions", json={"evaluation_id": second["id"]})
    asked = await client.post(
        f"/api/v1/chat/sessions/{chat.json()['data']['id']}/messages",
        json={"message_content": "What should I fix first?"},
    )
    assert asked.status_code in (200, 201), asked.text
    before = await counts(settings)

    response = await client.delete(f"/api/v1/memos/{first['submission_id']}")
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "memos": 1,
        "versions": 2,
        "evaluations": 2,
        "chat_messages": 2,
    }
    after = await counts(settings)
    assert after == {
        "submissions": before["submissions"] - 2,
        "evaluations": before["evaluations"] - 2,
        "chats": before["chats"] - 1,
        "messages": before["messages"] - 2,
    }
    for evaluation_id in (first["id"], second["id"]):
        gone = await client.get(f"/api/v1/evaluations/{evaluation_id}")
        assert gone.status_code == 404
    assert [m["id"] for m in (await memos(client))["items"]] == [kept["submission_id"]]
    exported = (await client.get("/api/v1/export/history.json")).text
    assert first["id"] not in exported and second["id"] not in exported
    assert kept["id"] in exported
    rows = list(csv.reader(io.StringIO((await client.get("/api/v1/export/history.csv")).text)))
    assert not any(first["id"] in cell or second["id"] in cell for row in rows for cell in row)
    again = await client.delete(f"/api/v1/memos/{first['submission_id']}")
    assert again.status_code == 404

    (entry,) = await audit_rows(settings)
    assert entry.event == "memo_deleted" and entry.outcome == "success"
    assert entry.details["memo_id"] == first["submission_id"]
    assert entry.details["versions"] == 2 and entry.details["chat_messages"] == 2
    recorded = json.dumps(entry.details)
    assert "Secret" not in recorded and "Scanner" not in recorded and "fix first" not in recorded


async def test_deleting_all_data_keeps_the_session(client: ApiClient, settings: Settings) -> None:
    first = await submit(client, "Scanner pilot", title="One")
    await submit(client, "Scanner pilot, revised", revision_of=first["id"])
    await submit(client, "Parking", title="Two")
    response = await client.delete("/api/v1/memos")
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "memos": 2,
        "versions": 3,
        "evaluations": 3,
        "chat_messages": 0,
    }
    assert await counts(settings) == {"submissions": 0, "evaluations": 0, "chats": 0, "messages": 0}
    assert (await memos(client))["total"] == 0
    history = (await client.get("/api/v1/export/history.json")).json()
    assert "One" not in json.dumps(history) and "Two" not in json.dumps(history)
    (entry,) = await audit_rows(settings)
    assert entry.event == "data_deleted"
    assert entry.details["memos"] == 2 and entry.details["evaluations"] == 3
    # Still the same session: writing again works.
    await submit(client, "A fresh start", title="Three")
    assert (await memos(client))["total"] == 1


async def test_a_running_evaluation_blocks_deleting_and_nothing_goes(
    client: ApiClient, settings: Settings
) -> None:
    first = await submit(client, "Scanner pilot", title="One")
    db = Database(settings.db_url)
    try:
        async with db.sessions() as session:
            evaluation = await session.get(Evaluation, uuid.UUID(first["id"]))
            assert evaluation is not None
            evaluation.status = "running"
            await session.commit()
    finally:
        await db.dispose()
    for path in (f"/api/v1/memos/{first['submission_id']}", "/api/v1/memos"):
        response = await client.delete(path)
        assert response.status_code == 409, response.text
        error = response.json()["errors"][0]
        assert error["code"] == "CONFLICT" and "still running" in error["message"]
    assert (await counts(settings))["submissions"] == 1
    assert await audit_rows(settings) == []


async def test_deleting_does_not_give_back_todays_budget(
    client: ApiClient, settings: Settings
) -> None:
    """What a deleted memo cost today still counts against today's budget (a paid model's
    cost is set on the row: the offline analysis costs nothing and is never budgeted)."""
    first = await submit(client, "Scanner pilot", title="One")
    db = Database(settings.db_url)
    try:
        async with db.sessions() as session:
            evaluation = await session.get(Evaluation, uuid.UUID(first["id"]))
            assert evaluation is not None
            evaluation.cost_usd = 0.06
            caller = Caller(session_id=evaluation.session_id)
            await session.commit()
        async with db.sessions() as session:
            with pytest.raises(AppError) as before:
                await budgets.check(session, caller, 0.05)
        assert before.value.code == "BUDGET_EXCEEDED"
        assert (await client.delete(f"/api/v1/memos/{first['submission_id']}")).status_code == 200
        (entry,) = await audit_rows(settings)
        assert entry.details["cost_usd_today"] == 0.06
        async with db.sessions() as session:
            with pytest.raises(AppError) as after:
                await budgets.check(session, caller, 0.05)
            assert after.value.code == "BUDGET_EXCEEDED"
            await budgets.check(session, caller, 0.07)  # the same spending, no more
            other = Caller(session_id=uuid.uuid4())  # another session's deletions do not count
            await budgets.check(session, other, 0.05)
    finally:
        await db.dispose()
