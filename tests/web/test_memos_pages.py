"""My memos through the web app on a real API: the list, search, pages, addresses that name an
evaluation, and deleting through the page's forms (CSRF on)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.web.conftest import Site
from tests.web.dom import parse

MEMO = (
    "To: Operations\nFrom: Ana\nSubject: {subject}\n\nI request $12,000 to pilot scanners at two "
    "sites by 1 May. Intake takes 14 minutes; the pilot cuts it to 5. Please approve."
)


async def api_submit(site: Site, subject: str, **extra: Any) -> dict[str, Any]:
    """A memo sent to the API with the browser's cookies (quicker than the page's live relay)."""
    body = {"text_content": MEMO.format(subject=subject), **extra}
    transport = httpx.ASGITransport(app=site.api)
    cookies = dict(site.browser.cookies)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=cookies
    ) as api:
        response = await api.post(
            "/api/v1/evaluations", json=body, headers={"X-CSRF-Token": site.csrf()}
        )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_an_address_names_an_evaluation_on_every_tab(site: Site) -> None:
    await site.open()
    first = await api_submit(site, "First memo", title="First memo")
    await api_submit(site, "Second memo", title="Second memo")  # the newest

    newest = parse((await site.open("/?tab=overall")).text)
    assert newest.select("p", "eval-title")[0].text == "Second memo"
    page = await site.open(f"/?evaluation={first['id']}&tab=detailed")
    root = parse(page.text)
    assert root.select("p", "eval-title")[0].text == "First memo"
    assert root.by_id("tab-detailed").attrs["aria-selected"] == "true"
    assert not root.by_id("panel-detailed").has("hidden")
    for tab in root.select(role="tab"):
        assert tab.attrs["href"] == f"/?evaluation={first['id']}&tab={tab.attrs['data-tab']}"
    # Chat and Progress are filled when first shown, from tabs that name the same evaluation.
    for tab in ("chat", "progress"):
        assert root.select(data_tab_src=f"/ui/tabs/{tab}?evaluation={first['id']}"), tab
    chat_tab = parse((await site.open(f"/ui/tabs/chat?evaluation={first['id']}")).text)
    assert chat_tab.by_id("chat-body").attrs["data-chat-src"] == (
        f"/ui/chat?evaluation_id={first['id']}"
    )
    progress_tab = parse((await site.open(f"/ui/tabs/progress?evaluation={first['id']}")).text)
    assert progress_tab.by_id("progress-body").attrs["data-src"] == (
        f"/ui/progress/of/{first['id']}"
    )
    chat = await site.open(f"/ui/chat?evaluation_id={first['id']}")
    assert "First memo" in parse(chat.text).select("p", "chat-about")[0].text


async def test_an_address_naming_no_evaluation_of_yours_says_so(site: Site) -> None:
    await site.open()
    mine = await api_submit(site, "Mine", title="Mine")
    site.browser.cookies.clear()  # another browser
    for named in (mine["id"], "not-an-id"):
        root = parse((await site.open(f"/?evaluation={named}&tab=overall")).text)
        notice = root.select("div", "notice")[0].text
        assert "was not found" in notice and "My memos lists yours" in notice
        assert not root.select("p", "eval-title")  # nothing of anyone's is shown instead
        assert "Mine" not in root.by_id("panel-overall").text


async def test_the_list_groups_versions_searches_and_pages(site: Site) -> None:
    await site.open()
    first = await api_submit(site, "Scanner pilot", title="Scanner <b>pilot</b>")
    revised = await api_submit(site, "Scanner pilot, revised", revision_of=first["id"])
    for n in range(10):
        await api_submit(site, f"Topic {n}", title=f"Topic {n}")

    root = parse((await site.open("/ui/memos")).text)
    assert root.select("div", "memos-view")[0].attrs["data-status"] == "11 memos, page 1 of 2."
    titles = [node.text for node in root.select("h3", "memo-title")]
    assert titles == [f"Topic {n}" for n in range(9, -1, -1)]
    assert root.select("nav", "memos-pager")[0].select("button")[0].attrs["hx-get"] == (
        "/ui/memos?offset=10"
    )

    second = parse((await site.open("/ui/memos?offset=10")).text)
    (item,) = second.select("li", "memo-item")
    assert item.select("h3", "memo-title")[0].text == "Scanner <b>pilot</b>"  # text, not markup
    versions = [
        row.select("span", "version-name")[0].text for row in item.select("li", "version-row")
    ]
    assert versions == ["Version 2", "Version 1"]
    links = [a.attrs["href"] for a in item.select("a") if "evaluation=" in (a.attrs["href"] or "")]
    assert f"/?evaluation={revised['id']}&tab=overall" in links
    assert {
        f"/?evaluation={first['id']}&tab={t}" for t in ("overall", "detailed", "chat", "progress")
    } <= set(links)

    found = parse((await site.open("/ui/memos?q=REVISED")).text)
    assert found.select("div", "memos-view")[0].attrs["data-status"] == "1 memo matches “REVISED”."
    assert [n.text for n in found.select("h3", "memo-title")] == ["Scanner <b>pilot</b>"]
    none = parse((await site.open("/ui/memos?q=nowhere")).text)
    assert "No memo has “nowhere” in its title or text." in none.text


async def test_deleting_a_memo_through_the_page(site: Site) -> None:
    await site.open()
    gone = await api_submit(site, "To delete", title="To delete")
    kept = await api_submit(site, "To keep", title="To keep")
    body = parse((await site.open("/ui/memos")).text)
    form = next(
        f
        for f in body.select("form")
        if f.attrs.get("action") == f"/ui/memos/{gone['submission_id']}/delete"
    )
    token = next(
        i.attrs["value"] for i in form.select("input") if i.attrs.get("name") == "csrf_token"
    )
    dialog = body.by_id(f"delete-{gone['submission_id']}")
    offered = [a.attrs["href"] for a in dialog.select("a")]
    assert offered == [
        f"/ui/export/pdf/{gone['id']}",
        "/ui/export/memos.json",
        "/ui/export/history.csv",
        "/ui/export/history.json",
    ]

    refused = await site.browser.post(form.attrs["action"] or "", data={"csrf_token": "stale"})
    assert refused.status_code == 403
    assert "Nothing was deleted" in refused.text
    assert "security token" in refused.text

    done = await site.browser.post(form.attrs["action"] or "", data={"csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"] == "/?tab=memos&deleted=memo"
    page = parse((await site.open(done.headers["location"])).text)
    assert "The memo was deleted" in page.select("div", "notice")[0].text
    titles = [n.text for n in parse((await site.open("/ui/memos")).text).select("h3", "memo-title")]
    assert titles == ["To keep"]
    assert (await site.browser.get(f"/ui/export/pdf/{gone['id']}")).status_code == 404
    assert (await site.browser.get(f"/ui/export/pdf/{kept['id']}")).status_code == 200

    again = await site.browser.post(form.attrs["action"] or "", data={"csrf_token": token})
    assert again.status_code == 404 and "already have been deleted" in again.text


async def test_deleting_everything_through_the_page(site: Site) -> None:
    await site.open()
    await api_submit(site, "One", title="One")
    await api_submit(site, "Two", title="Two")
    body = parse((await site.open("/ui/memos")).text)
    dialog = body.by_id("delete-all")
    assert [a.attrs["href"] for a in dialog.select("a")] == [
        "/ui/export/memos.json",
        "/ui/export/history.csv",
        "/ui/export/history.json",
    ]
    kept = await site.browser.get("/ui/export/memos.json")
    assert kept.status_code == 200 and "attachment" in kept.headers["content-disposition"]
    assert [m["title"] for m in kept.json()["data"]["memos"]] == ["Two", "One"]
    token = next(
        i.attrs["value"] for i in dialog.select("input") if i.attrs.get("name") == "csrf_token"
    )
    done = await site.browser.post("/ui/memos/delete-all", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/?tab=memos&deleted=all"
    page = parse((await site.open(done.headers["location"])).text)
    assert "All your memos were deleted" in page.select("div", "notice")[0].text
    assert "No memos yet" in (await site.open("/ui/memos")).text
    exported = (await site.browser.get("/ui/export/history.json")).text
    assert not re.search(r'"title":\s*"(One|Two)"', exported)


async def test_progress_compares_the_named_memo(site: Site) -> None:
    await site.open()
    first = await api_submit(site, "Scanner pilot", title="Scanner")
    await api_submit(site, "Scanner pilot, revised", revision_of=first["id"])
    other = await api_submit(site, "Parking", title="Parking")
    await api_submit(site, "Parking, revised", revision_of=other["id"])  # revised last
    latest = parse((await site.open("/ui/progress")).text)
    assert latest.by_id("comparison-heading").text.startswith("Parking")
    named = parse((await site.open(f"/ui/progress/of/{first['id']}")).text)
    assert named.by_id("comparison-heading").text.startswith("Scanner")
    single = await api_submit(site, "Alone", title="Alone")
    alone = parse((await site.open(f"/ui/progress/of/{single['id']}")).text)
    assert not alone.by_id("comparison").text.strip()  # no other memo's versions instead
