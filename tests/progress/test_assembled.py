"""Progress views are assembled once per set of evaluations: every change a writer can make,
and the passing of time, gives the view a fresh assembly would (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.db import utcnow
from memoai.progress import service
from memoai.progress.schemas import ProgressOut, RangeName
from memoai.sessions.caller import Caller
from memoai.sessions.models import Session
from tests.progress.conftest import Api
from tests.progress.seed import only_session, seed

SCALE = {"min": 1, "max": 5}
DAY = timedelta(days=1)


async def served(
    db: AsyncSession,
    caller: Caller,
    range_name: RangeName,
    now: datetime,
    scale: dict[str, int] = SCALE,
) -> ProgressOut:
    """The view as served (from the kept views when it is there), held to a fresh assembly."""
    view = await service.progress_for(db, caller, range_name, scale, now)
    service._ASSEMBLED.clear()
    fresh = await service.progress_for(db, caller, range_name, scale, now)
    assert view == fresh
    assert view.since == service.range_start(range_name, now) and view.until == now
    return view


def noon_days_ago(days: int) -> datetime:
    return utcnow().replace(hour=12, minute=0, second=0, microsecond=0) - days * DAY


async def test_the_same_evaluations_are_assembled_once(api: Api) -> None:
    start = noon_days_ago(20)
    async with api.app.state.db.sessions() as db:
        caller = Caller(session_id=await only_session(db))
        await seed(db, caller.session_id, 6, start=start, step=DAY, revise_every=2)
        first = await service.progress_for(db, caller, "month", SCALE, start + 10 * DAY)
        later = start + 10 * DAY + timedelta(hours=1)
        again = await served(db, caller, "month", later)
    assert again.timeline is first.timeline  # the kept view, not a new assembly
    assert again.until == later  # with this request's own window


async def test_a_new_evaluation_and_a_deleted_memo_change_the_view(api: Api) -> None:
    start = noon_days_ago(20)
    now = start + 10 * DAY
    async with api.app.state.db.sessions() as db:
        caller = Caller(session_id=await only_session(db))
        seeded = await seed(db, caller.session_id, 6, start=start, step=DAY, revise_every=2)
        before = await served(db, caller, "month", now)
        await seed(db, caller.session_id, 1, start=start + 7 * DAY, step=DAY, seed_value=9)
        added = await served(db, caller, "month", now)
    assert before.counts.evaluations == 6 and added.counts.evaluations == 7
    assert [c.chain_id for c in before.revision_chains] == [
        seeded.submission_ids[3],
        seeded.submission_ids[1],
    ]
    response = await api.client.delete(f"/api/v1/memos/{seeded.submission_ids[3]}")
    assert response.status_code == 200, response.text
    async with api.app.state.db.sessions() as db:
        deleted = await served(db, caller, "month", now)
    assert deleted.counts.evaluations == 5
    assert [c.chain_id for c in deleted.revision_chains] == [seeded.submission_ids[1]]


async def test_a_chain_leaves_the_range_within_a_day(api: Api) -> None:
    start = noon_days_ago(20)
    async with api.app.state.db.sessions() as db:
        caller = Caller(session_id=await only_session(db))
        seeded = await seed(db, caller.session_id, 6, start=start, step=DAY, revise_every=2)
        # The week's start passes the newest version of the chain (3, 4), noon of day 4.
        in_week = await served(db, caller, "week", start + 11 * DAY - timedelta(minutes=1))
        out_of_week = await served(db, caller, "week", start + 11 * DAY + timedelta(minutes=1))
    assert [c.chain_id for c in in_week.revision_chains] == [seeded.submission_ids[3]]
    assert out_of_week.revision_chains == []
    assert out_of_week.counts.evaluations == 1


async def test_the_day_changes_the_view_of_the_same_evaluations(api: Api) -> None:
    start = noon_days_ago(20)
    async with api.app.state.db.sessions() as db:
        caller = Caller(session_id=await only_session(db))
        await seed(db, caller.session_id, 6, start=start, step=DAY)
        midnight = (start + 7 * DAY).replace(hour=0)
        late = await served(db, caller, "all", midnight - timedelta(minutes=1))
        next_day = await served(db, caller, "all", midnight + timedelta(minutes=1))
    assert late.timeline == next_day.timeline
    assert late.streak_days == 6 and next_day.streak_days == 0


async def test_another_writer_and_another_scale_get_their_own_view(api: Api) -> None:
    start = noon_days_ago(20)
    now = start + 10 * DAY
    async with api.app.state.db.sessions() as db:
        mine = Caller(session_id=await only_session(db))
        await seed(db, mine.session_id, 3, start=start, step=DAY)
        await served(db, mine, "month", now)
    await api.new_session()
    async with api.app.state.db.sessions() as db:
        other = Caller(session_id=await only_session_but(db, mine))
        empty = await served(db, other, "month", now)
        assert empty.counts.evaluations == 0 and empty.scale == SCALE
        wider = await served(db, other, "month", now, {"min": 0, "max": 10})
        assert wider.scale == {"min": 0, "max": 10}
        await seed(db, other.session_id, 3, start=start, step=DAY)  # the same memos as mine
        me = await service.progress_for(db, mine, "month", SCALE, now)
        theirs = await served(db, other, "month", now)
    assert theirs.counts == me.counts and theirs.stats == me.stats
    assert not {e.evaluation_id for e in theirs.timeline} & {e.evaluation_id for e in me.timeline}


async def only_session_but(db: AsyncSession, caller: Caller) -> uuid.UUID:
    """The session a test started after the caller's."""
    found = await db.scalars(select(Session.id).where(Session.id != caller.session_id))
    return found.one()
