"""Rubrics built in code for the analysis tests, so they do not depend on config/."""

from __future__ import annotations

from pathlib import Path

from memoai.configs.schemas import Criterion, Rubric, Scale

MEMOS = Path(__file__).parent / "memos"

FUNDING_CRITERIA = (
    ("purpose_and_ask", "Purpose and explicit ask", "A specific request stated up front.", 20),
    ("structure", "Structure and flow", "Main point first, headings, short paragraphs.", 15),
    ("evidence", "Evidence and data", "Claims are supported by figures and sources.", 20),
    ("business_case", "Business case", "Costs, savings, return and alternatives.", 20),
    ("risks", "Risks and mitigation", "Names the risks and how each is mitigated.", 15),
    ("audience_and_tone", "Audience and tone", "Plain, confident wording for leaders.", 10),
)
HUMOUR = ("humour", "Humour", "Uses wit to keep people smiling.", 10)


def funding_rubric(scale: Scale | None = None, *, humour: bool = False) -> Rubric:
    """The funding-memo rubric, optionally with a criterion no rule can judge."""
    scale = scale or Scale()
    rows = FUNDING_CRITERIA + ((HUMOUR,) if humour else ())
    criteria = [
        Criterion(
            id=cid,
            name=name,
            description=description,
            weight=weight,
            guidance={
                level: f"{name} at level {level}." for level in range(scale.min, scale.max + 1)
            },
        )
        for cid, name, description, weight in rows
    ]
    return Rubric(name="Funding memo", scale=scale, criteria=criteria)


def memo(name: str) -> str:
    return (MEMOS / f"{name}.txt").read_text(encoding="utf-8")


def weighted_mean(output: dict, rubric: Rubric) -> float:
    """The overall score as the server computes it: assessed criteria, rubric weights."""
    weights = {c.id: c.weight for c in rubric.criteria}
    judged = [s for s in output["rubric_scores"] if s["assessed"]]
    total = sum(weights[s["criterion_id"]] for s in judged)
    return sum(weights[s["criterion_id"]] * s["score"] for s in judged) / total
