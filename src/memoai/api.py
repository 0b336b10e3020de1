"""The response envelope, the stable error codes, and the error that carries them."""

from __future__ import annotations

import contextvars
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from memoai import translations
from memoai.translations import N_

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    INVALID_JSON = "INVALID_JSON"
    INVALID_ENCODING = "INVALID_ENCODING"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    UNSUPPORTED_LANGUAGE = "UNSUPPORTED_LANGUAGE"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    TEXT_EMPTY = "TEXT_EMPTY"
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
    TEXT_INVALID = "TEXT_INVALID"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CONFLICT = "CONFLICT"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    CSRF_FAILED = "CSRF_FAILED"
    RATE_LIMITED = "RATE_LIMITED"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    LOGIN_REQUIRED = "LOGIN_REQUIRED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    PASSWORD_REJECTED = "PASSWORD_REJECTED"  # noqa: S105 (an error code)
    LLM_TIMEOUT = "LLM_TIMEOUT"
    LLM_UNAVAILABLE = "LLM_UNAVAILABLE"
    LLM_BAD_OUTPUT = "LLM_BAD_OUTPUT"
    LLM_NOT_CONFIGURED = "LLM_NOT_CONFIGURED"
    EVALUATION_INTERRUPTED = "EVALUATION_INTERRUPTED"
    CHAT_INTERRUPTED = "CHAT_INTERRUPTED"
    NOT_RETRYABLE = "NOT_RETRYABLE"
    CONFIG_INVALID = "CONFIG_INVALID"
    DATABASE_BUSY = "DATABASE_BUSY"
    DATABASE_READ_ONLY = "DATABASE_READ_ONLY"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    DISK_FULL = "DISK_FULL"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class AppError(Exception):
    """An error the user can act on: status, stable code, readable message.

    `message` is the English text, marked with N_() where it is written; it is translated
    into the reader's language when the error is answered, then filled with `values` (its
    %(name)s placeholders), so the code stays the same in every language and logs stay English.
    """

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        self.template = message  # the catalog's msgid
        self.values = values or {}
        self.message = message % values if values else message  # in English, for logs and CLI
        super().__init__(self.message)
        self.status = status
        self.code = code
        self.field = field
        self.details = details or {}
        self.headers = headers or {}

    def as_error(self) -> dict[str, Any]:
        return error_item(self.code, self.template, self.field, self.details, self.values)


class Meta(BaseModel):
    timestamp: str = Field(description="When the answer was made, ISO 8601 UTC")
    request_id: str = Field(description="Echoed in X-Request-ID; quote it when reporting a fault")


class ErrorItem(BaseModel):
    code: str = Field(description="A stable code from ErrorCode; safe to branch on")
    message: str = Field(description="What went wrong and what to do, for a person")
    field: str | None = Field(None, description="The input field at fault, if one is")
    details: dict[str, Any] = Field(default_factory=dict)


T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """Every JSON answer: `data` on success, `errors` on failure, `meta` always."""

    data: T
    meta: Meta
    errors: list[ErrorItem] = Field(default_factory=list)


class ErrorEnvelope(BaseModel):
    """The shape of every error answer: no data, at least one error."""

    data: None = None
    meta: Meta
    errors: list[ErrorItem] = Field(min_length=1)


def wrap(data: T) -> Envelope[T]:
    """The success envelope around typed data (the route's response_model serializes it)."""
    return Envelope[Any](data=data, meta=Meta(**meta()))


STATUS_TEXT = {
    400: "The body is not valid JSON or not UTF-8 (INVALID_JSON, INVALID_ENCODING)",
    401: "No valid session or sign-in (UNAUTHORIZED, SESSION_EXPIRED, LOGIN_REQUIRED, "
    "INVALID_CREDENTIALS)",
    403: "Not allowed (FORBIDDEN, CSRF_FAILED)",
    404: "No such object, or it is not the caller's (NOT_FOUND)",
    405: "The path does not take this method (METHOD_NOT_ALLOWED)",
    409: "The object's state does not allow this now (CONFLICT, NOT_RETRYABLE)",
    413: "The body is larger than the limit (PAYLOAD_TOO_LARGE)",
    415: "The body is not application/json (UNSUPPORTED_MEDIA_TYPE)",
    422: "A field is missing, unknown or out of range (VALIDATION_ERROR, UNKNOWN_FIELD, TEXT_*, "
    "PASSWORD_REJECTED, UNSUPPORTED_LANGUAGE)",
    423: "The account is locked for a while (ACCOUNT_LOCKED); see Retry-After",
    429: "Too many requests (RATE_LIMITED, BUDGET_EXCEEDED); see Retry-After",
    502: "The model answered with something unusable (LLM_BAD_OUTPUT)",
    503: "A dependency is unavailable (LLM_UNAVAILABLE, DATABASE_BUSY, DATABASE_READ_ONLY, "
    "...); see Retry-After",
    504: "The model took too long (LLM_TIMEOUT)",
    507: "The server's storage is full; nothing was saved (DISK_FULL)",
}


# Error statuses shared by routes of a kind, so that each route adds only its own.
LIMITED = (429, 503)  # every /api route: rate limits; a busy database
CALLER = (401,)  # routes with a caller: no session, an expired one, not signed in
WRITES = (403, 507)  # state-changing calls: CSRF with the cookie; a full disk
JSON_BODY = (400, 413, 415, 422)  # routes that take a JSON body

Responses = dict[int | str, dict[str, Any]]


def errors(*statuses: int) -> Responses:
    """OpenAPI `responses` for the error statuses a route can answer, all in ErrorEnvelope."""
    return {s: {"model": ErrorEnvelope, "description": STATUS_TEXT[s]} for s in sorted(statuses)}


def media(media_type: str, description: str, *statuses: int) -> Responses:
    """OpenAPI `responses` for a success answered in another media type (SSE, CSV, PDF)."""
    binary = media_type.endswith("pdf")
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    content = {media_type: {"schema": schema}}
    return {s: {"description": description, "content": content} for s in statuses or (200,)}


def events(names: tuple[str, ...], description: str, *statuses: int) -> Responses:
    """OpenAPI `responses` for server-sent events; the schema describes one event (3.1 style)."""
    event = {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string", "enum": list(names)},
            "data": {"type": "string", "contentMediaType": "application/json"},
        },
    }
    content = {"text/event-stream": {"schema": event}}
    return {s: {"description": description, "content": content} for s in statuses or (200,)}


def also(status: int, model: Any, description: str) -> Responses:
    """A second success status of a JSON route (e.g. 200 for an existing object, 201 new)."""
    return {status: {"model": model, "description": description}}


def responses(*parts: Responses) -> Responses:
    """Merge `responses` parts; one status may carry several media types (JSON and SSE)."""
    merged: Responses = {}
    for part in parts:
        for status, item in part.items():
            into = merged.setdefault(status, {})
            content = {**into.get("content", {}), **item.get("content", {})}
            into.update(item)
            if content:
                into["content"] = content
    return merged


# Whole sentences per kind of object, so each language can phrase (and gender) its own.
NOT_FOUND_TEXT = {
    "resource": N_("No such resource."),
    "user": N_("No such user."),
    "session": N_("No such session."),
    "chat session": N_("No such chat session."),
    "memo": N_("No such memo."),
    "evaluation": N_("No such evaluation."),
}


def not_found(what: str = "resource") -> AppError:
    """The same answer for missing and for someone else's objects."""
    if what in NOT_FOUND_TEXT:
        return AppError(404, ErrorCode.NOT_FOUND, NOT_FOUND_TEXT[what])
    return AppError(404, ErrorCode.NOT_FOUND, N_("No such %(what)s."), values={"what": what})


def error_item(
    code: str,
    message: str,
    field: str | None = None,
    details: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One error as answered: the message in the reader's language (translations.current()),
    its placeholders filled; a text with no catalog entry is answered as written."""
    text = translations.gettext(message) if message else message
    return {
        "code": str(code),
        "message": text % values if values else text,
        "field": field,
        "details": details or {},
    }


def meta() -> dict[str, str]:
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "request_id": request_id_var.get(),
    }


def envelope(data: Any = None, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"data": data, "meta": meta(), "errors": errors or []}


def fail(
    status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(envelope(None, errors), status_code=status, headers=headers)
