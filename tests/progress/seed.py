"""Evaluations written straight into the database: long histories in milliseconds, at chosen
times and rubric versions (the API would stamp everything "now")."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from memoai import scores
from memoai.analysis.metrics import compute_metrics
from memoai.evaluations.models import Evaluation, Status, Submission
from memoai.evaluations.service import request_key, text_hash
from memoai.sessions.models import Session

CRITERIA = (
    ("purpose_and_ask", "Purpose and explicit ask", 20.0),
    ("structure_and_flow", "Structure and logical flow", 15.0),
    ("evidence_and_data", "Evidence and data", 20.0),
    ("business_case", "Business case and financial impact", 20.0),
    ("risks_and_mitigation", "Risks, compliance and mitigation", 15.0),
    ("audience_and_tone", "Audience, clarity and tone", 10.0),
)
OPPORTUNITIES = (
    "Quantify the cost: one-off and running costs, with amounts.",
    "State the return: payback period or ROI, with your assumptions.",
    "Compare with the alternatives, including doing nothing.",
    "Say where your figures come from (audit, survey, pilot, benchmark).",
    "Name the main risks and how you will mitigate each.",
    "Lead with your conclusion: the request sits in paragraph {n}.",
)
MEMO = (
    "To: Executive Leadership Team\nFrom: Dana Whitfield\nSubject: Intake pilot {n}\n\n"
    "I request approval of ${n},000 to pilot digital intake at two clinics. Paper intake takes "
    "14 minutes per patient; the pilot cuts it to 5 minutes and saves $610,000 a year.\n"
)


@dataclass
class Seeded:
    evaluation_ids: list[uuid.UUID]
    submission_ids: list[uuid.UUID]


async def only_session(db: AsyncSession) -> uuid.UUID:
    """The id of the one session a test started through the API."""
    return (await db.scalars(select(Session.id))).one()


def rubric_scores(rng: random.Random, names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return [
        {
            "criterion_id": cid,
            "name": (names or {}).get(cid, name),
            "weight": weight,
            "score": rng.randint(1, 5),
            "justification": f"{name}: the memo gives {rng.randint(0, 9)} figures and "
            "states the ask in the first paragraph; sources and baselines are missing for "
            "several claims, and the cost of doing nothing is not discussed.",
            "assessed": True,
        }
        for cid, name, weight in CRITERIA
    ]


def overall(criteria: list[dict[str, Any]]) -> float | None:
    """The weighted mean, stored rounded to one decimal as the product stores it."""
    total = sum(Fraction(s["weight"]) for s in criteria)
    return scores.rounded(sum(s["score"] * Fraction(s["weight"]) for s in criteria) / total)


async def seed(
    db: AsyncSession,
    session_id: uuid.UUID,
    count: int,
    *,
    start: datetime,
    step: timedelta,
    rubric_version: str = "1.0:seeded00",
    revise_every: int = 0,
    memo: str | None = None,
    comments: list[dict[str, Any]] | None = None,
    opportunities: list[str] | None = None,
    seed_value: int = 7,
) -> Seeded:
    """`count` completed evaluations from `start`, one every `step`; with `revise_every` n,
    every n-th memo revises the one before it. Opportunities are templates for `{n}`."""
    rng = random.Random(seed_value)
    metrics = compute_metrics(MEMO.format(n=1)).to_dict()
    done = Seeded([], [])
    for n in range(count):
        text = memo if memo is not None else MEMO.format(n=n)
        at = start + step * n
        revises = revise_every and n and n % revise_every == 0
        submission = Submission(
            id=uuid.uuid4(),
            session_id=session_id,
            title=f"Intake pilot {n}",
            text_content=text,
            text_hash=text_hash(text),
            revision_of_id=done.submission_ids[-1] if revises else None,
            created_at=at,
        )
        judged = rubric_scores(rng)
        evaluation = Evaluation(
            id=uuid.uuid4(),
            submission_id=submission.id,
            session_id=session_id,
            status=Status.COMPLETED,
            request_key=request_key(text, "seeded", "offline", "rules-v1"),
            overall_score=overall(judged),
            strengths=["The request comes first."],
            opportunities=[
                o.format(n=n + 2) for o in opportunities or rng.sample(OPPORTUNITIES, 4)
            ],
            rubric_scores=judged,
            segment_feedback=comments or [],
            metrics={**metrics, "words": 100 + rng.randint(0, 300)},
            warnings=[],
            provider="offline",
            model="rules-v1",
            config_version="seeded",
            rubric_version=rubric_version,
            created_at=at,
            completed_at=at + timedelta(seconds=1),
        )
        db.add_all([submission, evaluation])
        done.submission_ids.append(submission.id)
        done.evaluation_ids.append(evaluation.id)
    await db.commit()
    return done
