"""The offline coach's fixed answers that need more than one evaluation: comparing versions,
explaining a score against the rubric's levels, and what to fix first.

Everything here is computed from the memo texts, the stored scores and the rubric; nothing is
invented. Scores of earlier versions are re-measured with the same rules, so a comparison
compares like with like.
"""

from __future__ import annotations

import difflib
from fractions import Fraction
from typing import Any

from memoai import scores as score_rule
from memoai.analysis.dimensions import DIMENSIONS, clip
from memoai.analysis.findings import find
from memoai.analysis.metrics import compute_metrics, profile_memo
from memoai.analysis.offline import analyse, criterion_dimensions
from memoai.analysis.text import words
from memoai.analysis.wording import tr
from memoai.configs.schemas import Criterion, Rubric

MAX_QUOTES = 2
MAX_STEPS = 3


def compare_versions(
    memo: str, earlier: list[str], rubric: Rubric, *, first: bool, language: str = "en"
) -> str:
    """Per-criterion deltas and what changed in the text, against the first or last draft."""
    lang = language
    if not earlier:
        return tr(
            "This is the first version of the memo, so there is no earlier draft to compare "
            "with. Revise it, submit the new version as a revision of this one, and ask again.",
            lang,
        )
    old = earlier[0] if first else earlier[-1]
    which = tr("your first draft" if first or len(earlier) == 1 else "the previous version", lang)
    before, after = _scores(old, rubric, lang), _scores(memo, rubric, lang)
    lines = [
        tr(
            "Compared with {which} (both versions measured by the same offline rules):",
            lang,
            which=which,
        )
    ]
    for criterion in rubric.criteria:
        was, now = before.get(criterion.id), after.get(criterion.id)
        if was is None or now is None:
            lines.append(tr("- {name}: not assessed offline.", lang, name=criterion.name))
            continue
        delta = f"{now - was:+d}" if now != was else tr("no change", lang)
        lines.append(f"- {criterion.name}: {was} → {now} ({delta})")
    overall_before, overall_after = _overall(before, rubric), _overall(after, rubric)
    change = score_rule.signed(score_rule.change(overall_before, overall_after))
    lines.append(
        tr(
            "Overall: {before} → {after} ({change}).",
            lang,
            before=score_rule.text(overall_before),
            after=score_rule.text(overall_after),
            change=change,
        )
    )
    lines.append(tr("What changed in the text:", lang))
    lines.extend(f"- {line}" for line in text_changes(old, memo, lang))
    return "\n".join(lines)


def text_changes(old: str, new: str, language: str = "en") -> list[str]:
    """Counts that moved, and the sentences added and removed (quoted, shortened)."""
    lang = language
    a, b = compute_metrics(old, lang), compute_metrics(new, lang)
    lines = [
        tr(
            "Words {a_words} → {b_words}; paragraphs {a_paragraphs} → {b_paragraphs}; "
            "figures {a_figures} → {b_figures}; memo header lines {a_headers} → {b_headers}.",
            lang,
            a_words=a.words,
            b_words=b.words,
            a_paragraphs=a.paragraphs,
            b_paragraphs=b.paragraphs,
            a_figures=a.numbers_count,
            b_figures=b.numbers_count,
            a_headers=len(a.headers_found),
            b_headers=len(b.headers_found),
        )
    ]
    if a.has_explicit_ask != b.has_explicit_ask:
        lines.append(
            tr("The new version states an explicit request.", lang)
            if b.has_explicit_ask
            else tr("The new version no longer states an explicit request.", lang)
        )
    old_sentences, new_sentences = _sentences(old, lang), _sentences(new, lang)
    matcher = difflib.SequenceMatcher(
        a=[_key(s) for s in old_sentences], b=[_key(s) for s in new_sentences], autojunk=False
    )
    added: list[str] = []
    removed: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += old_sentences[i1:i2]
        if tag in ("replace", "insert"):
            added += new_sentences[j1:j2]
    if not added and not removed:
        lines.append(tr("The sentences are the same; only spacing or layout changed.", lang))
        return lines
    lines.append(
        tr(
            "{added} sentences added or rewritten, {removed} removed or rewritten.",
            lang,
            added=len(added),
            removed=len(removed),
        )
    )
    lines += [tr("New: “{quote}”", lang, quote=clip(s)) for s in added[:MAX_QUOTES]]
    lines += [tr("Gone: “{quote}”", lang, quote=clip(s)) for s in removed[:1]]
    return lines


def level_guidance(criterion: Criterion, score: int, high: int, language: str = "en") -> list[str]:
    """What the rubric says about the level reached, and what the next level needs (the
    rubric's own words, as the administrator wrote them)."""
    lang = language
    lines = [
        tr(
            "The rubric describes level {score} as: {guidance}",
            lang,
            score=score,
            guidance=criterion.guidance[score],
        )
    ]
    if score < high:
        lines.append(
            tr(
                "To reach {next}, the rubric asks for: {guidance}",
                lang,
                next=score + 1,
                guidance=criterion.guidance[score + 1],
            )
        )
    else:
        lines.append(tr("That is the top level; keep doing what earned it.", lang))
    return lines


def criterion_advice(memo: str, criterion: Criterion, language: str = "en") -> list[str]:
    """The rules' concrete suggestions for one criterion of this memo."""
    if not memo.strip():
        return []
    shares = criterion_dimensions(criterion.id, criterion.name, criterion.description)
    f = find(memo, language)
    notes = [n.text for d in shares for n in DIMENSIONS[d](f).opportunities]
    return list(dict.fromkeys(notes))[:MAX_STEPS]


def fix_first(evaluation: dict[str, Any], rubric: Rubric, memo: str, language: str = "en") -> str:
    """The criterion where a step up gains most: weight × levels below the top."""
    lang = language
    known = {c.id: c for c in rubric.criteria}
    high = rubric.scale.max
    judged = [
        (known[s["criterion_id"]], int(s["score"]))
        for s in evaluation.get("rubric_scores") or []
        if s.get("assessed", True) and s.get("score") is not None and s["criterion_id"] in known
    ]
    room = [(c, score) for c, score in judged if score < high]
    if not room:
        if judged:
            return tr(
                "Every assessed criterion is at the top level; nothing needs fixing first.", lang
            )
        return tr(
            "This evaluation has no assessed scores, so I cannot say what to fix first.", lang
        )
    order = {c.id: i for i, c in enumerate(rubric.criteria)}
    ranked = sorted(room, key=lambda p: (-p[0].weight * (high - p[1]), p[1], order[p[0].id]))
    criterion, score = ranked[0]
    total = sum(c.weight for c in rubric.criteria) or 1
    share = criterion.weight * 100 / total
    lines = [
        tr(
            "Fix {name} first: you scored {score} out of {high}, and it carries {share:.0f}% of "
            "the overall score, so a step up there counts most.",
            lang,
            name=criterion.name,
            score=score,
            high=high,
            share=share,
        ),
        *level_guidance(criterion, score, high, lang),
    ]
    steps = criterion_advice(memo, criterion, lang)
    if steps:
        lines.append(tr("Start with:", lang))
        lines.extend(f"- {step}" for step in steps)
    if len(ranked) > 1:
        then, then_score = ranked[1]
        lines.append(
            tr(
                "Then: {name} ({score} out of {high}).",
                lang,
                name=then.name,
                score=then_score,
                high=high,
            )
        )
    return "\n".join(lines)


def _scores(memo: str, rubric: Rubric, language: str = "en") -> dict[str, int | None]:
    out = analyse(memo, rubric, language)
    return {s["criterion_id"]: s["score"] if s["assessed"] else None for s in out["rubric_scores"]}


def _overall(found: dict[str, int | None], rubric: Rubric) -> float | None:
    judged = [(c.weight, found.get(c.id)) for c in rubric.criteria]
    weights = [(Fraction(w), s) for w, s in judged if s is not None]
    total = sum(w for w, _ in weights)
    if not weights or total <= 0:
        return None
    return score_rule.rounded(sum(w * s for w, s in weights) / total)


def _sentences(text: str, language: str = "en") -> list[str]:
    """Sentences and list items; header lines and headings are counted, not quoted."""
    profile = profile_memo(text, language)
    return [profile.quote(u) for u in profile.sentences]


def _key(sentence: str) -> str:
    return " ".join(words(sentence.lower()))
