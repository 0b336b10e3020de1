"""What a memo or chat message must be before it is stored: not empty, within its limit,
printable text; refused with a stable code and a message a person can act on."""

from __future__ import annotations

import unicodedata

from memoai.api import AppError, ErrorCode
from memoai.evaluations.schemas import EvaluationCreate
from memoai.settings import Settings
from memoai.translations import N_, number

_ALLOWED_CONTROL = {"\t", "\n", "\r"}


def check_request(payload: EvaluationCreate, settings: Settings) -> None:
    """Refuse empty, oversized or binary text with a code and a message a person can act on."""
    text = payload.text_content
    check_text(text, field="text_content", max_chars=settings.memo_max_chars, noun="memo")
    if len(text.strip()) < settings.memo_min_chars:
        raise AppError(
            422,
            ErrorCode.TEXT_EMPTY,
            N_("The memo needs at least %(min_chars)s characters."),
            field="text_content",
            values={"min_chars": settings.memo_min_chars},
        )
    _check_printable("title", payload.title or "")
    if payload.title is not None and len(payload.title) > settings.title_max_chars:
        raise AppError(
            422,
            ErrorCode.VALIDATION_ERROR,
            N_("The title is longer than %(max_chars)s characters."),
            field="title",
            values={"max_chars": settings.title_max_chars},
        )


# Whole sentences per kind of text (memo, chat message), so each language words its own.
EMPTY_TEXT = {
    "memo": N_("The memo is empty. Paste or type your memo first."),
    "message": N_("The message is empty. Paste or type your message first."),
}
TOO_LONG_TEXT = {
    "memo": N_(
        "The memo has %(actual)s characters; the limit is %(limit)s. Shorten it and send it again."
    ),
    "message": N_(
        "The message has %(actual)s characters; the limit is %(limit)s. "
        "Shorten it and send it again."
    ),
}


def check_text(text: str, *, field: str, max_chars: int, noun: str) -> None:
    """Empty, oversized or binary text refused alike for memos and chat messages."""
    if not text.strip():
        raise AppError(422, ErrorCode.TEXT_EMPTY, EMPTY_TEXT[noun], field=field)
    if len(text) > max_chars:
        raise AppError(
            422,
            ErrorCode.TEXT_TOO_LONG,
            TOO_LONG_TEXT[noun],
            field=field,
            details={"max_chars": max_chars, "actual_chars": len(text)},
            values={"actual": number(len(text), "#,##0"), "limit": number(max_chars, "#,##0")},
        )
    _check_printable(field, text)


def _check_printable(field: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise AppError(
            422,
            ErrorCode.TEXT_INVALID,
            N_("The text contains invalid characters (broken Unicode)."),
            field=field,
        ) from None
    bad = sum(1 for ch in value if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROL)
    if bad:
        raise AppError(
            422,
            ErrorCode.TEXT_INVALID,
            N_("The text contains binary data or control characters. Paste plain text."),
            field=field,
            details={"control_characters": bad},
        )
