"""The response envelope, the stable error codes, and the error that carries them."""

from __future__ import annotations

import contextvars
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fastapi.responses import JSONResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    INVALID_JSON = "INVALID_JSON"
    INVALID_ENCODING = "INVALID_ENCODING"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
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
    LLM_TIMEOUT = "LLM_TIMEOUT"
    LLM_UNAVAILABLE = "LLM_UNAVAILABLE"
    LLM_BAD_OUTPUT = "LLM_BAD_OUTPUT"
    LLM_NOT_CONFIGURED = "LLM_NOT_CONFIGURED"
    EVALUATION_INTERRUPTED = "EVALUATION_INTERRUPTED"
    NOT_RETRYABLE = "NOT_RETRYABLE"
    CONFIG_INVALID = "CONFIG_INVALID"
    DATABASE_BUSY = "DATABASE_BUSY"
    DISK_FULL = "DISK_FULL"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class AppError(Exception):
    """An error the user can act on: status, stable code, readable message."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = details or {}
        self.headers = headers or {}

    def as_error(self) -> dict[str, Any]:
        return error_item(self.code, self.message, self.field, self.details)


def not_found(what: str = "resource") -> AppError:
    """The same answer for missing and for someone else's objects."""
    return AppError(404, ErrorCode.NOT_FOUND, f"No such {what}.")


def error_item(
    code: str, message: str, field: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"code": str(code), "message": message, "field": field, "details": details or {}}


def meta() -> dict[str, str]:
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "request_id": request_id_var.get(),
    }


def envelope(data: Any = None, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"data": data, "meta": meta(), "errors": errors or []}


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """A success response in the envelope (data already JSON-ready)."""
    return JSONResponse(envelope(data), status_code=status, headers=headers)


def fail(
    status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(envelope(None, errors), status_code=status, headers=headers)
