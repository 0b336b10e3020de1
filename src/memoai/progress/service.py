"""Progress for one caller: ids picked in SQL, rows parsed once per process, the rest in Python."""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from memoai import translations
from memoai.api import AppError, ErrorCode
from memoai.db import utcnow
from memoai.evaluations.models import Evaluation, Submission
from memoai.evaluations.service import get_owned
from memoai.progress import diff, trends
from memoai.progress.chains import build_chain, build_chains, memo_counts
from memoai.progress.rows import EvalRow, chain_members, fetch, in_range
from memoai.progress.schemas import (
    METRICS,
    RANGE_DAYS,
    ChainVersion,
    Counts,
    ProgressOut,
    ProgressStats,
    RangeName,
    RevisionChain,
)
from memoai.sessions.caller import Caller

MAX_CHAINS = 20  # the most recently revised memos; older chains via /progress/revisions/{id}
# Progress views kept per process: assembling a long history costs tens of milliseconds, and a
# writer who reloads asks for the same one again (see _assembled_key for why it is the same).
ASSEMBLED_KEPT = 64
_ASSEMBLED: OrderedDict[Hashable, tuple[ProgressOut, str]] = OrderedDict()
# Part of every progress tag: a release that changes the view's shape changes every tag.
TAG_VERSION = "1"


def range_start(range_name: RangeName, now: datetime) -> datetime | None:
    days = RANGE_DAYS[range_name]
    return None if days is None else now - timedelta(days=days)


async def progress_for(
    db: AsyncSession,
    caller: Caller,
    range_name: RangeName,
    default_scale: dict[str, int],
    now: datetime | None = None,
) -> ProgressOut:
    """Trends, frequency, opportunities and revision chains of the caller within a range."""
    found, _tag = await tagged_progress(db, caller, range_name, default_scale, now)
    return found


async def tagged_progress(
    db: AsyncSession,
    caller: Caller,
    range_name: RangeName,
    default_scale: dict[str, int],
    now: datetime | None = None,
) -> tuple[ProgressOut, str]:
    """The progress view and its tag: two views with the same tag differ only in the exact
    times of `since` and `until` (same days), so a client holding the view of a tag can
    answer from it (the API's weak ETag)."""
    now = now or utcnow()
    since = range_start(range_name, now)
    rows = await fetch(db, in_range(caller, since))
    # With no range every chain member is already among the rows.
    members = rows if since is None else await fetch(db, chain_members(caller))
    key = _assembled_key(range_name, since, now, default_scale, rows, members)
    found = _ASSEMBLED.get(key)
    if found is None:
        chains = build_chains(members, since, MAX_CHAINS)
        view = assemble(rows, chains, range_name, since, now, default_scale)
        found = (view, _tag_of(key))
        _ASSEMBLED[key] = found
        while len(_ASSEMBLED) > ASSEMBLED_KEPT:
            _ASSEMBLED.popitem(last=False)
    else:
        _ASSEMBLED.move_to_end(key)
    view, tag = found
    # And the reader's language, should the view ever hold words.
    tag = hashlib.blake2b(f"{translations.current()}:{tag}".encode(), digest_size=16).hexdigest()
    return view.model_copy(update={"since": since, "until": now}), tag


def _tag_of(key: Hashable) -> str:
    """A digest of what the view is made of, the same in every process of every replica."""
    return hashlib.blake2b(f"{TAG_VERSION}:{key!r}".encode(), digest_size=16).hexdigest()


def _assembled_key(
    range_name: RangeName,
    since: datetime | None,
    now: datetime,
    default_scale: dict[str, int],
    rows: Sequence[EvalRow],
    members: Sequence[EvalRow],
) -> Hashable:
    """What a progress view is made of besides its exact `since` and `until`.

    Completed evaluations never change (their rows are cached per process on the same
    ground), a deleted one drops out of the ids, and an evaluation is someone's alone, so the
    ids name one writer's data. The rest of the view depends on the days of `since` and `now`
    only, and on which chains were revised since `since`: a chain's newest evaluation is
    among `rows` exactly when it is at or after `since`, so the ids say that too.
    """
    return (
        range_name,
        since.date() if since else None,
        now.date(),
        tuple(sorted(default_scale.items())),
        tuple(r.evaluation_id.int for r in rows),
        tuple(r.evaluation_id.int for r in members) if members is not rows else None,
    )


def assemble(
    rows: Sequence[EvalRow],
    chains: list[RevisionChain],
    range_name: RangeName,
    since: datetime | None,
    now: datetime,
    default_scale: dict[str, int],
) -> ProgressOut:
    """The progress view of rows already read (also used by the PDF report)."""
    entries = trends.timeline(rows)
    memos, revisions = memo_counts(entries)
    refs = trends.criteria(rows)
    overall, by_criterion, metrics = trends.current_version_stats(entries, refs)
    versions = trends.rubric_versions(rows)
    times = [r.created_at for r in rows]
    return ProgressOut(
        range=range_name,
        since=since,
        until=now,
        counts=Counts(
            evaluations=len(rows),
            memos=memos,
            revisions=revisions,
        ),
        scale=_scale(rows, default_scale),
        current_rubric_version=versions[-1].version if rows else None,
        rubric_versions=versions,
        mixed_rubric_versions=len(versions) > 1,
        criteria=refs,
        metrics=list(METRICS),
        timeline=entries,
        stats=ProgressStats(overall=overall, criteria=by_criterion, metrics=metrics),
        frequency=trends.frequency(times, since, now, weekly=range_name in ("quarter", "all")),
        top_opportunities=trends.top_opportunities(rows),
        revision_chains=chains,
        streak_days=trends.streak_days((t.date() for t in times), now.date()),
    )


def _scale(rows: Sequence[EvalRow], default: dict[str, int]) -> dict[str, int]:
    """One axis for every point: the widest scale used in the range."""
    if not rows:
        return dict(default)
    return {"min": min(r.scale_min for r in rows), "max": max(r.scale_max for r in rows)}


async def comparison_for(
    db: AsyncSession, caller: Caller, evaluation_id: uuid.UUID
) -> RevisionChain:
    """The chain of the caller's evaluation, each version with its text diff against N-1."""
    evaluation = await get_owned(db, caller, evaluation_id)
    chain = await _chain_for(db, caller, evaluation.submission_id)
    if chain is None:
        raise AppError(
            404,
            ErrorCode.NOT_FOUND,
            translations.N_(  # in the reader's language when answered (memoai.api)
                "This memo has no revisions yet. Submit a revised version to compare them."
            ),
        )
    texts = await _texts(db, [v.submission_id for v in chain.versions])
    return with_diffs(chain, texts)


async def against_previous(
    db: AsyncSession, caller: Caller, evaluation: Evaluation
) -> ChainVersion | None:
    """A revision against the version it revises: score deltas and the text diff."""
    if evaluation.submission.revision_of_id is None:
        return None
    chain = await _chain_for(db, caller, evaluation.submission_id)
    if chain is None:
        return None
    submissions = {v.evaluation_id: v.submission_id for v in chain.versions}
    version = next(v for v in chain.versions if v.submission_id == evaluation.submission_id)
    previous = submissions.get(version.previous_evaluation_id or version.evaluation_id)
    if version.previous_evaluation_id is None or previous is None:
        return None
    return _diffed(version, previous, await _texts(db, [previous, version.submission_id]))


async def _chain_for(
    db: AsyncSession, caller: Caller, submission_id: uuid.UUID
) -> RevisionChain | None:
    return build_chain(await fetch(db, chain_members(caller)), submission_id)


async def _texts(db: AsyncSession, submission_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    result = await db.execute(
        select(Submission.id, Submission.text_content).where(Submission.id.in_(submission_ids))
    )
    return {sid: text for sid, text in result.all()}


def with_diffs(chain: RevisionChain, texts: dict[uuid.UUID, str]) -> RevisionChain:
    submissions = {v.evaluation_id: v.submission_id for v in chain.versions}
    versions = [
        _diffed(v, submissions.get(v.previous_evaluation_id or v.evaluation_id), texts)
        if v.previous_evaluation_id
        else v
        for v in chain.versions
    ]
    return chain.model_copy(update={"versions": versions})


def _diffed(
    version: ChainVersion, previous: uuid.UUID | None, texts: dict[uuid.UUID, str]
) -> ChainVersion:
    """The version with its word diff against the previous version's submission text."""
    if previous is None:
        return version
    ops = diff.word_diff(texts.get(previous, ""), texts.get(version.submission_id, ""))
    added, removed = diff.counts(ops)
    return version.model_copy(update={"diff": ops, "words_added": added, "words_removed": removed})
