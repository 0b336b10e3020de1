"""How well a memo does on each dimension the offline rules can measure, and the facts why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from memoai.analysis.findings import Findings
from memoai.analysis.metrics import LONG_SENTENCE_WORDS, MEMO_HEADERS

FULL_LENGTH_WORDS = 150  # shorter memos show too little to earn high marks
# Whether tone and detail suit the readers needs a reader; the rules never award the top level.
AUDIENCE_CEILING = 0.75
QUOTE_CHARS = 90


@dataclass(frozen=True)
class Note:
    """A strength or opportunity; the key keeps two criteria from saying the same thing."""

    key: str
    text: str


@dataclass(frozen=True)
class Assessment:
    quality: float  # 0 (absent) to 1 (exemplary)
    facts: str  # what was measured, quoted in the justification
    strengths: tuple[Note, ...] = ()
    opportunities: tuple[Note, ...] = ()
    capped: bool = False  # limited because the memo is very short


def ramp(value: float, good: float, bad: float) -> float:
    """1 at `good`, 0 at `bad`, linear in between (in either direction)."""
    return max(0.0, min(1.0, (value - bad) / (good - bad)))


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def clip(text: str, limit: int = QUOTE_CHARS) -> str:
    """Memo text on one line, shortened for quoting inside a sentence."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def where_ask(f: Findings) -> str:
    return f"paragraph {f.ask_paragraph}, {f.ask_position or 0:.0%} of the way in"


def _assessment(
    f: Findings, quality: float, facts: str, strengths: list[Note], opportunities: list[Note]
) -> Assessment:
    """Limit the quality of a very short memo, which shows too little to judge."""
    cap = min(1.0, 0.25 + 0.75 * f.words / FULL_LENGTH_WORDS)
    return Assessment(
        round(min(quality, cap), 3), facts, tuple(strengths), tuple(opportunities), cap < quality
    )


def purpose(f: Findings) -> Assessment:
    """An explicit, specific request, stated early."""
    if f.ask is None:
        facts = "No explicit request or recommendation found (such as “I request”, “we recommend”"
        facts += " or “please approve”)"
        facts += "; a purpose statement opens the memo." if f.purpose_early else "."
        text = (
            "State your request in the first paragraph: what you want approved, how much, by when."
        )
        return Assessment(0.25 * f.purpose_early, facts, (), (Note("ask_missing", text),))
    placement = 1.0 if f.ask_early else 0.5 if (f.ask_position or 0.0) <= 0.5 else 0.0
    amount, deadline = f.ask_has_amount, f.ask_has_deadline
    quality = 0.45 + 0.25 * placement + 0.15 * amount + 0.15 * deadline
    facts = (
        f"The explicit ask appears in {where_ask(f)}: “{clip(f.profile.quote(f.ask))}”. It "
        f"{'names' if amount else 'does not name'} an amount and "
        f"{'gives' if deadline else 'does not give'} a date for the decision."
    )
    strengths, opportunities = [], []
    if f.ask_early:
        text = f"The request comes first ({where_ask(f)}), so a leader sees at once what is asked."
        strengths.append(Note("ask_early", text))
    else:
        text = f"Your request only appears in {where_ask(f)}; move it to the opening lines."
        opportunities.append(Note("ask_late", text))
    if amount and deadline:
        text = "The request is specific: it names an amount and a date for the decision."
        strengths.append(Note("ask_specific", text))
    missing = [name for name, ok in (("the amount", amount), ("the date", deadline)) if not ok]
    if missing:
        text = f"Make the request specific: add {' and '.join(missing)} you need a decision on."
        opportunities.append(Note("ask_vague", text))
    return Assessment(round(quality, 3), facts, tuple(strengths), tuple(opportunities))


def structure(f: Findings) -> Assessment:
    """Memo headers, short paragraphs, signposts, and the main point first."""
    headers = f.metrics.headers_found
    paragraphs = len(f.paragraph_words)
    longest = max(f.paragraph_words, default=0)
    shape = 1.0 if paragraphs >= 3 else 0.5 if paragraphs == 2 else 0.0
    shape *= 1 - 0.5 * f.long_paragraphs / max(1, paragraphs)
    front = 1.0 if f.ask_early else 0.6 if f.purpose_early else 0.4 if f.ask else 0.0
    signposts = min(1.0, f.headings / 3 + f.bullets / 6)
    quality = 0.2 * len(headers) / len(MEMO_HEADERS) + 0.25 * shape + 0.35 * front + 0.2 * signposts
    main_point = f"the ask is in {where_ask(f)}" if f.ask else "no explicit ask"
    facts = (
        f"Memo headers: {', '.join(headers) or 'none'}. {count(paragraphs, 'paragraph')}"
        f" (longest {longest} words), {count(f.headings, 'heading')}, "
        f"{count(f.bullets, 'list item')}; {main_point}."
    )
    strengths, opportunities = _layout_notes(f, signposts)
    if paragraphs < 3 or f.long_paragraphs:
        text = f"The memo has {count(paragraphs, 'paragraph')}, the longest {longest} words; "
        opportunities.append(Note("paragraphs", text + "give each idea a short paragraph."))
    if f.ask_early:
        text = f"Bottom line up front: the request opens the memo ({where_ask(f)})."
        strengths.append(Note("ask_early", text))
    elif f.ask:
        text = f"Lead with your conclusion: the request sits in {where_ask(f)}."
        opportunities.append(Note("ask_late", text))
    return _assessment(f, quality, facts, strengths, opportunities)


def _layout_notes(f: Findings, signposts: float) -> tuple[list[Note], list[Note]]:
    """Notes on the memo header and on headings and lists."""
    headers = f.metrics.headers_found
    strengths, opportunities = [], []
    if len(headers) == len(MEMO_HEADERS):
        strengths.append(Note("headers", "The memo header is complete: To, From, Date, Subject."))
    else:
        missing = ", ".join(h for h in MEMO_HEADERS if h not in headers)
        opportunities.append(Note("headers", f"Add the missing memo header lines: {missing}."))
    if signposts >= 1.0:
        text = f"{count(f.headings, 'heading')} and {count(f.bullets, 'list item')} make it"
        strengths.append(Note("signposts", text + " easy for a busy reader to skim."))
    elif signposts < 0.5:
        text = "Add headings (Recommendation, Costs and savings, Risks, Next steps) to help"
        opportunities.append(Note("signposts", text + " a leader skim."))
    return strengths, opportunities


def evidence(f: Findings) -> Assessment:
    """Figures for the claims, with sources, and no size claimed without a number."""
    figures, words = f.metrics.numbers_count, max(1, f.words)
    per_100 = figures / words * 100
    vague = len(f.vague_claims)
    quality = 0.6 * ramp(per_100, 2.5, 0) + 0.2 * ramp(vague, 0, 3) + 0.2 * ramp(f.sourced, 2, 0)
    examples = f", e.g. {', '.join(f.figure_examples)}" if f.figure_examples else ""
    facts = (
        f"{count(figures, 'figure')} in {count(f.words, 'word')} ({per_100:.1f} per 100 words)"
        f"{examples}; {count(vague, 'claim')} of size without a figure; "
        f"{count(f.sourced, 'sentence')} naming a source."
    )
    strengths, opportunities = [], []
    if per_100 >= 1.5:
        text = f"Claims are backed by numbers: {figures} figures in {f.words} words{examples}."
        text = text.replace(", e.g.", ", such as", 1)
        strengths.append(Note("figures", text))
    else:
        text = f"{'Only ' + str(figures) if figures else 'No'} figures in {f.words} words; back"
        opportunities.append(Note("figures", text + " the key claims with baselines and results."))
    if vague:
        text = f"{count(vague, 'claim')} of size without a number (e.g. “{f.vague_claims[0][1]}”)"
        opportunities.append(Note("vague", text + "; give the figure instead."))
    if f.sourced:
        text = f"Evidence is sourced: {count(f.sourced, 'sentence')} naming where data comes from."
        strengths.append(Note("sources", text))
    elif figures:
        text = "Say where your figures come from (audit, survey, pilot, benchmark)."
        opportunities.append(Note("sources", text))
    return _assessment(f, quality if figures else 0.0, facts, strengths, opportunities)


def business_case(f: Findings) -> Assessment:
    """Costs and benefits with figures, the return, and the alternatives."""
    cost, benefit = f.costs_with_figures > 0, f.benefits_with_figures > 0
    returns, alternatives = bool(f.return_terms), f.alternatives
    quality = 0.1 * (f.financial_mentions > 0) + 0.3 * cost + 0.3 * benefit
    quality += 0.15 * returns + 0.15 * alternatives
    facts = (
        f"{count(f.costs_with_figures, 'cost statement')} and "
        f"{count(f.benefits_with_figures, 'benefit statement')} with figures; return measure: "
        f"{', '.join(f.return_terms) or 'none'}; alternatives or the cost of doing nothing: "
        f"{'discussed' if alternatives else 'not discussed'}."
    )
    strengths = []
    if cost and benefit:
        text = "The business case is quantified: costs and benefits both come with figures."
        strengths.append(Note("quantified", text))
    if returns:
        strengths.append(Note("return", f"The return is explicit ({', '.join(f.return_terms)})."))
    gaps = (
        (cost, "cost", "Quantify the cost: one-off and running costs, with amounts."),
        (benefit, "benefit", "Quantify the benefit: savings, revenue or hours freed."),
        (returns, "return", "State the return: payback period or ROI, with your assumptions."),
        (alternatives, "alternatives", "Compare with the alternatives, including doing nothing."),
    )
    opportunities = [Note(key, text) for ok, key, text in gaps if not ok]
    return _assessment(f, quality, facts, strengths, opportunities)


def risks(f: Findings) -> Assessment:
    """Named risks, each with a mitigation."""
    named, open_risks = len(f.risks), len(f.unmitigated_risks)
    if not named:
        facts = (
            "No risks named (looked for risk, downside, threat, “may fail”… and a Risks section)."
        )
        text = "Name the main risks (adoption, compliance, budget, delivery) and how you will"
        return Assessment(0.0, facts, (), (Note("risks_missing", text + " mitigate each."),))
    quality = 0.35 + 0.5 * (named - open_risks) / named + 0.15 * ramp(named, 3, 0)
    facts = (
        f"{count(named, 'risk statement')}, {named - open_risks} with a mitigation next to it; "
        f"{count(f.mitigations, 'mitigation statement')}."
    )
    if not open_risks:
        each = "each with a mitigation" if named > 1 else "with its mitigation"
        text = f"Risks are faced honestly: {count(named, 'risk')} named, {each}."
        return _assessment(f, quality, facts, [Note("risks", text)], [])
    first = clip(f.profile.quote(f.unmitigated_risks[0]), 60)
    text = f"{count(open_risks, 'risk')} without a mitigation (“{first}”); say what you will do"
    return _assessment(f, quality, facts, [], [Note("risks_open", text + " and who owns it.")])


def clarity(f: Findings) -> Assessment:
    """Short sentences, a moderate reading grade, active voice."""
    m = f.metrics
    if not m.sentences:
        note = Note("write", "Write the memo in full sentences.")
        return Assessment(0.0, "No sentences to measure.", (), (note,))
    msl, grade, passive = m.mean_sentence_length, m.readability_grade, f"{m.passive_share:.0%}"
    quality = 0.3 * ramp(msl, 18, 35) + 0.2 * ramp(m.long_sentences / m.sentences, 0, 0.3)
    quality += 0.3 * ramp(grade, 10, 20) + 0.2 * ramp(m.passive_share, 0.1, 0.5)
    facts = (
        f"Sentences average {msl} words ({m.long_sentences} over {LONG_SENTENCE_WORDS}); "
        f"Flesch–Kincaid grade {grade}; passive voice in {passive} of sentences."
    )
    strengths, opportunities = [], []
    if msl <= 20 and grade <= 12:
        text = f"Easy to read: sentences average {msl} words and the reading grade is {grade}."
        strengths.append(Note("readable", text))
    if m.long_sentences or msl > 22:
        text = f"{count(m.long_sentences, 'sentence')} over {LONG_SENTENCE_WORDS} words (average"
        opportunities.append(Note("long", text + f" {msl}); split them, one point each."))
    if grade > 12:
        text = f"The reading grade is {grade}; aim for 12 or below with shorter sentences"
        opportunities.append(Note("grade", text + " and plainer words."))
    if m.passive_share > 0.2:
        text = f"{passive} of sentences are in the passive voice; name who acts."
        opportunities.append(Note("passive", text))
    elif m.sentences >= 3:
        strengths.append(
            Note("active", f"Mostly active voice: {passive} of sentences are passive.")
        )
    return _assessment(f, quality, facts, strengths, opportunities)


def audience(f: Findings) -> Assessment:
    """Confident, plain wording: no hedging, jargon, unexplained acronyms or exclamations."""
    per_100 = 100 / max(1, f.words)
    hedges, jargon, acronyms = f.hedges, tuple(dict.fromkeys(f.jargon)), f.undefined_acronyms
    quality = 0.35 * ramp(len(hedges) * per_100, 0.5, 3) + 0.3 * ramp(len(f.jargon) * per_100, 0, 1)
    quality += 0.2 * ramp(len(acronyms), 0, 4) + 0.15 * ramp(f.exclamations, 0, 3)
    facts = (
        f"{count(len(hedges), 'hedging word')}, {count(len(f.jargon), 'jargon phrase')}, "
        f"{count(len(acronyms), 'unexplained acronym')}, "
        f"{count(f.exclamations, 'exclamation mark')}."
        " Only these signals are checked: whether tone and detail suit your readers needs a human"
        " or AI reader, so the offline analysis does not award the top level here."
    )
    strengths, opportunities = [], []
    if not hedges and not jargon and f.words >= 50:
        text = "Confident, plain wording: no hedging words or buzzwords found."
        strengths.append(Note("plain", text))
    if len(hedges) * per_100 > 1:
        sample = ", ".join(dict.fromkeys(hedges[:6]))
        text = f"Hedging words appear {len(hedges)} times ({sample}); state your case with"
        opportunities.append(Note("hedges", text + " confidence."))
    if jargon:
        text = f"Replace jargon with plain words: {', '.join(jargon[:4])}."
        opportunities.append(Note("jargon", text))
    if acronyms:
        text = f"Spell out {', '.join(acronyms[:4])} the first time you use them."
        opportunities.append(Note("acronyms", text))
    if f.exclamations:
        text = "Drop the exclamation marks; let the facts carry the emphasis."
        opportunities.append(Note("exclamations", text))
    return _assessment(f, min(quality, AUDIENCE_CEILING), facts, strengths, opportunities)


DIMENSIONS: dict[str, Callable[[Findings], Assessment]] = {
    "purpose": purpose,
    "structure": structure,
    "evidence": evidence,
    "business_case": business_case,
    "risks": risks,
    "clarity": clarity,
    "audience": audience,
}
