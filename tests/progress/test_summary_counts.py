"""The progress summary's counts (evaluations, average, personal best, streak) are computed
in SQL; they agree with the same figures computed from every row, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from memoai import scores
from memoai.evaluations.models import Evaluation
from memoai.progress import trends
from memoai.sessions.models import Session
from tests.progress.conftest import Api
from tests.progress.seed import only_session, seed


def expected(rows: list[Any], current: Any) -> dict[str, Any]:
    """The figures as the summary once computed them, from every earlier row in Python."""
    history = [r for r in rows if r.created_at <= current.created_at]
    same = [r for r in history if r.rubric_version == current.rubric_version]
    earlier = [r.overall_score for r in same if r.id != current.id]
    best = scores.rounded(max(earlier)) if earlier else None
    shown = scores.rounded(current.overall_score)
    return {
        "evaluations": len(history),
        "average": scores.mean(r.overall_score for r in same),
        "personal_best": best is not None and shown is not None and shown > best,
        "streak_days": trends.streak_days(
            (r.created_at.date() for r in history), current.created_at.date()
        ),
    }


async def test_the_summary_counts_agree_with_every_row(api: Api) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # Five days in a row ending just before midnight UTC, a gap, then a run of days again;
    # two rubric versions; and another writer whose evaluations must never count.
    start = now.replace(hour=23, minute=50) - timedelta(days=30)
    async with api.app.state.db.sessions() as db:
        other = await only_session(db)
        await seed(db, other, 15, start=start, step=timedelta(days=2), seed_value=9)
    await api.new_session()
    async with api.app.state.db.sessions() as db:
        mine = (await db.scalars(select(Session.id).where(Session.id != other))).one()
        await seed(db, mine, 12, start=start, step=timedelta(hours=11), seed_value=3)
        await seed(
            db, mine, 9, start=start + timedelta(days=9), step=timedelta(hours=23, minutes=59),
            rubric_version="2.0:seeded01", seed_value=5,
        )  # fmt: skip
        await seed(db, mine, 8, start=now - timedelta(days=7), step=timedelta(days=1))
        rows = list(
            (await db.execute(select(Evaluation).where(Evaluation.session_id == mine))).scalars()
        )
    rows.sort(key=lambda r: (r.created_at, r.id))
    checked = 0
    for current in rows[::3] + rows[-2:]:
        summary = (await api.get(f"/api/v1/evaluations/{current.id}"))["progress_summary"]
        figures = {key: summary[key] for key in ("evaluations", "average", "personal_best")}
        figures["streak_days"] = summary["streak_days"]
        assert figures == expected(rows, current), current.created_at
        checked += 1
    assert checked >= 10
    newest = (await api.get(f"/api/v1/evaluations/{rows[-1].id}"))["progress_summary"]
    assert newest["evaluations"] == len(rows) and newest["streak_days"] >= 8
