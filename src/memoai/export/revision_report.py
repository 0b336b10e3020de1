"""The PDF's section on a revision: each criterion's score before and after, and the text's
changes as a marked-up diff (memoai.export.report draws the rest)."""

from __future__ import annotations

from memoai.export.layout import BAD, GOOD, LINE, MID, MUTED, SMALL, TEXT_2, Layout, Run, Style
from memoai.progress import diff
from memoai.progress.schemas import ChainVersion
from memoai.translations import gettext as _
from memoai.translations import ngettext


def _signed(delta: int | None) -> str:
    return "–" if delta is None else f"{delta:+d}" if delta else "0"


def trend_colour(delta: float | None) -> tuple[int, int, int]:
    if delta is None or abs(delta) < 0.05:
        return MUTED
    return GOOD if delta > 0 else BAD


def write(out: Layout, version: ChainVersion, scale: dict[str, int]) -> None:
    # Kept with its table's header and first rows, never alone at the foot of a page.
    out.heading(
        _("Changes since the previous version (version %(version)s)")
        % {"version": version.version},
        keep=45,
    )
    if not version.comparable:
        out.text(
            _(
                "The previous version was scored with another rubric version, so scores are not "
                "compared."
            ),
            Style(size=9.5, color=MID),
        )
    rows: list[list[str | list[Run]]] = []
    for item in version.criteria:
        delta = item.delta
        colour = trend_colour(delta)
        rows.append(
            [
                item.name,
                "–" if item.previous is None else f"{item.previous} / {scale['max']}",
                "–" if item.current is None else f"{item.current} / {scale['max']}",
                [(_signed(delta), Style(size=9, bold=True, color=colour))],
            ]
        )
    columns = [(_("Criterion"), 0.52), (_("Before"), 0.16), (_("After"), 0.16), (_("Change"), 0.16)]
    out.table(columns, rows)
    if version.diff is not None:
        _diff(out, version)


def _diff(out: Layout, version: ChainVersion) -> None:
    out.ensure(30)  # the explanation stays with the first lines of the diff
    added, removed = version.words_added or 0, version.words_removed or 0
    changes = ngettext(
        "Text changes: %(num)s word added, %(removed)s removed.",
        "Text changes: %(num)s words added, %(removed)s removed.",
        added,
    ) % {"num": added, "removed": removed}
    legend = _("Added text is green and underlined, removed text red and struck through.")
    out.text(f"{changes} {legend}", Style(size=9, color=MUTED))
    out.gap(1.5)
    styles = {
        "equal": Style(size=9.5, color=TEXT_2),
        "insert": Style(size=9.5, color=GOOD, underline=True),
        "delete": Style(size=9.5, color=BAD, strike=True),
        "skip": Style(size=9, color=MUTED),
    }
    runs: list[Run] = []
    for piece in diff.compact(version.diff or []):
        text = _skipped(piece.skipped) if piece.op == "skip" else piece.text
        runs.append((text, styles[piece.op]))
    out.runs(runs or [(_("No text changes."), SMALL)], indent=3, bar=LINE)
    out.gap(2)


def _skipped(count: int) -> str:
    words = ngettext("%(num)s unchanged word", "%(num)s unchanged words", count) % {"num": count}
    return f" [… {words} …] "
