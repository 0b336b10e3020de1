"""The Detailed tab's editor, in Debian's Chromium against a real `memoai serve` (slow suite:
one server start and a browser, about 30 s): the memo edited in place by keyboard alone, the
highlights following the text, a changed passage said as such, the edits kept across a
reload, a refused revision keeping the text, Revise from the page with live progress to the
new evaluation and its report on the previous version, the marks counted on the Overall and
Progress tabs; axe-clean at desktop and phone sizes, light and dark, with screenshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.evaluations.test_comments import V1
from tests.web import browser as b
from tests.web.test_comments_browser import press, submit

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=15_000)
expect = playwright_api.expect

PASSIVE = "Mistakes were made by the front desk staff"
REWRITE = "Front desk staff mistype about 4% of paper forms"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    with b.run_server("serve", tmp_path_factory.mktemp("editor")) as running:
        yield running


def marks(page: Any) -> dict[int, str]:
    """The highlights the backdrop draws: comment index -> the words under it."""
    found: list[list[Any]] = page.eval_on_selector_all(
        "#memo-editor .editor-backdrop mark",
        "ms => ms.map(m => [Number(m.dataset.comment), m.textContent])",
    )
    return {int(index): str(text) for index, text in found}


def selected(page: Any) -> str:
    text: str = page.evaluate(
        "() => { const a = document.getElementById('editor-text');"
        " return a.value.slice(a.selectionStart, a.selectionEnd); }"
    )
    return text


def axe_clean(page: Any) -> None:
    assert b.run_axe(page) == []
    page.emulate_media(color_scheme="dark")
    assert b.run_axe(page) == []
    page.emulate_media(color_scheme="light")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_edit_in_place_and_revise_from_the_page(chromium: Any, server: b.Server, size: str) -> None:
    context = chromium.new_context(viewport={"desktop": b.DESKTOP, "phone": b.PHONE}[size])
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    try:
        page.goto(server.url + "/")
        first = submit(page, context, server, V1)
        page.goto(f"{server.url}/?evaluation={first['id']}&tab=detailed")
        panel = page.locator("#panel-detailed")
        editor = page.locator("#memo-editor")
        area = page.get_by_label("Edit your memo")
        expect(editor).to_be_hidden()

        # Open the editor by keyboard: the textarea takes the focus, every highlight is drawn.
        press(page, "Edit memo")
        expect(editor).to_be_visible()
        expect(area).to_be_focused()
        expect(page.get_by_role("button", name="Edit memo")).to_have_attribute(
            "aria-expanded", "true"
        )
        before = marks(page)
        assert len(before) == 3, before
        passive = next(i for i, text in before.items() if text.startswith(PASSIVE))
        axe_clean(page)
        b.screenshot(page, f"editor-{size}-open")

        # Type at the very start: every highlight moves with its words.
        page.keyboard.press("Control+Home")
        page.keyboard.type("Draft 2. ")
        expect(area).to_have_value("Draft 2. " + V1)
        assert marks(page) == before
        offsets = page.evaluate(
            "() => Array.from(document.querySelectorAll('#memo-editor mark'))"
            ".map(m => m.dataset.comment)"
        )
        assert len(offsets) == 3
        # "Select in editor" (a labelled button per comment) selects the moved passage.
        press(page, f"Select in editor: passage of comment {passive + 1}")
        expect(area).to_be_focused()
        assert selected(page) == before[passive]
        expect(panel.locator(f"#passage-state-{passive}")).to_contain_text("Passage in your text")

        # Typing over the selected passage changes it: its highlight goes, its comment says so.
        page.keyboard.type(REWRITE)
        expect(panel.locator(f"#passage-state-{passive}")).to_contain_text("Passage changed")
        expect(
            page.get_by_role("button", name=f"Select in editor: passage of comment {passive + 1}")
        ).to_be_hidden()
        after = marks(page)
        assert passive not in after
        assert after == {i: t for i, t in before.items() if i != passive}
        expect(page.locator("#editor-status")).to_have_text(
            "Edited. 1 of 3 commented passages changed."
        )
        # The same words back in the text (pasted back): the passage is found again.
        edited = area.input_value()
        area.fill("Draft 2. " + V1)
        expect(panel.locator(f"#passage-state-{passive}")).to_contain_text("Passage in your text")
        assert marks(page) == before
        area.fill(edited)
        expect(panel.locator(f"#passage-state-{passive}")).to_contain_text("Passage changed")
        assert REWRITE in edited and PASSIVE not in edited
        axe_clean(page)
        b.screenshot(page, f"editor-{size}-changed")

        # The edits survive a reload (kept in this browser until the evaluation is stored).
        page.wait_for_timeout(400)  # the draft is written 250 ms after the last keystroke
        page.reload()
        expect(editor).to_be_visible()
        expect(area).to_have_value(edited)
        expect(page.locator("#editor-status")).to_contain_text("restored")
        expect(panel.locator(f"#passage-state-{passive}")).to_contain_text("Passage changed")

        # A revision the coach refuses (too long) leaves the text in the box, with the reason.
        area.fill(edited + "x" * 10_001)
        press(page, "Revise")
        expect(page.locator("#editor-error")).to_contain_text("Nothing was sent")
        expect(page.locator("#editor-error")).to_contain_text("Your text is still here")
        assert area.input_value() == edited + "x" * 10_001
        area.fill(edited)

        # Revise from the page: live progress, then the new evaluation by its own address.
        press(page, "Revise")
        page.wait_for_url(lambda url: "tab=detailed" in url and first["id"] not in url)
        new_id = page.url.split("evaluation=")[1].split("&")[0]
        assert new_id != first["id"]
        expect(panel.locator("#earlier-comments-summary")).to_contain_text(
            "comments on the previous version addressed by the rule"
        )
        expect(panel.locator(".earlier-comments li").first).to_contain_text(
            "Addressed by the rule: the passage changed"
        )
        kept = page.evaluate(
            "() => Object.keys(localStorage).filter(k => k.startsWith('memoai.revise'))"
        )
        assert kept == []  # the draft is dropped once the evaluation is stored
        expect(page.locator("#memo-editor")).to_be_hidden()
        axe_clean(page)
        b.screenshot(page, f"editor-{size}-revised")

        # The new version is stored as a revision of the first.
        stored = page.request.get(f"{server.url}/api/v1/evaluations/{new_id}").json()["data"]
        assert stored["text_content"] == edited
        assert stored["revision_report"]["items"]

        # The writer's marks are counted on the Overall and Progress tabs too.
        page.goto(f"{server.url}/?evaluation={first['id']}&tab=detailed")
        press(page, "Mark comment 1 done")
        page.wait_for_url("**tab=detailed**")
        expect(panel.locator("#comment-counts")).to_have_text(
            "1 of 3 comments addressed (1 done, 0 dismissed)"
        )
        page.goto(f"{server.url}/?evaluation={first['id']}&tab=overall")
        expect(page.locator("#overall-comment-counts")).to_contain_text(
            "1 of 3 comments addressed (1 done, 0 dismissed)"
        )
        page.goto(f"{server.url}/?evaluation={first['id']}&tab=progress")
        expect(page.locator("#progress-comment-counts")).to_contain_text(
            "1 of 3 comments addressed (1 done, 0 dismissed)"
        )
        axe_clean(page)
        # The one console error is the refused revision's 422, asked for above.
        assert [p for p in problems if "status of 422" not in p] == []
        assert len(problems) == 1
    finally:
        context.close()


def test_an_interrupted_revision_keeps_the_text(chromium: Any, server: b.Server) -> None:
    """The connection drops mid-stream: the message says so, the text stays in the box and in
    the browser's storage."""
    context = chromium.new_context(viewport=b.DESKTOP)
    page = context.new_page()
    try:
        page.goto(server.url + "/")
        first = submit(page, context, server, V1)
        page.goto(f"{server.url}/?evaluation={first['id']}&tab=detailed")
        press(page, "Edit memo")
        area = page.get_by_label("Edit your memo")
        page.keyboard.press("Control+End")
        page.keyboard.type("One more sentence by the writer.")
        text = area.input_value()
        page.route("**/ui/evaluate", lambda route: route.abort("connectionreset"))
        press(page, "Revise")
        expect(page.locator("#editor-error")).to_contain_text("connection to the coach was lost")
        assert area.input_value() == text
        stored = page.evaluate(
            "() => Object.keys(localStorage).filter(k => k.startsWith('memoai.revise'))"
            ".map(k => JSON.parse(localStorage.getItem(k)).text)"
        )
        assert stored == [text]
        expect(page.get_by_role("button", name="Revise")).to_be_enabled()
    finally:
        context.close()
