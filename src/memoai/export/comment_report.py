"""The comments' kinds, the writer's marks and the report on the previous version's comments,
as the PDF shows them (memoai.export.report draws the rest)."""

from __future__ import annotations

from typing import Any

from memoai.evaluations.comment_schemas import comment_word
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
_MARKS = {"done": N_("you marked it done"), "dismissed": N_("you dismissed it")}


def tags(comment: dict[str, Any]) -> str:
    """'Clarity · could · Done': what the comment is about, how much it matters, its mark."""
    kind = comment_word(comment.get("kind") or "clarity").capitalize()
    severity = comment_word(comment.get("severity") or "should")
    state = comment_word(comment.get("state") or "open").capitalize()
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
        kind, severity = comment_word(item["kind"]).capitalize(), comment_word(item["severity"])
        out.runs(
            [
                (f"{verdict}. ", Style(size=9, bold=True, color=colour)),
                (f"{kind} · {severity} · {mark}", TAG),
            ],
            indent=3,
        )
        out.gap(2.5)
