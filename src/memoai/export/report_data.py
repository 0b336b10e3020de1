"""What a PDF report shows and what its file is called: plain data, read before rendering, and
kept apart from the renderer so that importing the API does not load fpdf2 and fontTools."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from memoai.progress.schemas import ChainVersion, ProgressOut


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read before rendering so no database work overlaps it."""

    evaluation: dict[str, Any]  # the API view (EvaluationOut as JSON), with its summary
    progress: ProgressOut  # the caller's evaluations up to this one
    revision: ChainVersion | None  # this version against the one it revises
    generated_at: datetime


def filename(evaluation: dict[str, Any]) -> str:
    """A safe ASCII file name: memo-feedback-<title>-<date>.pdf (the `filename` parameter)."""
    title = evaluation.get("title") or "memo"
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return _name(re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()), evaluation)


def unicode_filename(evaluation: dict[str, Any]) -> str:
    """The same name keeping the title's letters in any script (RFC 6266 `filename*`):
    memo-feedback-تقرير-الربع-2026-05-01.pdf."""
    title = unicodedata.normalize("NFC", evaluation.get("title") or "memo")
    return _name(re.sub(r"[\W_]+", "-", title.lower()), evaluation)


def _name(slug: str, evaluation: dict[str, Any]) -> str:
    slug = slug.strip("-")[:60].strip("-") or "memo"
    day = str(evaluation.get("created_at", ""))[:10]
    day = day if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) else "report"
    return f"memo-feedback-{slug}-{day}.pdf"
