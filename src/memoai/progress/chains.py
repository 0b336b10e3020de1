"""Revision chains: each memo's versions in order, version N against the one it revises."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from memoai.progress.rows import EvalRow
from memoai.progress.schemas import ChainVersion, CriterionDelta, RevisionChain


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
    """None unless both were scored, and with the same rubric version."""
    if previous is None or previous.rubric_version != current.rubric_version:
        return None
    if previous.overall_score is None or current.overall_score is None:
        return None
    return round(current.overall_score - previous.overall_score, 2)


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
    members: dict[uuid.UUID, list[EvalRow]] = {}
    roots: dict[uuid.UUID, uuid.UUID] = {}
    for sid, row in versions.items():  # oldest first: a parent's root is usually known
        parent = row.revision_of
        root = roots.get(parent) if parent is not None else sid
        if root is None:
            root = _root(sid, versions)
        roots[sid] = root
        members.setdefault(root, []).append(row)
    groups = [
        (root, sorted(found, key=lambda r: r.created_at))
        for root, found in members.items()
        if len(found) > 1
    ]
    groups = [g for g in groups if since is None or g[1][-1].created_at >= since]
    groups.sort(key=lambda g: g[1][-1].created_at, reverse=True)
    return [_chain(root, found, versions) for root, found in groups[:limit]]


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


def chain_of(chains: Sequence[RevisionChain], submission_id: uuid.UUID) -> RevisionChain | None:
    """The chain that has this submission as one of its versions."""
    for chain in chains:
        if any(v.submission_id == submission_id for v in chain.versions):
            return chain
    return None
