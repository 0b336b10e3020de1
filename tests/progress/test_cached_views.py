"""The Progress view's ETag and the web app's held views: a reload that changes nothing is not
fetched again, and nothing stale is shown after a new evaluation, a revision or a deletion."""

from __future__ import annotations

from typing import Any

import pytest

from memoai.web import progress_pages
from tests.progress.conftest import Api
from tests.progress.test_web import MEMO, REVISED, submit
from tests.web.conftest import Site
from tests.web.dom import parse

PROGRESS = "/api/v1/progress"


async def test_an_unchanged_view_is_not_modified_until_it_changes(api: Api) -> None:
    csrf = (await api.client.start_session())["csrf_token"]
    first = await api.evaluate(MEMO, title="Pilot")
    seen = await api.client.get(PROGRESS, params={"range": "all"})
    etag = seen.headers["etag"]
    assert etag.startswith('W/"all-') and seen.headers["cache-control"] == "private, no-cache"

    again = await api.client.get(PROGRESS, params={"range": "all"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    # Another range is another view; a tag that is not the view's gets the whole view.
    week = await api.client.get(PROGRESS, params={"range": "week"}, headers={"If-None-Match": etag})
    assert week.status_code == 200 and week.headers["etag"] != etag
    other = await api.client.get(
        PROGRESS, params={"range": "all"}, headers={"If-None-Match": 'W/"all-nothing"'}
    )
    assert other.status_code == 200

    revised = await api.evaluate(REVISED, revision_of=first["id"])
    after_revision = await api.client.get(
        PROGRESS, params={"range": "all"}, headers={"If-None-Match": etag}
    )
    assert after_revision.status_code == 200
    assert after_revision.json()["data"]["counts"]["evaluations"] == 2
    assert after_revision.headers["etag"] != etag

    memos = (await api.get("/api/v1/memos"))["items"]
    deleted = await api.client.delete(
        f"/api/v1/memos/{memos[0]['id']}", headers={"X-CSRF-Token": csrf}
    )
    assert deleted.status_code == 200, deleted.text
    after_delete = await api.client.get(
        PROGRESS,
        params={"range": "all"},
        headers={"If-None-Match": after_revision.headers["etag"]},
    )
    assert after_delete.status_code == 200
    assert after_delete.json()["data"]["counts"]["evaluations"] == 0
    assert revised["id"] not in after_delete.text


async def test_another_session_never_gets_not_modified_for_a_view_it_did_not_see(
    api: Api,
) -> None:
    await api.evaluate(MEMO, title="Pilot")
    etag = (await api.client.get(PROGRESS, params={"range": "all"})).headers["etag"]
    await api.new_session()
    stranger = await api.client.get(
        PROGRESS, params={"range": "all"}, headers={"If-None-Match": etag}
    )
    assert stranger.status_code == 200
    assert stranger.json()["data"]["counts"]["evaluations"] == 0


def evaluations_shown(html: str) -> int:
    numbers = parse(html).select("dl", "progress-numbers")
    if not numbers:
        return 0
    return int(numbers[0].select("dd")[0].text)


async def test_the_progress_fragment_is_never_stale(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[Any] = []
    original = progress_pages._progress_of

    def counting(found: Any) -> Any:
        validated.append(found)
        return original(found)

    monkeypatch.setattr(progress_pages, "_progress_of", counting)
    await site.open()
    first = await submit(site, MEMO)
    shown = await site.browser.get("/ui/progress", params={"range": "all"})
    assert evaluations_shown(shown.text) == 1 and len(validated) == 1

    reload = await site.browser.get("/ui/progress", params={"range": "all"})
    assert reload.text == shown.text
    assert len(validated) == 1  # the API said 304: the held view was drawn again

    await submit(site, REVISED, revision_of=first)
    revised = await site.browser.get("/ui/progress", params={"range": "all"})
    assert evaluations_shown(revised.text) == 2 and len(validated) == 2
    assert "1 revision" in revised.text

    memos = parse((await site.open("/ui/memos")).text)
    form = next(f for f in memos.select("form") if "/delete" in (f.attrs.get("action") or ""))
    token = next(
        i.attrs["value"] for i in form.select("input") if i.attrs.get("name") == "csrf_token"
    )
    done = await site.browser.post(form.attrs["action"] or "", data={"csrf_token": token})
    assert done.status_code == 303
    emptied = await site.browser.get("/ui/progress", params={"range": "all"})
    assert evaluations_shown(emptied.text) == 0
    assert "No finished evaluations" in emptied.text
