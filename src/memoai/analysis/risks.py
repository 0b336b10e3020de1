"""Which sentences of a memo name a risk, which say how it is handled, and what is left open."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from types import ModuleType

from memoai.analysis import english
from memoai.analysis.metrics import MemoProfile, SentenceFacts

_MIN_ACTION_WORDS = 3
_MAX_LABEL_WORDS = 6


@dataclass(frozen=True)
class RiskFindings:
    risks: tuple[SentenceFacts, ...]
    unmitigated: tuple[SentenceFacts, ...]
    mitigations: int  # sentences that say how a risk is handled
    hedged: bool  # every risk is only acknowledged in passing ("there may be some challenges")
    owners: bool  # someone is named as owning a risk or its mitigation
    decision_point: bool  # a go/no-go or a rule for stopping if results fall short


def names_risk(text: str, lx: ModuleType = english) -> bool:
    """Whether a lower-cased sentence names something that may go wrong with the proposal."""
    if lx.ALTERNATIVES.search(text):
        return False  # "doing nothing keeps the risk": an argument for the proposal
    return lx.RISK.search(lx.NOT_A_RISK.sub(" ", text)) is not None


def mitigates(text: str, lx: ModuleType = english) -> bool:
    """Whether a lower-cased sentence says how a risk is reduced, handled or watched."""
    if lx.MITIGATION.search(text) or lx.CONDITIONAL_ACTION.match(text):
        return True
    # "Privacy: the platform is approved…", "Delays may happen; bank staff cover the gap."
    parts = lx.LABEL_SPLIT.split(text, maxsplit=1)
    return (
        len(parts) == 2
        and len(parts[1].split()) >= _MIN_ACTION_WORDS
        and not names_risk(parts[1], lx)
    )


def find_risks(
    profile: MemoProfile, lowered: dict[int, str], lx: ModuleType = english
) -> RiskFindings:
    """Risks, anywhere or under a "Risks" heading, and the ones with no mitigation nearby."""
    sentences = profile.sentences
    mitigated = {u.start for u in sentences if mitigates(lowered[u.start], lx)}
    risks = _risk_units(profile, lowered, mitigated, lx)
    following = {a.start: b for a, b in itertools.pairwise(sentences)}
    unmitigated = []
    for risk in risks:
        nxt = following.get(risk.start)
        covered = nxt is not None and nxt.paragraph == risk.paragraph and nxt.start in mitigated
        if risk.start not in mitigated and not covered:
            unmitigated.append(risk)
    texts = [lowered[u.start] for u in sentences]
    return RiskFindings(
        risks=tuple(risks),
        unmitigated=tuple(unmitigated),
        mitigations=len(mitigated),
        hedged=bool(risks) and all(lx.HEDGED_RISK.search(lowered[u.start]) for u in risks),
        owners=any(lx.OWNER.search(t) for t in texts),
        decision_point=any(lx.DECISION_POINT.search(t) for t in texts),
    )


def _risk_units(
    profile: MemoProfile, lowered: dict[int, str], mitigated: set[int], lx: ModuleType
) -> list[SentenceFacts]:
    """Sentences naming a risk, and the statements under a "Risks" heading that are not actions.

    A risk section ends at the next heading, or at a new paragraph that is not a list.
    """
    risks: list[SentenceFacts] = []
    section: int | None = None  # the paragraph of the current risk section
    for unit in profile.body:
        text = lowered[unit.start]
        if unit.kind == "heading":
            section = unit.paragraph if lx.RISK.search(text) else None
            continue
        if section is not None and unit.paragraph != section and unit.kind != "bullet":
            section = None
        if unit.kind == "header" or not unit.is_sentence:
            continue
        if names_risk(text, lx) or (
            section is not None
            and not _is_action(text, lx)
            and (
                unit.start not in mitigated
                or _labelled(text, lx)
                or lx.CONDITIONAL_ACTION.match(text)
            )
        ):
            risks.append(unit)
    return risks


def _labelled(text: str, lx: ModuleType) -> bool:
    """ "Risk: what we do" — a short label before a colon or semicolon."""
    head = lx.LABEL_SPLIT.split(text, maxsplit=1)
    return len(head) == 2 and len(head[0].split()) <= _MAX_LABEL_WORDS


def _is_action(text: str, lx: ModuleType) -> bool:
    """A plan rather than a risk: "We will report…", "Mitigation: …", "If X, we stop".

    "If the robot breaks down, manual dispensing continues" names a risk with its mitigation.
    """
    if lx.DECISION_POINT.search(text):
        return True
    return text.startswith(lx.ACTION_STARTS)
