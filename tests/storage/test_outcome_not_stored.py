"""Storage fails after the memo is stored, while the model works: the answer says the memo was
saved (never "nothing was saved"), the memo stays listed, and the evaluation can be retried
once storage takes writes again.

Disk full: SQLite's file is capped at its current size (`PRAGMA max_page_count`) during the
model call, so the final write (the feedback, several pages) is refused with SQLite's own
"database or disk is full" at exactly that point; a filled tmpfs cannot promise that (SQLite
reuses the room its WAL file already has). Read-only: the file made immutable (`chattr +i`) or
PostgreSQL switched to read-only transactions during the model call, as in test_read_only.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from memoai.app import stop
from memoai.llm.base import EvaluationPrompt, PartialCallback, ProviderResult
from tests.storage.support import MEMO
from tests.storage.test_read_only import database, read_only  # noqa: F401 (a fixture)

from helpers import ApiClient, make_settings, open_client

SAVED = "Your memo was saved"
# Long enough that its feedback takes more room than the pages the file already has.
LONG_MEMO = MEMO + "".join(
    f"\n\nPoint {n}: it is believed that the rota was possibly maybe changed by staff in clinic "
    f"{n}, and overtime was perhaps somewhat reduced; very many leverage synergies were noted "
    f"by the team at site {n}, although the figures were not checked by anyone at all."
    for n in range(1, 25)
)
NOT_SAVED = "nothing you sent was saved"


class DuringTheModelCall:
    """The offline analyser, with something done to storage while it works (the memo is
    stored by then, its outcome not yet)."""

    def __init__(self, inner: Any, action: Callable[[], Awaitable[None]]) -> None:
        self.inner, self.action = inner, action
        self.name, self.model = inner.name, inner.model

    async def evaluate(
        self, prompt: EvaluationPrompt, on_partial: PartialCallback | None = None
    ) -> ProviderResult:
        await self.action()
        result: ProviderResult = await self.inner.evaluate(prompt, on_partial)
        return result


async def set_max_pages(app: Any, pages: int | None) -> None:
    """Cap the file at its current size (None) or lift the cap, on the app's one connection."""
    async with app.state.db.engine.connect() as conn:
        count = (await conn.execute(text("PRAGMA page_count"))).scalar()
        await conn.execute(text(f"PRAGMA max_page_count = {pages or count}"))


async def stored_memo(client: ApiClient) -> dict[str, Any]:
    """The one evaluation listed, read whole."""
    listed = (await client.get("/api/v1/evaluations")).json()["data"]["items"]
    assert len(listed) == 1
    one = await client.get(f"/api/v1/evaluations/{listed[0]['id']}")
    assert one.status_code == 200, one.text
    data: dict[str, Any] = one.json()["data"]
    return data


async def retried(client: ApiClient, evaluation: dict[str, Any]) -> None:
    """A failed outcome is retryable and, with storage back, the retry completes."""
    assert evaluation["status"] == "failed"
    assert evaluation["error"]["retryable"] is True
    again = await client.post(f"/api/v1/evaluations/{evaluation['id']}/retry")
    assert again.status_code == 200, again.text[:500]
    assert again.json()["data"]["status"] == "completed"


# What the answer says, in each language: the memo kept, and why its feedback was not.
SAID = {
    "en": (SAVED, "storage is full"),
    "es": ("Su memorando se guardó", "el almacenamiento del servidor está lleno"),
}


@pytest.mark.parametrize("language", ["en", "es"])
async def test_a_full_disk_after_the_memo_is_stored_says_the_memo_is_saved(
    tmp_path: Path, config_dir: Path, language: str
) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir)
    app, client = await open_client(settings)
    client.headers["Accept-Language"] = language
    saved, why = SAID[language]
    try:
        await client.start_session()
        flow = app.state.flow
        flow.provider = DuringTheModelCall(flow.provider, lambda: set_max_pages(app, None))
        response = await client.post("/api/v1/evaluations", json={"text_content": LONG_MEMO})
        assert response.status_code == 507, response.text[:500]
        error = response.json()["errors"][0]
        assert error["code"] == "DISK_FULL"
        assert error["message"].startswith(saved) and NOT_SAVED not in error["message"]
        assert why in error["message"]

        flow.provider = flow.provider.inner
        await set_max_pages(app, 1_000_000)
        evaluation = await stored_memo(client)
        assert evaluation["text_content"] == LONG_MEMO
        assert evaluation["error"]["code"] == "DISK_FULL"
        await retried(client, evaluation)
    finally:
        await client.aclose()
        await stop(app)


async def test_a_read_only_database_after_the_memo_is_stored_says_the_memo_is_saved(
    database: str,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    config_dir: Path,
) -> None:
    settings = make_settings(database, tmp_path, config_dir)
    app, client = await open_client(settings)
    try:
        await client.start_session()
        flow = app.state.flow
        async with contextlib.AsyncExitStack() as stack:

            async def refuse_writes() -> None:
                await stack.enter_async_context(read_only(app, database))

            flow.provider = DuringTheModelCall(flow.provider, refuse_writes)
            response = await client.post("/api/v1/evaluations", json={"text_content": MEMO})
        assert response.status_code == 503, response.text[:500]
        error = response.json()["errors"][0]
        assert error["code"] == "DATABASE_READ_ONLY"
        assert error["message"].startswith(SAVED) and NOT_SAVED not in error["message"]
        assert int(response.headers["Retry-After"]) > 0

        flow.provider = flow.provider.inner
        evaluation = await stored_memo(client)
        assert evaluation["text_content"] == MEMO
        # The smaller write that marks it failed was refused too: it stays running until the
        # next start marks it interrupted (and retryable).
        assert evaluation["status"] == "running"
    finally:
        await client.aclose()
        await stop(app)
