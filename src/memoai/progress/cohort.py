"""The cohort view for the people who teach: every user's progress at once.

Per criterion, the average and spread of the scores per week or month; the opportunities the
organisation is told most often; each user's latest and best overall score. Scores are only
ever compared within one rubric version: each series, and each "best", belongs to one version,
and the versions are listed with their criteria and scale, so a changed rubric is never mixed
in silently. The rows come from progress's per-process cache (completed evaluations never
change), so a repeated view parses only the evaluations it has not seen.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import Counter, OrderedDict
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from memoai.auth.models import User
from memoai.db import Executor, utcnow
from memoai.evaluations.models import Evaluation, Status
from memoai.progress.rows import ROWS, EvalRow
from memoai.spreadsheets import csv_text

Bucket = Literal["week", "month"]
Table = Literal["users", "criteria", "opportunities"]
TOP_OPPORTUNITIES = 10


class Point(BaseModel):
    period: date = Field(description="First day of the week (Monday) or month, UTC")
    count: int
    mean: float
    stdev: float | None = Field(description="Sample standard deviation; None for one score")
    min: int
    max: int


class CriterionSeries(BaseModel):
    rubric_version: str = Field(description="Scores of one rubric version only, never mixed")
    criterion_id: str
    name: str
    count: int
    mean: float
    stdev: float | None
    points: list[Point] = Field(description="Oldest period first")


class RubricVersion(BaseModel):
    rubric_version: str
    active: bool = Field(description="The version new evaluations use")
    evaluations: int
    first_at: datetime
    last_at: datetime
    scale_min: int
    scale_max: int
    criteria: list[str] = Field(description="Criterion ids, in rubric order")


class Opportunity(BaseModel):
    text: str = Field(description="The most recent wording of this opportunity")
    evaluations: int = Field(description="Evaluations that gave it (similar wordings grouped)")
    users: int = Field(description="Users and anonymous sessions it was given to")
    share: float = Field(description="evaluations / all evaluations in the view")


class Score(BaseModel):
    evaluation_id: uuid.UUID
    overall_score: float | None
    at: datetime
    rubric_version: str
    scale_min: int
    scale_max: int


class UserScores(BaseModel):
    user_id: uuid.UUID
    username: str | None = Field(None, description="None when the account was deleted")
    evaluations: int
    latest: Score
    best: Score = Field(description="The best overall score under the latest's rubric version")
    other_versions: int = Field(
        description="Evaluations under other rubric versions (not compared with the latest)"
    )


class Cohort(BaseModel):
    generated_at: datetime
    since: datetime | None
    bucket: Bucket
    evaluations: int = Field(description="Completed evaluations in the view")
    participants: int = Field(description="Users and anonymous sessions")
    rubric_versions: list[RubricVersion] = Field(description="Oldest first")
    criteria: list[CriterionSeries]
    opportunities: list[Opportunity] = Field(description="The ten most frequent")
    users: list[UserScores] = Field(description="Signed-in users, by username")


def _point(values: list[int]) -> dict[str, Any]:
    """Count, mean, sample standard deviation (None for one value), min and max."""
    n = len(values)
    mean = math.fsum(values) / n
    stdev = None
    if n > 1:
        stdev = round(math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)), 3)
    return {
        "count": n,
        "mean": round(mean, 3),
        "stdev": stdev,
        "min": min(values),
        "max": max(values),
    }


def period_of(moment: datetime, bucket: Bucket) -> date:
    day = moment.date()
    if bucket == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


async def _rows(db: Executor, since: datetime | None) -> list[tuple[EvalRow, str, Any]]:
    """(row, owner key, user id) of every completed evaluation in the view, oldest first."""
    query = select(Evaluation.id, Evaluation.user_id, Evaluation.session_id).where(
        Evaluation.status == Status.COMPLETED
    )
    if since is not None:
        query = query.where(Evaluation.created_at >= since)
    ids = (await db.execute(query.order_by(Evaluation.created_at, Evaluation.id))).all()
    owners = {i: (f"u:{u}" if u else f"s:{s}", u) for i, u, s in ids}
    rows = await ROWS.rows(db, [i for i, _, _ in ids])
    return [(row, *owners[row.evaluation_id]) for row in rows]


def _score(row: EvalRow) -> Score:
    return Score(
        evaluation_id=row.evaluation_id,
        overall_score=row.overall_score,
        at=row.created_at,
        rubric_version=row.rubric_version,
        scale_min=row.scale_min,
        scale_max=row.scale_max,
    )


def _better(row: EvalRow, best: EvalRow | None) -> bool:
    """A higher overall score wins; on a tie the newer one (rows come oldest first)."""
    if best is None:
        return True
    return (row.overall_score or -math.inf) >= (best.overall_score or -math.inf)


class CohortViews:
    """Recently computed views, kept until an evaluation completes (or is deleted) or a minute
    passes: completed evaluations never change, so a count and the newest completion time
    say whether a view is still true (the minute picks up renamed or deleted accounts)."""

    def __init__(self, size: int = 8, seconds: float = 60.0) -> None:
        self._views: OrderedDict[tuple[Any, ...], tuple[Any, float, Cohort]] = OrderedDict()
        self._size, self._seconds = size, seconds

    def get(self, key: tuple[Any, ...], mark: Any) -> Cohort | None:
        found = self._views.get(key)
        if found is None or found[0] != mark or time.monotonic() - found[1] > self._seconds:
            return None
        self._views.move_to_end(key)
        return found[2]

    def put(self, key: tuple[Any, ...], mark: Any, view: Cohort) -> None:
        self._views[key] = (mark, time.monotonic(), view)
        while len(self._views) > self._size:
            self._views.popitem(last=False)


async def cohort(
    db: Executor,
    views: CohortViews,
    *,
    since: datetime | None,
    bucket: Bucket,
    active_rubric: str,
) -> Cohort:
    """The view, from `views` (the app's) while no evaluation completed since it was made."""
    completed = [Evaluation.status == Status.COMPLETED]
    if since is not None:
        completed.append(Evaluation.created_at >= since)
    mark = tuple(
        (
            await db.execute(
                select(func.count(), func.max(Evaluation.completed_at)).where(*completed)
            )
        ).one()
    )
    key = (since, bucket, active_rubric)
    view = views.get(key, mark)
    if view is None:
        view = await compute(db, since=since, bucket=bucket, active_rubric=active_rubric)
        views.put(key, mark, view)
    return view


async def compute(
    db: Executor, *, since: datetime | None, bucket: Bucket, active_rubric: str
) -> Cohort:
    """The whole view, in one pass over the rows."""
    rows = await _rows(db, since)
    versions: dict[str, list[EvalRow]] = {}
    scores: dict[tuple[str, str, date], list[int]] = {}
    periods: dict[date, date] = {}
    said: Counter[str] = Counter()
    wording: dict[str, str] = {}
    said_to: dict[str, set[str]] = {}
    latest: dict[uuid.UUID, EvalRow] = {}
    best: dict[tuple[uuid.UUID, str], EvalRow] = {}
    per_user: Counter[uuid.UUID] = Counter()
    per_user_version: Counter[tuple[uuid.UUID, str]] = Counter()
    for row, owner, user_id in rows:
        version = row.rubric_version
        versions.setdefault(version, []).append(row)
        day = row.created_at.date()
        period = periods.get(day)
        if period is None:
            period = periods[day] = period_of(row.created_at, bucket)
        for cid, value in row.scores.items():
            if value is not None:
                found = scores.get((version, cid, period))
                if found is None:
                    found = scores[(version, cid, period)] = []
                found.append(value)
        for key, text in row.opportunities:
            said[key] += 1
            wording[key] = text
            said_to.setdefault(key, set()).add(owner)
        if user_id is not None:
            latest[user_id] = row
            per_user[user_id] += 1
            per_user_version[(user_id, version)] += 1
            if _better(row, best.get((user_id, version))):
                best[(user_id, version)] = row
    names = await _usernames(db, list(latest))
    users = [
        UserScores(
            user_id=user_id,
            username=names.get(user_id),
            evaluations=per_user[user_id],
            latest=_score(row),
            best=_score(best[(user_id, row.rubric_version)]),
            other_versions=per_user[user_id] - per_user_version[(user_id, row.rubric_version)],
        )
        for user_id, row in latest.items()
    ]
    users.sort(key=lambda u: ((u.username or "").casefold(), str(u.user_id)))
    return Cohort(
        generated_at=utcnow(),
        since=since,
        bucket=bucket,
        evaluations=len(rows),
        participants=len({owner for _, owner, _ in rows}),
        rubric_versions=[_version(v, r, active_rubric) for v, r in versions.items()],
        criteria=_all_series(scores, versions),
        opportunities=[
            Opportunity(
                text=wording[key],
                evaluations=count,
                users=len(said_to[key]),
                share=round(count / len(rows), 4),
            )
            for key, count in said.most_common(TOP_OPPORTUNITIES)
        ],
        users=users,
    )


def _version(version: str, rows: list[EvalRow], active: str) -> RubricVersion:
    newest = rows[-1]
    return RubricVersion(
        rubric_version=version,
        active=version == active,
        evaluations=len(rows),
        first_at=rows[0].created_at,
        last_at=newest.created_at,
        scale_min=newest.scale_min,
        scale_max=newest.scale_max,
        criteria=list(newest.scores),
    )


def _all_series(
    scores: dict[tuple[str, str, date], list[int]], versions: dict[str, list[EvalRow]]
) -> list[CriterionSeries]:
    """One series per rubric version and criterion, named as in that version's newest row."""
    grouped: dict[tuple[str, str], dict[date, list[int]]] = {}
    for (version, cid, period), values in scores.items():
        grouped.setdefault((version, cid), {})[period] = values
    found = []
    for (version, cid), by_period in grouped.items():
        whole = _point([v for values in by_period.values() for v in values])
        found.append(
            CriterionSeries(
                rubric_version=version,
                criterion_id=cid,
                name=versions[version][-1].names.get(cid) or cid,
                count=whole["count"],
                mean=whole["mean"],
                stdev=whole["stdev"],
                points=[Point(period=p, **_point(v)) for p, v in sorted(by_period.items())],
            )
        )
    return found


async def _usernames(db: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = (await db.execute(select(User.id, User.username).where(User.id.in_(chunk)))).all()
        names.update({row[0]: row[1] for row in rows})
    return names


def to_csv(view: Cohort, table: Table) -> str:
    """One table of the view as CSV (formula-safe cells); rubric versions always a column."""
    if table == "users":
        return csv_text(
            ("username", "user_id", "evaluations", "latest_at", "latest_score",
             "latest_rubric_version", "best_at", "best_score", "scale_min", "scale_max",
             "other_versions"),
            ((u.username, str(u.user_id), u.evaluations, u.latest.at.isoformat(),
              u.latest.overall_score, u.latest.rubric_version, u.best.at.isoformat(),
              u.best.overall_score, u.latest.scale_min, u.latest.scale_max, u.other_versions)
             for u in view.users),
        )  # fmt: skip
    if table == "criteria":
        return csv_text(
            ("rubric_version", "criterion_id", "criterion", "period", "count", "mean", "stdev",
             "min", "max"),
            ((s.rubric_version, s.criterion_id, s.name, p.period.isoformat(), p.count, p.mean,
              p.stdev, p.min, p.max)
             for s in view.criteria for p in s.points),
        )  # fmt: skip
    return csv_text(
        ("opportunity", "evaluations", "users", "share"),
        ((o.text, o.evaluations, o.users, o.share) for o in view.opportunities),
    )
