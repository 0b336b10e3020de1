"""The caller's evaluation history as flat rows, for CSV and JSON downloads.

The JSON keeps the API's field names; the CSV's header row is in the reader's language (in
English the field names themselves, which scripts read; in Spanish the columns' names), and so
are its yes/no cells. Criterion columns keep the rubric's ids, the same in every language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from memoai import scores
from memoai.evaluations.models import Evaluation, Submission
from memoai.evaluations.service import owned_by, provider_label
from memoai.language import DEFAULT
from memoai.progress.schemas import METRICS
from memoai.sessions.caller import Caller
from memoai.spreadsheets import safe_cell
from memoai.translations import N_, current
from memoai.translations import gettext as _

KEY_METRICS = [m.key for m in METRICS] + ["has_explicit_ask"]
# The CSV's column names for a reader of another language than English.
HEADINGS = {
    "id": N_("Evaluation id"),
    "created_at": N_("Evaluated at (UTC)"),
    "status": N_("Status"),
    "title": N_("Title"),
    "overall_score": N_("Overall score"),
    "scale_min": N_("Lowest score of the scale"),
    "scale_max": N_("Highest score of the scale"),
    **{m.key: m.label for m in METRICS},
    "has_explicit_ask": N_("Explicit ask"),
    "provider": N_("Provider"),
    "model": N_("Model"),
    "rubric_version": N_("Rubric version"),
    "submission_id": N_("Memo version id"),
    "revision_of": N_("Revises memo version id"),
}


async def history(db: AsyncSession, caller: Caller) -> tuple[list[dict[str, Any]], list[str]]:
    """Every evaluation of the caller, oldest first, and the criterion ids seen (newest first)."""
    result = await db.execute(
        select(
            Evaluation.id,
            Evaluation.created_at,
            Evaluation.status,
            Submission.title,
            Evaluation.overall_score,
            Evaluation.scale_min,
            Evaluation.scale_max,
            Evaluation.rubric_scores,
            Evaluation.metrics,
            Evaluation.provider,
            Evaluation.model,
            Evaluation.rubric_version,
            Evaluation.submission_id,
            Submission.revision_of_id,
        )
        .join(Submission, Submission.id == Evaluation.submission_id)
        .where(owned_by(caller))
        .order_by(Evaluation.created_at, Evaluation.id)
    )
    items = [_item(row) for row in result.all()]
    criteria: list[str] = []
    for item in reversed(items):
        criteria += [c for c in item["scores"] if c not in criteria]
    return items, criteria


def _item(row: Any) -> dict[str, Any]:
    metrics = row.metrics or {}
    return {
        "id": str(row.id),
        "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
        "status": row.status,
        "title": row.title,
        "overall_score": scores.rounded(row.overall_score),
        "scale": {"min": row.scale_min, "max": row.scale_max},
        "scores": {
            str(s.get("criterion_id")): s.get("score") if s.get("assessed", True) else None
            for s in row.rubric_scores or []
        },
        "metrics": {key: metrics.get(key) for key in KEY_METRICS if key in metrics},
        "provider": row.provider,
        "model": row.model,
        "provider_label": provider_label(row.provider, row.model),
        "rubric_version": row.rubric_version,
        "submission_id": str(row.submission_id),
        "revision_of": str(row.revision_of_id) if row.revision_of_id else None,
    }


def to_csv(items: Sequence[dict[str, Any]], criteria: Sequence[str]) -> str:
    """One row per evaluation: scores per criterion and key metrics as columns."""
    columns = [
        "id", "created_at", "status", "title", "overall_score", "scale_min", "scale_max",
        *criteria, *KEY_METRICS, "provider", "model", "rubric_version", "submission_id",
        "revision_of",
    ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headings(columns))
    for item in items:
        row = {
            **item,
            **item["scores"],
            **item["metrics"],
            "scale_min": item["scale"]["min"],
            "scale_max": item["scale"]["max"],
        }
        writer.writerow([safe_cell(_plain(row.get(c))) for c in columns])
    return buffer.getvalue()


def headings(columns: Sequence[str]) -> list[str]:
    """The header row: the field names in English, the columns' names in another language."""
    if current() == DEFAULT:
        return list(columns)
    return [_(HEADINGS[c]) if c in HEADINGS else c for c in columns]


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else "no"  # "no" is also the Spanish word
    return value
