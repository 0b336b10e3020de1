"""Every template rendered with sample data, no server and no browser: fast regression net."""

from __future__ import annotations

from typing import Any

import pytest

from memoai.web.live import LiveState
from memoai.web.rendering import TABS, make_environment, memo_pieces, visible_tabs
from tests.web import samples
from tests.web.dom import Node, parse

ENV = make_environment()


def render(name: str, **overrides: Any) -> str:
    return ENV.get_template(name).render(samples.context(**overrides))


def page(**overrides: Any) -> Node:
    tabs = visible_tabs(debug_mode=True, is_admin=True)
    return parse(render("page.html", tabs=tabs, active="write", **overrides))


# --- markup is text -----------------------------------------------------------------------


@pytest.mark.parametrize("tab", [t.id for t in TABS])
def test_every_tab_shows_markup_in_memo_and_title_as_text(tab: str) -> None:
    evaluation = samples.evaluation(
        title=samples.XSS_TITLE,
        text_content=samples.XSS_MEMO,
        strengths=["<script>alert('strength')</script>"],
        segment_feedback=[
            samples.segment(samples.XSS_MEMO, "<b>$2m</b>", comment="<img src=x onerror=alert(3)>")
        ],
    )
    history = [{"id": "x1", "title": samples.XSS_TITLE, "excerpt": "<i>e</i>", "created_at": ""}]
    html = render(f"tabs/_{tab}.html", evaluation=evaluation, history=history)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>$2m</b>" not in html
    for node in parse(html).walk():
        assert not any(name.startswith("on") for name in node.attrs), node


def test_escaped_title_and_memo_read_back_as_the_typed_text() -> None:
    evaluation = samples.evaluation(
        title=samples.XSS_TITLE, text_content=samples.XSS_MEMO, segment_feedback=[]
    )
    overall = parse(render("tabs/_overall.html", evaluation=evaluation))
    detailed = parse(render("tabs/_detailed.html", evaluation=evaluation))
    assert overall.select("p", "eval-title")[0].text == samples.XSS_TITLE
    assert detailed.select("div", "memo-text")[0].text == samples.XSS_MEMO


def test_the_page_has_no_inline_script_or_style() -> None:
    root = page(evaluation=samples.evaluation())
    for node in root.walk():
        assert "style" not in node.attrs, node.tag
        if node.tag == "script":
            assert node.attrs.get("src", "").startswith("/static/") and not node.text.strip()
        assert node.tag != "style"
    meta = root.select("meta", name="htmx-config")[0]
    assert '"includeIndicatorStyles":false' in (meta.attrs["content"] or "")


# --- the page's structure -------------------------------------------------------------------


def test_tabs_and_panels_follow_the_aria_tabs_pattern() -> None:
    root = page()
    tabs = root.select(role="tab")
    assert [t.attrs["id"] for t in tabs] == [f"tab-{t.id}" for t in TABS]
    for tab in tabs:
        panel = root.by_id(tab.attrs["aria-controls"] or "")
        assert panel.attrs["role"] == "tabpanel"
        assert panel.attrs["aria-labelledby"] == tab.attrs["id"]
        selected = tab.attrs["aria-selected"] == "true"
        assert panel.has("hidden") is not selected
        assert tab.attrs["tabindex"] == ("0" if selected else "-1")
    assert root.select("a", "skip-link")[0].attrs["href"] == "#main"
    assert root.by_id("main").tag == "main"
    assert [o.attrs["value"] for o in root.by_id("tab-select").select("option")] == [
        t.id for t in TABS
    ]


def test_debug_and_admin_tabs_only_when_allowed() -> None:
    assert "debug" not in [t.id for t in visible_tabs(debug_mode=False, is_admin=False)]
    assert "admin" not in [t.id for t in visible_tabs(debug_mode=True, is_admin=False)]
    assert "debug" in [t.id for t in visible_tabs(debug_mode=True, is_admin=False)]


def test_every_info_bubble_is_a_button_that_controls_its_text() -> None:
    root = page(evaluation=samples.evaluation())
    buttons = root.select("button", "info-button")
    assert len(buttons) >= 15
    for button in buttons:
        popover = root.by_id(button.attrs["aria-controls"] or "")
        assert button.attrs["aria-expanded"] == "false" and button.attrs["type"] == "button"
        assert popover.has("hidden") and popover.text.strip()
        assert button.text.strip().startswith("i") and "About" in button.text
    assert len({b.attrs["aria-controls"] for b in buttons}) == len(buttons)


def test_every_tab_has_an_information_bubble() -> None:
    root = page(evaluation=samples.evaluation())
    for tab in TABS:
        assert root.by_id(f"panel-{tab.id}").select("button", "info-button"), tab.id


def test_write_form_labels_counter_and_limits() -> None:
    root = parse(
        render("tabs/_write.html", client=samples.context()["client"] | {"memo_max_chars": 5000})
    )
    memo = root.by_id("memo-text")
    assert root.select("label", **{"for": "memo-text"})
    assert root.select("label", **{"for": "memo-title"})
    assert "maxlength" not in memo.attrs  # a paste over the limit must not be cut off
    assert "memo-counter" in (memo.attrs["aria-describedby"] or "")
    assert root.by_id("memo-counter").text == "0 / 5,000 characters"
    assert root.by_id("memo-form").attrs["data-max-chars"] == "5000"
    assert root.by_id("live-status").attrs["role"] == "status"


def test_revision_choice_lists_earlier_evaluations_with_offline_label() -> None:
    history = [
        {
            "id": "a1",
            "title": "Budget memo",
            "excerpt": "x",
            "created_at": "2025-03-03T14:05:00Z",
            "overall_score": 3.25,
            "provider": "offline",
        },
        {
            "id": "b2",
            "title": None,
            "excerpt": "Second memo text",
            "created_at": "",
            "overall_score": None,
            "provider": "claude",
        },
    ]
    html = render("write/_revision_field.html", history=history, selected_revision="b2")
    options = parse(html).select("option")
    assert [o.attrs["value"] for o in options] == ["", "a1", "b2"]
    # 3.25 is shown as 3.3 (half up, memoai.scores), as everywhere else
    assert "Budget memo · 3 Mar 2025, 14:05 UTC · 3.3 (offline analysis)" in options[1].text
    assert options[2].has("selected") and "Second memo text" in options[2].text


# --- feedback -----------------------------------------------------------------------------


def test_overall_feedback_shows_score_lists_rubric_and_offline_label() -> None:
    root = parse(render("tabs/_overall.html", evaluation=samples.evaluation()))
    assert root.select("span", "score-number")[0].text == "3.4"
    assert "offline analysis" in root.select("span", "badge-offline")[0].text
    rows = root.select("table", "rubric-table")[0].select("tr")[1:]
    assert [r.select("th")[0].text for r in rows] == [
        "Purpose and explicit ask",
        "Audience, clarity and tone",
    ]
    assert "4 / 5" in rows[0].text and "The ask is in the first paragraph." in rows[0].text
    assert "Not assessed" in rows[1].text and "cannot judge tone" in rows[1].text
    assert "1 criterion was not assessed by the offline analysis" in root.text
    assert "States the amount." in root.text and "Name who decides." in root.text
    assert "33%" in root.text  # passive share as a percentage


def test_claude_results_carry_no_offline_label() -> None:
    provenance = samples.evaluation()["provenance"] | {"provider": "claude", "label": "Claude (m)"}
    scores = [samples.evaluation()["rubric_scores"][0]]
    evaluation = samples.evaluation(provenance=provenance, rubric_scores=scores)
    for tab in ("overall", "detailed"):
        html = render(f"tabs/_{tab}.html", evaluation=evaluation)
        assert "offline analysis" not in html and "Claude (m)" in html


def test_failed_evaluation_shows_code_message_and_retry() -> None:
    root = parse(render("tabs/_overall.html", evaluation=samples.failed_evaluation()))
    assert "LLM_TIMEOUT" in root.select("code")[0].text
    assert "took too long" in root.text and "Your memo is saved" in root.text
    retry = root.select("button", data_retry=samples.evaluation()["id"])
    assert retry and "Retry" in retry[0].text
    not_retryable = render(
        "tabs/_overall.html",
        evaluation=samples.failed_evaluation("LLM_NOT_CONFIGURED", retryable=False),
    )
    assert "data-retry" not in not_retryable and "LLM_NOT_CONFIGURED" in not_retryable


def test_running_evaluation_polls_for_its_result() -> None:
    running = samples.evaluation(status="running", overall_score=None)
    poller = parse(render("tabs/_overall.html", evaluation=running)).select("div", "running")[0]
    assert poller.attrs["hx-get"] == f"/ui/evaluations/{running['id']}/panels"
    assert "load delay" in (poller.attrs["hx-trigger"] or "")


def test_without_an_evaluation_the_feedback_tabs_point_to_write() -> None:
    for tab in ("overall", "detailed"):
        root = parse(render(f"tabs/_{tab}.html"))
        assert root.select("a", data_goto_tab="write"), tab


def test_detailed_feedback_highlights_each_segment_at_its_offsets() -> None:
    memo = samples.MEMO
    comments = [
        samples.segment(memo, "Café pilot — “fast” 🚀"),
        samples.segment(memo, "€250,000 by 30 June"),
    ]
    evaluation = samples.evaluation(segment_feedback=comments)
    root = parse(render("tabs/_detailed.html", evaluation=evaluation))
    for i, comment in enumerate(comments):
        mark = root.by_id(f"seg-{i}")
        shown = "".join(c for c in mark.children if isinstance(c, str))
        assert shown == comment["segment"] == memo[comment["start"] : comment["end"]]
        assert mark.attrs["href"] == f"#comment-{i}" and mark.attrs["data-jump"] == f"comment-{i}"
        item = root.by_id(f"comment-{i}")
        assert item.select("a", "comment-quote")[0].attrs["data-jump"] == f"seg-{i}"
        assert "Who decided?" in item.text and "Name the decision maker." in item.text
    memo_text = root.select("div", "memo-text")[0]
    plain = "".join(
        c if isinstance(c, str) else "".join(x for x in c.children if isinstance(x, str))
        for c in memo_text.children
    )
    assert plain == memo  # the memo reads back exactly, highlights included


def test_memo_pieces_handle_overlaps_and_bad_offsets() -> None:
    text = "abcdefghij"
    segments = [
        {"start": 2, "end": 6},
        {"start": 4, "end": 8},  # overlaps the first: continues after it
        {"start": 3, "end": 5},  # inside the first: shown by the first highlight
        {"start": 8, "end": 40},  # beyond the memo: not shown
        {"start": "x", "end": 2},
    ]
    pieces, targets = memo_pieces(text, segments)
    assert [(p.text, p.index) for p in pieces] == [
        ("ab", None),
        ("cdef", 0),
        ("gh", 1),
        ("ij", None),
    ]
    assert targets == {0: 0, 1: 0, 2: 0}
    assert "".join(p.text for p in pieces) == text


def test_help_lists_rubric_guidance_per_level_frameworks_and_faq() -> None:
    root = parse(render("tabs/_help.html"))
    rubric = samples.config_data()["rubric"]
    first = rubric["criteria"][0]
    article = root.by_id(f"criterion-{first['id']}")
    assert first["name"] in article.text and f"{round(first['weight'])}%" in article.text
    levels = root.select("table", "levels")[0].select("tr")[1:]
    assert [r.select("th")[0].text for r in levels] == ["5", "4", "3", "2", "1"]
    assert first["guidance"]["1"] in levels[-1].text
    assert len(root.select("article", "criterion")) == len(rubric["criteria"])
    assert "Pyramid Principle" in root.text
    assert len(root.select("details")) >= len(rubric["criteria"]) + 5


def test_debug_tab_shows_provenance_but_no_secrets() -> None:
    html = render("tabs/_debug.html", evaluation=samples.evaluation())
    assert "offline analysis" in html and "rules-v1" in html and "12 ms" in html
    assert "api_key" not in html.lower() and "memoai_session" not in html


def test_progress_and_chat_say_what_will_be_there() -> None:
    assert "score over time" in render("tabs/_progress.html")
    assert "conversation" in render("tabs/_chat.html", evaluation=samples.evaluation())


def test_live_progress_lists_stages_and_partial_results() -> None:
    state = LiveState(criteria_total=6)
    state.apply("started", {"evaluation_id": "e1"})
    state.apply(
        "partial",
        {
            "strengths": ["<b>Clear</b> ask"],
            "opportunities": [],
            "rubric_scores": [{"name": "Evidence and data", "score": 3}],
        },
    )
    root = parse(ENV.get_template("evaluation/_live.html").render(state.context()))
    stages = root.select("li", "stage")
    assert [s.attrs["class"] for s in stages][:3] == [
        "stage stage-done",
        "stage stage-done",
        "stage stage-current",
    ]
    assert stages[2].attrs["aria-current"] == "step"
    assert "Evidence and data" in root.text and "3 / 5" in root.text
    assert "<b>Clear</b> ask" in root.text  # shown as text, not bold


def test_results_bundle_updates_every_view_out_of_band() -> None:
    root = parse(
        render(
            "evaluation/_results.html",
            evaluation=samples.evaluation(),
            history=[],
            client=samples.context()["client"] | {"debug_mode": True},
        )
    )
    oob = {n.attrs["hx-swap-oob"] for n in root.walk() if n.has("hx-swap-oob")}
    assert oob == {
        "innerHTML:#panel-detailed",
        "innerHTML:#panel-debug",
        "innerHTML:#live-body",
        "true",
    }
    assert root.by_id("revision-field").attrs["hx-swap-oob"] == "true"
    assert root.select("a", data_goto_tab="overall")


def test_error_page_is_friendly() -> None:
    html = ENV.get_template("error.html").render(title="Not found", message="<x> nothing")
    assert "&lt;x&gt; nothing" in html and "Back to the coach" in html
