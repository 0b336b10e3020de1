"""The style dimensions: clarity (sentence length, reading grade, voice) and audience and tone."""

from __future__ import annotations

from memoai.analysis.assessment import (
    AUDIENCE_CEILING,
    LOWER_CASE_SHARE,
    PADDING_SHARE,
    Assessment,
    Note,
    limited,
    ramp,
    repetition_notes,
)
from memoai.analysis.findings import Findings
from memoai.analysis.metrics import LONG_SENTENCE_WORDS
from memoai.analysis.wording import count, tr


def clarity(f: Findings) -> Assessment:
    """Short sentences, a moderate reading grade, active voice."""
    m, lang = f.metrics, f.language
    if not m.sentences:
        note = Note("write", tr("Write the memo in full sentences.", lang))
        return Assessment(0.0, tr("No sentences to measure.", lang), (), (note,))
    msl, grade, passive = m.mean_sentence_length, m.readability_grade, f"{m.passive_share:.0%}"
    quality = 0.3 * ramp(msl, 18, 35) + 0.2 * ramp(m.long_sentences / m.sentences, 0, 0.3)
    quality += 0.3 * ramp(grade, 10, 20) + 0.2 * ramp(m.passive_share, 0.1, 0.5)
    quality -= min(0.3, 0.1 * len(f.filler) * 100 / max(1, f.unique_words))
    quality = max(0.0, quality) * (1 - min(1.0, 2 * f.repeated_share))
    quality *= 1 - f.lower_case_share / 2
    values = {"msl": msl, "grade": grade, "passive": passive, "limit": LONG_SENTENCE_WORDS}
    facts = tr(
        "Sentences average {msl} words ({long} over {limit}); Flesch–Kincaid grade {grade}; "
        "passive voice in {passive} of sentences.",
        lang,
        long=m.long_sentences,
        ease=m.flesch_reading_ease,
        **values,
    )
    strengths, opportunities = repetition_notes(f)
    padded = f.repeated_share > PADDING_SHARE
    if msl <= 20 and grade <= 12 and not padded:
        text = "Easy to read: sentences average {msl} words and the reading grade is {grade}."
        strengths.append(Note("readable", tr(text, lang, **values)))
    if m.long_sentences or msl > 22:
        text = tr(
            "{long} over {limit} words (average {msl}); split them, one point each.",
            lang,
            long=count(m.long_sentences, "sentence", lang),
            **values,
        )
        opportunities.append(Note("long", text))
    if grade > 12:
        text = "The reading grade is {grade}; aim for 12 or below with shorter sentences and "
        text += "plainer words."
        opportunities.append(Note("grade", tr(text, lang, **values)))
    if m.passive_share > 0.2:
        text = "{passive} of sentences are in the passive voice; name who acts."
        opportunities.append(Note("passive", tr(text, lang, **values)))
    elif m.sentences >= 3 and not padded:
        text = "Mostly active voice: {passive} of sentences are passive."
        strengths.append(Note("active", tr(text, lang, **values)))
    return limited(f, quality, facts, strengths, opportunities)


def audience(f: Findings) -> Assessment:
    """Confident, plain wording: no hedging, jargon, unexplained acronyms or exclamations."""
    per_100 = 100 / max(1, f.unique_words)
    hedges, jargon, acronyms = f.hedges, tuple(dict.fromkeys(f.jargon)), f.undefined_acronyms
    lower = f.lower_case_share
    penalty = min(0.3, 0.1 * len(hedges) * per_100) + min(0.35, 0.1 * len(f.casual))
    penalty += min(0.45, 0.12 * len(f.jargon)) + min(0.15, 0.04 * len(acronyms))
    penalty += min(0.2, 0.1 * f.exclamations) + 0.5 * lower
    quality = max(0.0, AUDIENCE_CEILING - penalty) * (1 - min(1.0, 2 * f.repeated_share))
    lang = f.language
    facts = tr(
        "{hedges}, {jargon}, {acronyms}, {exclamations}, {casual}, {lower} starting in lower "
        "case. Only these signals are checked: whether tone and detail suit your readers needs "
        "a human or AI reader, so the offline analysis does not award the top level here.",
        lang,
        hedges=count(len(hedges), "hedging word", lang),
        jargon=count(len(f.jargon), "jargon phrase", lang),
        acronyms=count(len(acronyms), "unexplained acronym", lang),
        exclamations=count(f.exclamations, "exclamation mark", lang),
        casual=count(len(f.casual), "casual phrase", lang),
        lower=count(f.lower_case_starts, "sentence", lang),
    )
    strengths, opportunities = [], []
    plain = not (hedges or jargon or f.casual or f.lower_case_starts or f.repeated)
    if plain and f.words >= 50:
        text = tr("Confident, plain wording: no hedging words or buzzwords found.", lang)
        strengths.append(Note("plain", text))
    if len(hedges) * per_100 > 1:
        text = tr(
            "Hedging words appear {n} times ({sample}); state your case with confidence.",
            lang,
            n=len(hedges),
            sample=", ".join(dict.fromkeys(hedges[:6])),
        )
        opportunities.append(Note("hedges", text))
    if f.casual:
        text = tr(
            "The tone is too casual for senior leaders ({sample}); write as you would in a "
            "board paper.",
            lang,
            sample=", ".join(f"“{c}”" for c in dict.fromkeys(f.casual[:4])),
        )
        opportunities.append(Note("casual", text))
    if lower > LOWER_CASE_SHARE:
        text = tr(
            "Start sentences with a capital letter; a memo typed in lower case reads as a "
            "hurried note.",
            lang,
        )
        opportunities.append(Note("lower_case", text))
    if jargon:
        text = tr("Replace jargon with plain words: {words}.", lang, words=", ".join(jargon[:4]))
        opportunities.append(Note("jargon", text))
    if acronyms:
        text = tr(
            "Spell out {acronyms} the first time you use them.",
            lang,
            acronyms=", ".join(acronyms[:4]),
        )
        opportunities.append(Note("acronyms", text))
    if f.exclamations:
        text = tr("Drop the exclamation marks; let the facts carry the emphasis.", lang)
        opportunities.append(Note("exclamations", text))
    return limited(f, quality, facts, strengths, opportunities)
