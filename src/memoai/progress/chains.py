"""Revision chains: each memo's versions in order, version N against the one it revises."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from memoai import scores
from memoai.progress.rows import EvalRow
from memoai.progress.schemas import ChainVersion, CriterionDelta, RevisionChain, TimelineEntry


def criterion_deltas(previous: EvalRow | None, current: EvalRow) -> list[CriterionDelta]:
    """Each criterion of the current version, with its change when both versions scored it."""
    before = previous.scores if previous else {}
    comparable = previous is not None and previous.rubric_version == current.rubric_version
    deltas = []
    for cid, score in current.scores.items():
        old = before.get(cid)
        delta = score - old if comparable and score is not None and old is not None else None
        deltas.append(
            CriterionDelta.model_construct(  # typed values from the rows: no validation
                criterion_id=cid,
                name=current.names.get(cid, cid),
                previous=old,
                current=score,
                delta=delta,
            )
        )
    return deltas


def overall_delta(previous: EvalRow | None, current: EvalRow) -> float | None:
    """The change of the scores as shown; None unless both were scored, with one rubric."""
    if previous is None or previous.rubric_version != current.rubric_version:
        return None
    return scores.change(previous.overall_score, current.overall_score)


@dataclass(frozen=True)
class Placed:
    """A timeline entry's place in its memo: version number (None when the first versions
    are outside the range) and the previous version's newest entry (None for a first one)."""

    version: int | None
    previous: TimelineEntry | None


def place_versions(entries: Sequence[TimelineEntry]) -> dict[uuid.UUID, Placed]:
    """Each entry (oldest first) with its version of the memo and the version it revises.

    A re-evaluation of the same text is the same version; "previous" is always the version
    this one revises, never another memo's evaluation.
    """
    newest: dict[uuid.UUID, tuple[int | None, TimelineEntry]] = {}  # submission -> (n, entry)
    placed: dict[uuid.UUID, Placed] = {}
    for entry in entries:
        known = newest.get(entry.submission_id)
        if known is not None:
            number = known[0]
            parent = newest.get(entry.revision_of) if entry.revision_of else None
        else:
            parent = newest.get(entry.revision_of) if entry.revision_of else None
            if entry.revision_of is None:
                number = 1
            else:
                number = parent[0] + 1 if parent is not None and parent[0] is not None else None
        placed[entry.evaluation_id] = Placed(number, parent[1] if parent else None)
        newest[entry.submission_id] = (number, entry)
    return placed


def memo_counts(entries: Sequence[TimelineEntry]) -> tuple[int, int]:
    """How many memos and how many revisions (versions after a first) the entries show."""
    versions = {e.submission_id: e.revision_of for e in entries}
    revisions = sum(1 for parent in versions.values() if parent is not None)
    roots = 0
    for parent in versions.values():
        roots += parent is None or parent not in versions
    return roots, revisions


def latest_per_submission(rows: Sequence[EvalRow]) -> dict[uuid.UUID, EvalRow]:
    """A version is a submission; a re-evaluation of the same text replaces the older one."""
    latest: dict[uuid.UUID, EvalRow] = {}
    for row in rows:  # oldest first, so the newest wins
        latest[row.submission_id] = row
    return latest


def build_chains(
    rows: Sequence[EvalRow], since: datetime | None = None, limit: int | None = None
) -> list[RevisionChain]:
    """Chains of two or more versions, the most recently revised first.

    With `since`, only chains revised since then; with `limit`, only that many chains are
    compared (the comparison is the costly part).
    """
    versions = latest_per_submission(rows)
    members, _ = _members(versions)
    groups = [
        (root, sorted(found, key=lambda r: r.created_at))
        for root, found in members.items()
        if len(found) > 1
    ]
    groups = [g for g in groups if since is None or g[1][-1].created_at >= since]
    groups.sort(key=lambda g: g[1][-1].created_at, reverse=True)
    return [_chain(root, found, versions) for root, found in groups[:limit]]


def build_chain(rows: Sequence[EvalRow], submission_id: uuid.UUID) -> RevisionChain | None:
    """The one chain (two or more versions) with this submission among its versions: the
    same as `chain_of(build_chains(rows), submission_id)` without comparing every other memo."""
    versions = latest_per_submission(rows)
    members, roots = _members(versions)
    root = roots.get(submission_id)
    if root is None or len(members[root]) < 2:
        return None
    return _chain(root, sorted(members[root], key=lambda r: r.created_at), versions)


def _members(
    versions: dict[uuid.UUID, EvalRow],
) -> tuple[dict[uuid.UUID, list[EvalRow]], dict[uuid.UUID, uuid.UUID]]:
    """Each memo's versions (oldest first) by its first version, and each version's memo."""
    members: dict[uuid.UUID, list[EvalRow]] = {}
    roots: dict[uuid.UUID, uuid.UUID] = {}
    for sid, row in versions.items():  # oldest first: a parent's root is usually known
        parent = row.revision_of
        root = roots.get(parent) if parent is not None else sid
        if root is None:
            root = _root(sid, versions)
        roots[sid] = root
        members.setdefault(root, []).append(row)
    return members, roots


def _root(sid: uuid.UUID, versions: dict[uuid.UUID, EvalRow]) -> uuid.UUID:
    seen = {sid}
    parent = versions[sid].revision_of
    while parent is not None and parent in versions and parent not in seen:
        seen.add(parent)
        sid, parent = parent, versions[parent].revision_of
    return sid


def _chain(
    root: uuid.UUID, ordered: list[EvalRow], versions: dict[uuid.UUID, EvalRow]
) -> RevisionChain:
    items = []
    for number, row in enumerate(ordered, start=1):
        previous = versions.get(row.revision_of) if row.revision_of else None
        items.append(
            ChainVersion.model_construct(
                version=number,
                evaluation_id=row.evaluation_id,
                submission_id=row.submission_id,
                previous_evaluation_id=previous.evaluation_id if previous else None,
                created_at=row.created_at,
                title=row.title,
                overall_score=row.overall_score,
                overall_delta=overall_delta(previous, row),
                rubric_version=row.rubric_version,
                comparable=previous is None or previous.rubric_version == row.rubric_version,
                criteria=criterion_deltas(previous, row),
            )
        )
    first, last = ordered[0], ordered[-1]
    return RevisionChain(
        chain_id=root,
        title=last.title or first.title,
        versions=items,
        latest_evaluation_id=last.evaluation_id,
        total_change=overall_delta(first, last),
    )
