"""The page never misleads and reads well on every screen, in Debian's Chromium against a
real `memoai serve` (slow suite): the same numbers on the web page, in the PDF, the CSV and
the chat; "previous" is the memo's previous version; Progress fits a 390 px phone and its
charts name their points; keyboard focus never hides under the sticky tab bar; paper shows
the feedback without the controls; a first visit can load a sample memo; the saved draft
forgets "Revision of" once the memo was evaluated. The reload test starts the streaming
fake model's server on first use (about 15 s of its time).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from memoai import scores
from tests.fakes.common import delay
from tests.web import browser as b
from tests.web.test_browser import (  # noqa: F401 - claude and claude_fake are fixtures
    MEMO,
    Watched,
    claude,
    claude_fake,
    expect,
    submit,
    wait_for_feedback,
)

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}
REVISED = MEMO + (
    "\n\nWe will train staff in two weeks and save about $40,000 a year. Risks: tablets may "
    "fail; paper forms stay available as a fallback."
)
ROOF = "To: Board\nSubject: New roof\n\nThe roof leaks. It costs $80,000. Please decide by Friday."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    with b.run_server("serve", tmp_path_factory.mktemp("readable")) as started:
        yield started


class Seeded:
    """A browser context with three evaluations: a memo, an unrelated memo, the first memo's
    revision (so "previous" by time and "previous version" differ)."""

    def __init__(self, chromium: Any, server: b.Server, viewport: dict[str, int]) -> None:
        self.watched = Watched(chromium.new_context(viewport=viewport))
        self.page = self.watched.page
        self.url = server.url
        self.page.goto(self.url + "/?tab=write")
        cookies = {c["name"]: c["value"] for c in self.watched.context.cookies()}
        with httpx.Client(base_url=self.url, cookies=cookies, timeout=60) as api:
            headers = {"x-csrf-token": cookies["memoai_csrf"]}

            def evaluate(**body: Any) -> dict[str, Any]:
                answer = api.post("/api/v1/evaluations", json=body, headers=headers)
                assert answer.status_code in (200, 201), answer.text
                return dict(answer.json()["data"])

            self.first = evaluate(text_content=MEMO, title="Intake pilot")
            self.other = evaluate(text_content=ROOF, title="Roof")
            self.second = evaluate(
                text_content=REVISED, title="Intake pilot", revision_of=self.first["id"]
            )

    def close(self) -> None:
        self.watched.close()


@pytest.fixture
def seeded(chromium: Any, server: b.Server) -> Iterator[Seeded]:
    made = Seeded(chromium, server, b.DESKTOP)
    yield made
    made.close()


@pytest.fixture
def seeded_phone(chromium: Any, server: b.Server) -> Iterator[Seeded]:
    made = Seeded(chromium, server, PHONE)
    yield made
    made.close()


def pdf_text(page: Any, url: str) -> str:
    answer = page.request.get(url)
    assert answer.status == 200, answer.text()
    out = subprocess.run(
        ["pdftotext", "-", "-"], input=answer.body(), capture_output=True, check=True
    )
    return " ".join(out.stdout.decode().split())


def shown_to_tab(page: Any, tab: str) -> None:
    if page.locator("#tab-select").is_visible():
        page.select_option("#tab-select", tab)
    else:
        page.click(f"#tab-{tab}")
    expect(page.locator(f"#panel-{tab}")).to_be_visible()


# --- one set of numbers, and "previous" is the memo's previous version ----------------------


def test_web_pdf_csv_and_chat_agree(seeded: Seeded) -> None:
    page, first, second = seeded.page, seeded.first, seeded.second
    page.goto(seeded.url + "/?tab=overall")
    score = page.locator("#panel-overall .score-number").inner_text()
    assert score == scores.text(second["overall_score"])
    extremes = page.locator("#panel-overall .score-extreme strong").all_inner_texts()
    strongest = scores.strongest(second["rubric_scores"])
    assert strongest is not None and extremes[0] == strongest["name"]
    # How the revision moved: against version 1 of the same memo, never the roof memo.
    movement = page.locator("#panel-overall .movement").inner_text()
    before, after = scores.text(first["overall_score"]), score
    change = scores.change(first["overall_score"], second["overall_score"])
    assert f"({before} → {after})" in movement and "previous version of this memo" in movement
    assert scores.text(abs(change or 0)) in movement
    b.screenshot(page, "readable-overall-revision")

    text = pdf_text(page, f"{seeded.url}/ui/export/pdf/{second['id']}")
    assert f"{score} / 5" in text
    assert f"Strongest: {strongest['name']}" in text
    assert movement in text, text[:1500]  # the same headline, the same arithmetic
    assert "Intake pilot, version 2 (this report)" in text
    assert f"{score} {scores.signed(change)}" in text  # its change against version 1
    assert "Roof" in text and f"Roof test {scores.text(seeded.other['overall_score'])}" not in text

    answer = page.request.get(f"{seeded.url}/ui/export/history.csv")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(answer.text().lstrip("\ufeff")))}
    assert rows[second["id"]]["overall_score"] == score
    assert rows[first["id"]]["overall_score"] == before

    shown_to_tab(page, "chat")
    page.fill("#chat-input", "Anything else?")
    page.click("#chat-send")
    reply = page.locator("#chat-messages .chat-assistant .chat-text").last
    expect(reply).to_contain_text(f"Your overall score is {score}")
    expect(reply).to_contain_text(f"Strongest: {strongest['name']}")


# --- phones ----------------------------------------------------------------------------------


def test_progress_fits_a_phone(seeded_phone: Seeded) -> None:
    page = seeded_phone.page
    page.goto(seeded_phone.url + "/?tab=progress")
    expect(page.locator("#progress-body .progress-view")).to_be_visible()
    expect(page.locator("#comparison .version-card").first).to_be_visible()
    for details in page.locator("#progress-body details").all():
        details.locator("summary").click()  # data tables open too
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The revision table keeps every column on screen.
    table = page.locator("#comparison .delta-table").first
    for heading in ("Criterion", "Before", "After", "Change"):
        cell = table.locator("thead th", has_text=heading)
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Chart text at a readable size: the phone's drawing, shown at about its own size.
    expect(page.locator(".chart-narrow").first).to_be_visible()
    expect(page.locator(".chart-wide").first).to_be_hidden()
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('.chart-narrow svg text')]
              .map(t => t.getBoundingClientRect().height).filter(h => h > 0))"""
    )
    assert smallest >= 11, f"chart text only {smallest:.1f} px tall"
    assert b.run_axe(page) == []
    header = page.locator(".header-inner")
    padding = header.evaluate("e => parseFloat(getComputedStyle(e).paddingTop)")
    assert padding >= 10
    b.screenshot(page, "readable-phone-progress")


# --- charts ----------------------------------------------------------------------------------


def test_chart_points_are_named_on_hover_and_keyboard_focus(seeded: Seeded) -> None:
    page = seeded.page
    page.goto(seeded.url + "/?tab=progress")
    chart = page.locator("#progress-body .chart-wide svg").first
    expect(chart).to_be_visible()
    labels = chart.locator("text").all_text_contents()
    dates = [t for t in labels if ":" in t]  # the x axis: times of one day
    assert dates and len(dates) == len(set(dates)), labels
    points = chart.locator("[data-point]")
    assert points.count() == 3
    points.nth(0).hover()
    tip = page.locator(".chart-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Intake pilot, ")
    expect(tip).to_contain_text(f"overall {scores.text(seeded.first['overall_score'])} / 5")
    page.mouse.move(0, 0)
    points.nth(0).focus()
    expect(tip).to_contain_text("Intake pilot, ")
    page.keyboard.press("ArrowRight")
    expect(points.nth(1)).to_be_focused()
    expect(tip).to_contain_text("Roof, ")
    page.keyboard.press("End")
    expect(tip).to_contain_text("Intake pilot (version 2), ")
    expect(tip).to_contain_text(f"overall {scores.text(seeded.second['overall_score'])} / 5")
    assert points.nth(2).get_attribute("tabindex") == "0"  # one tab stop, where it was left
    b.screenshot(page, "readable-chart-tooltip")
    assert b.run_axe(page) == []


# --- focus -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_keyboard_focus_never_hides_under_the_tab_bar(
    chromium: Any, server: b.Server, size: str
) -> None:
    seeded = Seeded(chromium, server, b.DESKTOP if size == "desktop" else PHONE)
    try:
        page = seeded.page
        for tab in ("overall", "detailed", "progress", "help"):
            page.goto(f"{seeded.url}/?tab={tab}")
            if tab == "progress":
                expect(page.locator("#progress-body .progress-view")).to_be_visible()
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.locator("footer").click()  # start from the end of the page
            checked = 0
            for _ in range(25):  # backwards: each focus scrolls the page up under the bar
                page.keyboard.press("Shift+Tab")
                hidden = page.evaluate(
                    """() => {
                      const bar = document.querySelector('.tabs-nav').getBoundingClientRect();
                      const el = document.activeElement;
                      if (!el || el === document.body || el.closest('.tabs-nav')) return null;
                      const box = el.getBoundingClientRect();
                      if (box.height === 0) return null;
                      const under = box.top < bar.bottom - 1 && box.bottom > bar.top + 1;
                      return under ? el.outerHTML.slice(0, 120) : false;
                    }"""
                )
                if hidden is not None:
                    checked += 1
                    assert hidden is False, f"{tab}: under the tab bar: {hidden}"
            assert checked > 5, tab
        if size == "desktop":
            page.goto(seeded.url + "/?tab=overall")
            page.locator("#tab-overall").focus()
            page.keyboard.press("ArrowRight")
            ring = page.evaluate(
                """() => { const s = getComputedStyle(document.activeElement);
                           return [s.outlineStyle, parseFloat(s.outlineWidth),
                                   parseFloat(s.outlineOffset)]; }"""
            )
            # The tab bar clips what overflows it: the ring is drawn inside the tab, whole.
            assert ring[0] == "solid" and ring[1] >= 2 and ring[2] <= -ring[1]
            b.screenshot(page, "readable-tab-focus")
    finally:
        seeded.close()


# --- paper -----------------------------------------------------------------------------------


def test_print_shows_the_feedback_without_the_controls(seeded: Seeded) -> None:
    page = seeded.page
    page.goto(seeded.url + "/?tab=overall")
    expect(page.locator("#panel-overall .score-number")).to_be_visible()
    page.emulate_media(media="print")
    for hidden in (".tabs-nav", "#panel-overall .info-button", "#panel-overall a.button",
                   ".skip-link", ".site-footer"):  # fmt: skip
        assert not page.locator(hidden).first.is_visible(), hidden
    expect(page.locator("#panel-overall .score-number")).to_be_visible()
    expect(page.locator("#panel-overall .rubric-table")).to_be_visible()
    expect(page.locator("#panel-write")).to_be_hidden()
    pdf = b.SCREENSHOTS / "readable-print-overall.pdf"
    b.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(pdf), format="A4")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(pdf.with_suffix(""))],
        check=True,
    )
    page.emulate_media(media="screen")
    expect(page.locator(".tabs-nav")).to_be_visible()


# --- first visit, drafts -----------------------------------------------------------------------


def test_a_sample_memo_and_a_draft_that_forgets_revision_of(
    chromium: Any, server: b.Server
) -> None:
    watched = Watched(chromium.new_context(viewport=b.DESKTOP))
    try:
        page = watched.page
        page.goto(server.url)
        page.click("[data-sample]")
        memo = page.locator("#memo-text")
        expect(memo).to_have_value(
            (Path(b.ROOT) / "src/memoai/web/templates/write/_sample_memo.txt").read_text().strip()
        )
        expect(page.locator("#memo-title")).to_have_value("Sample: funding a digital intake pilot")
        page.click("#submit-button")
        wait_for_feedback(page)
        first = page.locator("#panel-overall .eval-title").inner_text()
        assert first.startswith("Sample")

        page.click("#tab-write")
        options = page.locator("#revision-of option")
        expect(options).to_have_count(2)
        page.select_option("#revision-of", index=1)
        submit(page, REVISED, "Intake pilot, second version")
        wait_for_feedback(page)
        expect(page.locator("#panel-overall .movement")).to_contain_text("previous version")
        draft = json.loads(page.evaluate("localStorage.getItem('memoai.draft.v1')"))
        assert draft["revision_of"] == "" and draft["text"] == REVISED  # the text is kept
        page.reload()
        expect(page.locator("#revision-of")).to_have_value("")
        expect(page.locator("#memo-text")).to_have_value(REVISED)
        expect(page.locator("[data-sample]")).to_have_count(0)  # no longer a first visit
    finally:
        watched.close()


# --- a reload during an evaluation -------------------------------------------------------------


def test_a_reload_on_the_write_tab_during_an_evaluation_shows_the_result(
    chromium: Any, request: pytest.FixtureRequest
) -> None:
    server: b.Server = request.getfixturevalue("claude")
    fake = request.getfixturevalue("claude_fake")
    watched = Watched(chromium.new_context(viewport=b.DESKTOP))
    try:
        page = watched.page
        page.goto(server.url)
        slow = fake.default({})
        fake.push(delay(3.0, slow.then))
        submit(page, MEMO + "\n\nA slow one, reloaded on the Write tab.", "Slow memo")
        expect(page.locator("#live-body .stage-current")).to_contain_text("against the rubric")
        page.goto(server.url + "/?tab=write")  # the evaluation goes on without the page
        live = page.locator("#live")
        expect(live).to_be_visible()
        expect(live).to_contain_text("still working on “Slow memo”")
        expect(page.locator("#live-body .live-summary")).to_contain_text("Overall score")
        expect(page.locator("#panel-overall .eval-title")).to_have_text("Slow memo")
    finally:
        watched.close()
