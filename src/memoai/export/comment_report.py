"""The comments' kinds, the writer's marks and the report on the previous version's comments,
as the PDF shows them (memoai.export.report draws the rest)."""

from __future__ import annotations

from typing import Any

from memoai.export.layout import BAD, GOOD, LINE, MUTED, TEXT_2, Layout, Style
from memoai.translations import N_
from memoai.translations import gettext as _

TAG = Style(size=9, bold=True, color=TEXT_2)
_VERDICTS = {
    "passage_changed": (N_("Addressed by the rule: the passage changed"), GOOD),
    "passage_removed": (N_("Addressed by the rule: the passage was removed"), GOOD),
    "passage_unchanged": (N_("Not addressed: the passage is unchanged"), BAD),
    "raised_again": (N_("Not addressed: this version comments on it again"), BAD),
}
# The API's words for a comment's kind, severity and mark (the same as the web's terms).
_WORDS = {
    "structure": N_("structure"),
    "evidence": N_("evidence"),
    "clarity": N_("clarity"),
    "tone": N_("tone"),
    "ask": N_("ask"),
    "risk": N_("risk"),
    "must": N_("must"),
    "should": N_("should"),
    "could": N_("could"),
    "open": N_("open"),
    "done": N_("done"),
    "dismissed": N_("dismissed"),
}
_MARKS = {"done": N_("you marked it done"), "dismissed": N_("you dismissed it")}


def word(value: object) -> str:
    """One of the API's fixed words in the reader's language; anything else as it came."""
    text = str(value)
    return _(_WORDS[text]) if text in _WORDS else text


def tags(comment: dict[str, Any]) -> str:
    """'Clarity · could · Done': what the comment is about, how much it matters, its mark."""
    kind = word(comment.get("kind") or "clarity").capitalize()
    severity = word(comment.get("severity") or "should")
    state = word(comment.get("state") or "open").capitalize()
    return f"{kind} · {severity} · {state}"


def counts_line(out: Layout, evaluation: dict[str, Any]) -> None:
    """'8 of 11 comments addressed (6 done, 2 dismissed)' under the comments' heading."""
    counts = evaluation.get("comment_counts")
    if counts and counts.get("total"):
        out.text(str(counts["text"]), Style(size=9.5, color=MUTED))
        out.gap(2)


def earlier_comments(out: Layout, evaluation: dict[str, Any]) -> None:
    """Each comment of the previous version with the rule's verdict and the writer's mark."""
    report = evaluation.get("revision_report")
    if not report or not report.get("items"):
        return
    out.heading(_("Comments on the previous version"))
    out.text(str(report["text"]) + ".", Style(size=9.5, color=TEXT_2))
    out.gap(1)
    rule = str(report["addressed_by"])
    out.text(rule[0].upper() + rule[1:] + ".", Style(size=8.5, color=MUTED))
    out.gap(2.5)
    quote = Style(size=9.5, color=TEXT_2)
    for item in report["items"]:
        out.ensure(16)
        verdict, colour = _VERDICTS[item["verdict"]]
        verdict = _(verdict)
        out.runs([(f"“{item['segment']}”", quote)], indent=3, bar=LINE)
        marked = _MARKS.get(item["writer_state"])
        mark = _(marked) if marked else _("not marked by you")
        out.runs(
            [
                (f"{verdict}. ", Style(size=9, bold=True, color=colour)),
                (f"{word(item['kind']).capitalize()} · {word(item['severity'])} · {mark}", TAG),
            ],
            indent=3,
        )
        out.gap(2.5)
