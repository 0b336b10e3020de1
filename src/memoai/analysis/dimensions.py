"""How well a memo does on each dimension the offline rules can measure, and the facts why."""

from __future__ import annotations

from collections.abc import Callable

from memoai.analysis.assessment import (
    FULL_LENGTH_WORDS,
    LATE_SHARE,
    PADDING_SHARE,
    Assessment,
    Note,
    clip,
    headers_named,
    limited,
    ramp,
    repetition_notes,
    where_ask,
)
from memoai.analysis.findings import Findings
from memoai.analysis.metrics import MEMO_HEADERS
from memoai.analysis.style import audience, clarity
from memoai.analysis.wording import count, tr

__all__ = [
    "DIMENSIONS",
    "FULL_LENGTH_WORDS",
    "PADDING_SHARE",
    "Assessment",
    "Note",
    "clip",
    "count",
    "where_ask",
]


def purpose(f: Findings) -> Assessment:
    """An explicit, specific request, stated early (the rubric's levels, from what is found)."""
    if f.ask is None:
        return _no_ask(f)
    amount, deadline = f.ask_has_amount, f.deadline_where is not None
    early = f.ask_early
    # 3: stated; 4: early with the amount; 5: early with the amount and a decision date.
    quality = 0.5 + 0.25 * (early and amount) + 0.25 * (early and amount and deadline)
    if not early and not amount and (f.ask_position or 0.0) > LATE_SHARE:
        quality = 0.25  # a vague request buried at the end
    lang, where = f.language, where_ask(f)
    dated = (
        tr("gives a date for the decision (in {where})", lang, where=tr(f.deadline_where, lang))
        if f.deadline_where
        else tr("does not give a date for the decision", lang)
    )
    facts = tr(
        "The explicit ask appears in {where}: “{quote}”. It names an amount and {dated}."
        if amount
        else "The explicit ask appears in {where}: “{quote}”. It does not name an amount and "
        "{dated}.",
        lang,
        where=where,
        quote=clip(f.profile.quote(f.ask)),
        dated=dated,
    )
    if f.amount_elsewhere:
        facts += tr(
            " The memo gives an amount ({amount}) elsewhere.", lang, amount=f.amount_elsewhere
        )
    strengths, opportunities = [], []
    if early:
        text = tr(
            "The request comes first ({where}), so a leader sees at once what is asked.",
            lang,
            where=where,
        )
        strengths.append(Note("ask_early", text))
    else:
        text = tr(
            "Your request only appears in {where}; move it to the opening lines.", lang, where=where
        )
        opportunities.append(Note("ask_late", text))
    if amount and deadline:
        text = tr("The request is specific: it names an amount and a date for the decision.", lang)
        strengths.append(Note("ask_specific", text))
    missing = [tr(n, lang) for n, ok in (("the amount", amount), ("the date", deadline)) if not ok]
    if missing:
        text = tr(
            "Make the request specific: add {missing} you need a decision on",
            lang,
            missing=tr(" and ", lang).join(missing),
        )
        if f.amount_elsewhere and not amount:
            text += tr(
                " (the memo mentions {amount} elsewhere; put it in the request)",
                lang,
                amount=f.amount_elsewhere,
            )
        opportunities.append(Note("ask_vague", text + "."))
    return Assessment(round(quality, 3), facts, tuple(strengths), tuple(opportunities))


def _no_ask(f: Findings) -> Assessment:
    """No explicit request: a wish or a purpose statement is the rubric's vague ask (2)."""
    lang = f.language
    text = tr(
        "State your request in the first paragraph: what you want approved, how much, by when.",
        lang,
    )
    facts = tr(
        "No explicit request or recommendation found (such as “I request”, “we recommend” or "
        "“please approve”)",
        lang,
    )
    if f.soft_ask is not None:
        quote = clip(f.profile.quote(f.soft_ask))
        facts += tr("; the memo only implies one: “{quote}”.", lang, quote=quote)
    else:
        facts += tr("; a purpose statement opens the memo.", lang) if f.purpose_early else "."
    quality = 0.25 if f.soft_ask is not None or f.purpose_early else 0.0
    return Assessment(quality, facts, (), (Note("ask_missing", text),))


def structure(f: Findings) -> Assessment:
    """Memo headers, short paragraphs, signposts, and the main point first."""
    headers = f.metrics.headers_found
    paragraphs = len(f.paragraph_words)
    longest = max(f.paragraph_words, default=0)
    shape = 1.0 if paragraphs >= 3 else 0.5 if paragraphs == 2 else 0.0
    shape *= 1 - 0.5 * f.long_paragraphs / max(1, paragraphs)
    front = 1.0 if f.ask_early else 0.6 if f.purpose_early else 0.4 if f.ask else 0.0
    signposts = min(1.0, f.headings / 4 + f.bullets / 8)
    quality = 0.15 * len(headers) / len(MEMO_HEADERS) + 0.15 * shape + 0.3 * front
    quality += 0.4 * signposts
    if not f.ask_early:
        quality = min(quality, 0.6)  # main point not first: at most a recognisable shape (3)
    quality *= 1 - min(1.0, 2 * f.repeated_share)  # repetition is the rubric's level 1
    lang = f.language
    main_point = (
        tr("the ask is in {where}", lang, where=where_ask(f))
        if f.ask
        else tr("no explicit ask", lang)
    )
    facts = tr(
        "Memo headers: {headers}. {paragraphs} (longest {longest} words), {headings}, "
        "{bullets}; {main_point}.",
        lang,
        headers=headers_named(f, headers) or tr("none", lang),
        paragraphs=count(paragraphs, "paragraph", lang),
        longest=longest,
        headings=count(f.headings, "heading", lang),
        bullets=count(f.bullets, "list item", lang),
        main_point=main_point,
    )
    strengths, opportunities = _layout_notes(f, signposts)
    opportunities += repetition_notes(f)[1]
    if paragraphs < 3 or f.long_paragraphs:
        text = tr(
            "The memo has {paragraphs}, the longest {longest} words; give each idea a short "
            "paragraph.",
            lang,
            paragraphs=count(paragraphs, "paragraph", lang),
            longest=longest,
        )
        opportunities.append(Note("paragraphs", text))
    if f.ask_early:
        text = tr(
            "Bottom line up front: the request opens the memo ({where}).", lang, where=where_ask(f)
        )
        strengths.append(Note("ask_early", text))
    elif f.ask:
        text = tr(
            "Lead with your conclusion: the request sits in {where}.", lang, where=where_ask(f)
        )
        opportunities.append(Note("ask_late", text))
    return limited(f, quality, facts, strengths, opportunities)


def _layout_notes(f: Findings, signposts: float) -> tuple[list[Note], list[Note]]:
    """Notes on the memo header and on headings and lists."""
    headers = f.metrics.headers_found
    lang = f.language
    strengths, opportunities = [], []
    if len(headers) == len(MEMO_HEADERS):
        text = tr(
            "The memo header is complete: {headers}.", lang, headers=headers_named(f, MEMO_HEADERS)
        )
        strengths.append(Note("headers", text))
    else:
        missing = headers_named(f, [h for h in MEMO_HEADERS if h not in headers])
        text = tr("Add the missing memo header lines: {missing}.", lang, missing=missing)
        opportunities.append(Note("headers", text))
    if signposts >= 1.0:
        text = tr(
            "{headings} and {bullets} make it easy for a busy reader to skim.",
            lang,
            headings=count(f.headings, "heading", lang),
            bullets=count(f.bullets, "list item", lang),
        )
        strengths.append(Note("signposts", text))
    elif signposts < 0.5:
        text = tr(
            "Add headings (Recommendation, Costs and savings, Risks, Next steps) to help a "
            "leader skim.",
            lang,
        )
        opportunities.append(Note("signposts", text))
    return strengths, opportunities


def evidence(f: Findings) -> Assessment:
    """Figures for the claims, with sources, and no size claimed without a number."""
    figures, words = f.metrics.numbers_count, max(1, f.words)
    unique_figures = _unique_figures(f)
    per_100 = figures / words * 100
    vague = len(f.vague_claims)
    quality = 0.35 * ramp(unique_figures, 8, 0) + 0.2 * ramp(per_100, 3, 0.5)
    quality += 0.35 * ramp(f.sourced, 3, 0) + 0.1 * ramp(vague, 0, 3)
    lang = f.language
    listed = ", ".join(f.figure_examples)
    n_figures, n_words = count(figures, "figure", lang), count(f.words, "word", lang)
    facts = tr(
        "{figures} in {words} ({per_100:.1f} per 100 words), e.g. {listed}; {vague} of size "
        "without a figure; {sourced} naming a source."
        if listed
        else "{figures} in {words} ({per_100:.1f} per 100 words); {vague} of size without a "
        "figure; {sourced} naming a source.",
        lang,
        figures=n_figures,
        words=n_words,
        per_100=per_100,
        listed=listed,
        vague=count(vague, "claim", lang),
        sourced=count(f.sourced, "sentence", lang),
    )
    strengths, opportunities = [], []
    if per_100 >= 1.5:
        text = tr(
            "Claims are backed by numbers: {figures} in {words}, such as {listed}."
            if listed
            else "Claims are backed by numbers: {figures} in {words}.",
            lang,
            figures=n_figures,
            words=n_words,
            listed=listed,
        )
        strengths.append(Note("figures", text))
    else:
        text = tr(
            "Only {figures} in {words}; back the key claims with baselines and results."
            if figures
            else "No figures in {words}; back the key claims with baselines and results.",
            lang,
            figures=n_figures,
            words=n_words,
        )
        opportunities.append(Note("figures", text))
    if vague:
        text = tr(
            "{claims} of size without a number (e.g. “{word}”); give the figure instead.",
            lang,
            claims=count(vague, "claim", lang),
            word=f.vague_claims[0][1],
        )
        opportunities.append(Note("vague", text))
    if f.sourced:
        text = tr(
            "Evidence is sourced: {sentences} naming where data comes from.",
            lang,
            sentences=count(f.sourced, "sentence", lang),
        )
        strengths.append(Note("sources", text))
    elif figures:
        text = tr("Say where your figures come from (audit, survey, pilot, benchmark).", lang)
        opportunities.append(Note("sources", text))
    return limited(f, quality if figures else 0.0, facts, strengths, opportunities)


def _unique_figures(f: Findings) -> int:
    """Figures in sentences that are not repeats (padding does not add evidence)."""
    return round(f.metrics.numbers_count * (1 - f.repeated_share))


def business_case(f: Findings) -> Assessment:
    """Costs and benefits with figures, the return, and the alternatives."""
    cost, benefit = f.costs_with_figures > 0, f.benefits_with_figures > 0
    returns, alternatives = bool(f.return_terms), f.alternatives
    # 2: mentioned in general terms; 3: costs and benefits; 4: and the return; 5: alternatives.
    quality = 0.1 * (f.financial_mentions > 0) + 0.2 * cost + 0.2 * benefit
    quality += 0.25 * returns + 0.25 * alternatives
    if f.financial_mentions:
        quality = max(quality, 0.25)
    lang = f.language
    facts = tr(
        "{costs} and {benefits} with figures; return measure: {returns}; alternatives or the "
        "cost of doing nothing: {alternatives}.",
        lang,
        costs=count(f.costs_with_figures, "cost statement", lang),
        benefits=count(f.benefits_with_figures, "benefit statement", lang),
        returns=", ".join(f.return_terms) or tr("none", lang),
        alternatives=tr("discussed" if alternatives else "not discussed", lang),
    )
    strengths = []
    if cost and benefit:
        text = "The business case is quantified: costs and benefits both come with figures."
        strengths.append(Note("quantified", tr(text, lang)))
    if returns:
        text = tr("The return is explicit ({terms}).", lang, terms=", ".join(f.return_terms))
        strengths.append(Note("return", text))
    gaps = (
        (cost, "cost", "Quantify the cost: one-off and running costs, with amounts."),
        (benefit, "benefit", "Quantify the benefit: savings, revenue or hours freed."),
        (returns, "return", "State the return: payback period or ROI, with your assumptions."),
        (alternatives, "alternatives", "Compare with the alternatives, including doing nothing."),
    )
    opportunities = [Note(key, tr(text, lang)) for ok, key, text in gaps if not ok]
    return limited(f, quality, facts, strengths, opportunities)


def risks(f: Findings) -> Assessment:
    """Named risks, each with a mitigation, owners and a decision point (the rubric's levels)."""
    r, lang = f.risk_findings, f.language
    named, open_risks = len(r.risks), len(r.unmitigated)
    if not named:
        facts = tr(
            "No risks named (looked for risk, downside, threat, “may fail”… and a Risks section).",
            lang,
        )
        text = tr(
            "Name the main risks (adoption, compliance, budget, delivery) and how you will "
            "mitigate each.",
            lang,
        )
        return Assessment(0.0, facts, (), (Note("risks_missing", text),))
    mitigated = named - open_risks
    if not mitigated:
        quality = 0.25  # acknowledged without specifics or mitigations
    elif open_risks or named < 2:
        quality = 0.4 + 0.2 * mitigated / named  # some risks with partial mitigations
    else:
        quality = 0.7 + 0.2 * (named >= 3 and r.owners and r.decision_point)
    facts = tr(
        "{risks}, {mitigated} with a mitigation next to it; {mitigations}; owners {owners}; "
        "{point} decision point if results fall short.",
        lang,
        risks=count(named, "risk statement", lang),
        mitigated=mitigated,
        mitigations=count(r.mitigations, "mitigation statement", lang),
        owners=tr("named" if r.owners else "not named", lang),
        point=tr("a" if r.decision_point else "no", lang),
    )
    if r.hedged and not mitigated:
        text = tr(
            "Risks are only acknowledged in passing (“{first}”); name each specific risk, how "
            "you will mitigate it and who owns it.",
            lang,
            first=clip(f.profile.quote(r.risks[0]), 60),
        )
        return limited(f, quality, facts, [], [Note("risks_open", text)])
    if not open_risks:
        each = tr("each with a mitigation" if named > 1 else "with its mitigation", lang)
        text = tr(
            "Risks are faced honestly: {risks} named, {each}.",
            lang,
            risks=count(named, "risk", lang),
            each=each,
        )
        gaps = []
        if named < 2:
            gap = tr(
                "Name the other main risks (clinical, compliance, financial, delivery), each "
                "with its mitigation.",
                lang,
            )
            gaps.append(Note("risks_more", gap))
        if not r.owners:
            gap = tr("Say who owns each risk and its mitigation.", lang)
            gaps.append(Note("risks_owner", gap))
        if not r.decision_point:
            gap = tr(
                "Add a decision point: when you would stop or change course if results fall short.",
                lang,
            )
            gaps.append(Note("risks_decision", gap))
        return limited(f, quality, facts, [Note("risks", text)], gaps)
    text = tr(
        "{risks} without a mitigation (“{first}”); say what you will do and who owns it.",
        lang,
        risks=count(open_risks, "risk", lang),
        first=clip(f.profile.quote(r.unmitigated[0]), 60),
    )
    return limited(f, quality, facts, [], [Note("risks_open", text)])


DIMENSIONS: dict[str, Callable[[Findings], Assessment]] = {
    "purpose": purpose,
    "structure": structure,
    "evidence": evidence,
    "business_case": business_case,
    "risks": risks,
    "clarity": clarity,
    "audience": audience,
}
