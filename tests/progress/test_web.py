"""The Progress tab and the download relays of the web app (templates and routes, no browser)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import httpx

from memoai import scores
from memoai.progress import diff
from memoai.progress.schemas import ChainVersion, CriterionDelta, RevisionChain
from memoai.web.progress_pages import progress_view
from memoai.web.rendering import make_environment
from tests.progress.samples import progress
from tests.web.conftest import Site
from tests.web.dom import parse

MEMO = (
    "To: Leadership Team\nFrom: Ann Lee\nSubject: Scheduling pilot\n\n"
    "We think a pilot would help. It was decided that the current system is inefficient. "
    "The pilot will reduce no-shows by 20% according to our 2024 data."
)
REVISED = "We request $250,000 by 30 June. " + MEMO.replace("We think a pilot would help. ", "")


def chain(old: str, new: str) -> RevisionChain:
    first, second = uuid.uuid4(), uuid.uuid4()
    versions = [
        ChainVersion(
            version=n,
            evaluation_id=eid,
            submission_id=uuid.uuid4(),
            previous_evaluation_id=first if n == 2 else None,
            created_at=progress("1.0:a").timeline[0].created_at,
            title="<i>Pilot</i>",
            overall_score=2.0 + n,
            overall_delta=1.0 if n == 2 else None,
            rubric_version="1.0:a",
            comparable=True,
            criteria=[
                CriterionDelta(criterion_id="ask", name="Ask <b>", previous=2, current=4, delta=2)
            ],
            diff=diff.word_diff(old, new) if n == 2 else None,
            words_added=3 if n == 2 else None,
            words_removed=1 if n == 2 else None,
        )
        for n, eid in ((1, first), (2, second))
    ]
    return RevisionChain(
        chain_id=uuid.uuid4(),
        title="<i>Pilot</i>",
        versions=versions,
        latest_evaluation_id=second,
        total_change=1.0,
    )


def render(name: str, context: dict[str, Any]) -> str:
    return make_environment().get_template(name).render(context)


def test_progress_fragment_draws_accessible_charts_and_escapes_text() -> None:
    data = progress("1.0:a", "1.0:a", "1.1:b")
    compared = chain("We ask <now>.", "We ask <today>.")
    html = render("progress/_body.html", progress_view(data, compared, "all"))
    root = parse(html)
    svgs = root.select("svg")
    assert len(svgs) == 8  # each chart drawn for wide screens and for a phone's width
    ids = [svg.select("title")[0].attrs["id"] for svg in svgs]
    assert len(set(ids)) == 8
    for svg in svgs:
        assert svg.attrs["role"] == "group"  # of named, focusable points
        title, desc = svg.select("title")[0], svg.select("desc")[0]
        assert svg.attrs["aria-labelledby"] == f"{title.attrs['id']} {desc.attrs['id']}"
        points = [n for n in svg.select("circle") + svg.select("rect") if n.has("data-point")]
        assert points, "every chart names its points"
        assert [p.attrs["tabindex"] for p in points].count("0") == 1  # one tab stop a chart
        assert all(p.attrs["aria-label"] == p.attrs["data-point"] for p in points)
    overall = [p.attrs["aria-label"] for p in svgs[0].select("circle") if p.has("data-point")]
    assert overall == [
        f"{e.title or 'Untitled memo'}, {e.created_at.day} {e.created_at:%b %Y %H:%M}: "
        f"overall {scores.text(e.overall_score)} / 5"
        for e in data.timeline
    ]
    assert len(root.select("details", cls="chart-data")) == 4  # a data table under each chart
    assert "<script>alert" not in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&lt;i&gt;Pilot&lt;/i&gt;" in html and "Ask &lt;b&gt;" in html
    pressed = root.select("button", cls="range-button", aria_pressed="true")
    assert [b.text for b in pressed] == ["All time"]
    assert "come from 2 rubric versions" in root.select("div", cls="notice")[0].text
    (inserted,) = root.select("ins")[1:]  # the first <ins> and <del> explain the marks
    (deleted,) = root.select("del")[1:]
    assert inserted.text.strip() == "<today>." and deleted.text.strip() == "<now>."
    latest = compared.versions[1].evaluation_id
    (link,) = root.select("a", href=f"/ui/export/pdf/{latest}")
    assert link.has("download") and "Download PDF report" in link.text


def test_empty_range_says_what_to_do() -> None:
    empty = progress("1.0:a").model_copy(update={"timeline": [], "revision_chains": []})
    root = parse(render("progress/_body.html", progress_view(empty, None, "week")))
    assert root.select("svg") == []
    assert "No finished evaluations in the last 7 days" in root.text
    assert root.select("a", data_goto_tab="write")


async def submit(site: Site, text: str, **extra: Any) -> str:
    response = await site.evaluate(text, "Pilot <b>plan</b>", **extra)
    assert response.status_code == 200, response.text
    blocks = [b for b in response.text.split("\n\n") if b.startswith("event: done")]
    done = json.loads(blocks[-1].split("data: ", 1)[1])
    return str(done["evaluation_id"])


async def test_progress_tab_shows_charts_and_the_latest_comparison(site: Site) -> None:
    page = parse((await site.open("/?tab=progress")).text)
    body = page.by_id("progress-body")
    assert body.attrs["data-src"] == "/ui/progress"
    first = await submit(site, MEMO)
    second = await submit(site, REVISED, revision_of=first)

    response = await site.browser.get("/ui/progress", params={"range": "week"})
    assert response.status_code == 200
    root = parse(response.text)
    assert len(root.select("svg", role="group")) == 8
    labels = [n.attrs["data-point"] for n in root.select("circle") if n.has("data-point")]
    assert any(label.startswith("Pilot <b>plan</b> (version 2), ") for label in labels)
    assert "Pilot &lt;b&gt;plan&lt;/b&gt;" in response.text  # titles stay text
    heading = root.by_id("comparison-heading")
    assert "versions compared" in heading.text
    assert "We request $250,000 by 30 June." in " ".join(i.text for i in root.select("ins"))
    assert root.select("a", href=f"/ui/export/pdf/{second}")

    again = await site.browser.get(f"/ui/progress/revisions/{first}")
    assert again.status_code == 200 and "Version 2 against" in again.text


async def test_downloads_go_through_the_frontend(site: Site) -> None:
    await site.open()
    evaluation_id = await submit(site, MEMO)
    pdf = await site.browser.get(f"/ui/export/pdf/{evaluation_id}")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.content.startswith(b"%PDF-")
    history = await site.browser.get("/ui/export/history.csv")
    assert history.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(history.content.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == [evaluation_id]
    as_json = await site.browser.get("/ui/export/history.json")
    assert as_json.json()["data"]["count"] == 1


async def test_no_browser_reaches_anothers_downloads_or_progress(site: Site) -> None:
    await site.open()
    evaluation_id = await submit(site, MEMO)
    stranger = httpx.AsyncClient(transport=site.browser._transport, base_url="http://testserver")
    try:
        await stranger.get("/")
        assert stranger.cookies.get("memoai_session") != site.browser.cookies.get("memoai_session")
        refused = await stranger.get(f"/ui/export/pdf/{evaluation_id}")
        assert refused.status_code == 404
        assert "not available" in refused.text and "%PDF" not in refused.text
        empty = await stranger.get("/ui/progress", params={"range": "all"})
        assert "No finished evaluations" in empty.text
    finally:
        await stranger.aclose()
