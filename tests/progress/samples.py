"""Progress data as the API returns it, built in memory for rendering tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from memoai.progress import trends
from memoai.progress.schemas import (
    METRICS,
    Counts,
    CriterionRef,
    Frequency,
    FrequencyBucket,
    ProgressOut,
    ProgressStats,
    RubricVersionInfo,
    TimelineEntry,
)


def progress(*versions: str, name: str = "Purpose <b>& ask</b>") -> ProgressOut:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    entries = [
        TimelineEntry(
            evaluation_id=uuid.uuid4(),
            submission_id=uuid.uuid4(),
            created_at=start + timedelta(days=i),
            title=f"<script>alert({i})</script>",
            overall_score=2.0 + i / 2,
            scale={"min": 1, "max": 5},
            rubric_version=version,
            scores={"ask": 2 + i % 3},
            metrics={"words": 200.0 + i, "passive_share": 0.1},
            provider="offline",
        )
        for i, version in enumerate(versions)
    ]
    overall, criteria, metrics = trends.current_version_stats(
        entries, [CriterionRef(criterion_id="ask", name=name, rubric_versions=list(set(versions)))]
    )
    return ProgressOut(
        range="all",
        since=None,
        until=start + timedelta(days=30),
        counts=Counts(evaluations=len(entries), memos=len(entries), revisions=0),
        scale={"min": 1, "max": 5},
        current_rubric_version=versions[-1],
        rubric_versions=[
            RubricVersionInfo(
                version=v, evaluations=1, first_at=start, last_at=start, current=v == versions[-1]
            )
            for v in dict.fromkeys(versions)
        ],
        mixed_rubric_versions=len(set(versions)) > 1,
        criteria=[CriterionRef(criterion_id="ask", name=name, rubric_versions=list(set(versions)))],
        metrics=list(METRICS),
        timeline=entries,
        stats=ProgressStats(overall=overall, criteria=criteria, metrics=metrics),
        frequency=Frequency(
            unit="week",
            buckets=[FrequencyBucket(start=start.date(), count=len(entries))],
            total=len(entries),
        ),
        top_opportunities=[],
        revision_chains=[],
        streak_days=0,
    )
