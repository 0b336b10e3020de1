"""Trends computed in Python from narrow rows: series statistics, frequency, opportunities."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from memoai import scores
from memoai.progress.rows import EvalRow
from memoai.progress.schemas import (
    METRICS,
    CriterionRef,
    Frequency,
    FrequencyBucket,
    OpportunityCount,
    RubricVersionInfo,
    SeriesStats,
    TimelineEntry,
)
from memoai.translations import N_

MAX_BUCKETS = 104  # two years of weeks: older activity is summed into the first bucket


def timeline(rows: Sequence[EvalRow]) -> list[TimelineEntry]:
    return [r.entry for r in rows]


def criteria(rows: Sequence[EvalRow]) -> list[CriterionRef]:
    """Every criterion seen, in the newest rubric's order, with the versions that scored it."""
    names: dict[str, str] = {}
    versions: dict[str, list[str]] = {}
    previous: EvalRow | None = None
    for row in reversed(rows):
        if (
            previous
            and row.rubric_version == previous.rubric_version
            and row.names == previous.names
        ):
            continue  # the same rubric as the row after it: nothing new
        previous = row
        for cid, name in row.names.items():
            names.setdefault(cid, name)
            seen = versions.setdefault(cid, [])
            if row.rubric_version not in seen:
                seen.append(row.rubric_version)
    return [
        CriterionRef(criterion_id=cid, name=name, rubric_versions=sorted(versions[cid]))
        for cid, name in names.items()
    ]


def rubric_versions(rows: Sequence[EvalRow]) -> list[RubricVersionInfo]:
    """Each rubric version in order of first use; the newest row's version is current."""
    found: dict[str, list[datetime]] = {}
    for row in rows:
        found.setdefault(row.rubric_version, []).append(row.created_at)
    current = rows[-1].rubric_version if rows else None
    return [
        RubricVersionInfo(
            version=version,
            evaluations=len(times),
            first_at=times[0],
            last_at=times[-1],
            current=version == current,
        )
        for version, times in found.items()
    ]


def stats(
    key: str, label: str, values: Iterable[float | None], *, is_score: bool = True
) -> SeriesStats:
    """First, last, best, mean and change; scores by the one rule of memoai.scores, writing
    metrics (shares, counts) to three decimals."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return SeriesStats(
            key=key, label=label, count=0, first=None, last=None, change=None, best=None, mean=None
        )
    return SeriesStats(
        key=key,
        label=label,
        count=len(present),
        first=present[0],
        last=present[-1],
        change=scores.change(present[0], present[-1])
        if is_score
        else round(present[-1] - present[0], 3),
        best=max(present),
        mean=scores.mean(present) if is_score else round(sum(present) / len(present), 3),
    )


def current_version_stats(
    entries: Sequence[TimelineEntry], refs: Sequence[CriterionRef]
) -> tuple[SeriesStats, list[SeriesStats], list[SeriesStats]]:
    """Statistics over the current rubric version's entries: scores never mix versions."""
    current = entries[-1].rubric_version if entries else None
    same = [e for e in entries if e.rubric_version == current]
    overall = stats("overall", N_("Overall score"), [e.overall_score for e in same])
    by_criterion = [
        stats(r.criterion_id, r.name, [e.scores.get(r.criterion_id) for e in same])
        for r in refs
        if current in r.rubric_versions
    ]
    metrics = [
        stats(m.key, m.label, [e.metrics.get(m.key) for e in entries], is_score=False)
        for m in METRICS
    ]
    return overall, by_criterion, metrics


def frequency(
    times: Sequence[datetime], since: datetime | None, now: datetime, *, weekly: bool
) -> Frequency:
    """Submissions per day (short ranges) or per week (long ones), gaps filled with zeros."""
    unit = "week" if weekly else "day"

    def bucket(moment: datetime) -> date:
        day = moment.date()
        return day - timedelta(days=day.weekday()) if weekly else day

    counts = Counter(bucket(t) for t in times)
    step = timedelta(days=7 if weekly else 1)
    last = bucket(now)
    first = bucket(since) if since is not None else min(counts, default=last)
    first = max(first, last - step * (MAX_BUCKETS - 1))
    buckets = []
    day = first
    while day <= last:
        buckets.append(FrequencyBucket(start=day, count=counts.pop(day, 0)))
        day += step
    if counts and buckets:  # activity older than the oldest bucket shown
        buckets[0].count += sum(counts.values())
    return Frequency(unit=unit, buckets=buckets, total=len(times))


def top_opportunities(rows: Sequence[EvalRow], limit: int = 8) -> list[OpportunityCount]:
    """The opportunities named most often, once per evaluation, newest wording shown."""
    counts: Counter[str] = Counter()
    latest: dict[str, tuple[datetime, str]] = {}
    for row in rows:
        for key, text in row.opportunities:
            counts[key] += 1
            latest[key] = (row.created_at, text)
    total = len(rows) or 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -latest[kv[0]][0].timestamp()))
    return [
        OpportunityCount(
            text=latest[key][1],
            count=count,
            share=round(count / total, 3),
            last_seen=latest[key][0],
        )
        for key, count in ranked[:limit]
    ]


def streak_days(dates: Iterable[date], until: date) -> int:
    """Consecutive days, ending on `until` (or the day before), with at least one evaluation."""
    days = set(dates)
    day = until if until in days else until - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak
