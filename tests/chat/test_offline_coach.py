"""The offline coach through the real chat flow: it compares a revision with the first draft
and says it is not an AI model only in its first reply."""

from __future__ import annotations

from tests.analysis.test_coach import DRAFT, REVISED
from tests.chat.support import ask, evaluate, history, open_chat

from helpers import ApiClient


async def test_a_revision_is_compared_with_the_first_draft_and_the_notice_comes_once(
    client: ApiClient,
) -> None:
    draft = await evaluate(client, DRAFT)
    revised = await evaluate(client, REVISED, revision_of=draft["id"])
    chat = await open_chat(client, revised["id"])

    compared = await ask(client, chat["id"], "How does this version compare with my first draft?")
    assert compared.status_code == 201, compared.text
    first = compared.json()["data"]["content"]
    assert "not an AI model" in first
    assert "Compared with your first draft" in first
    assert "The new version states an explicit request." in first
    assert "Gone: “Ward 4 is in a terrible state.”" in first

    fix = (await ask(client, chat["id"], "What should I fix first?")).json()["data"]["content"]
    assert fix.startswith("Fix ") and "not an AI model" not in fix
    assert [m["role"] for m in await history(client, chat["id"])] == ["user", "assistant"] * 2
