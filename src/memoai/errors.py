"""Exception handlers: every error leaves in the envelope with a stable code, never a trace."""

from __future__ import annotations

import errno
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from memoai.api import AppError, ErrorCode, error_item, fail

log = logging.getLogger("memoai.errors")

HTTP_CODES = {
    401: (ErrorCode.UNAUTHORIZED, "You need to sign in or start a session."),
    403: (ErrorCode.FORBIDDEN, "You are not allowed to do this."),
    404: (ErrorCode.NOT_FOUND, "There is nothing at this address."),
    405: (ErrorCode.METHOD_NOT_ALLOWED, "This address does not accept that method."),
    413: (ErrorCode.PAYLOAD_TOO_LARGE, "The request body is too large."),
    415: (ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send the body as application/json."),
}


async def app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return fail(exc.status, [exc.as_error()], headers=exc.headers)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = await request.body()
    errors = [_validation_item(err, raw) for err in exc.errors()]
    return fail(422 if not _is_body_syntax(errors) else 400, errors)


def _is_body_syntax(errors: list[dict[str, Any]]) -> bool:
    return any(e["code"] in (ErrorCode.INVALID_JSON, ErrorCode.INVALID_ENCODING) for e in errors)


def _validation_item(err: Any, raw: bytes) -> dict[str, Any]:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    kind = err.get("type", "")
    if kind == "json_invalid":
        return _body_syntax_item(raw, str(err.get("ctx", {}).get("error", "")))
    if kind == "extra_forbidden":
        return error_item(ErrorCode.UNKNOWN_FIELD, f"Unknown field '{field}'.", field)
    if kind == "missing":
        return error_item(ErrorCode.VALIDATION_ERROR, f"'{field}' is required.", field)
    if kind in ("model_attributes_type", "dict_type") and not loc:
        return error_item(ErrorCode.INVALID_JSON, "The request body must be a JSON object.")
    return error_item(ErrorCode.VALIDATION_ERROR, f"{field or 'request'}: {err.get('msg')}", field)


def _body_syntax_item(raw: bytes, reason: str = "") -> dict[str, Any]:
    """A body that could not be parsed: broken UTF-8 or broken JSON."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return error_item(ErrorCode.INVALID_ENCODING, "The request body is not valid UTF-8 text.")
    details = {"reason": reason} if reason else {}
    return error_item(
        ErrorCode.INVALID_JSON, "The request body is not valid JSON.", details=details
    )


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        return fail(400, [_body_syntax_item(await request.body())])
    code, message = HTTP_CODES.get(exc.status_code, (ErrorCode.VALIDATION_ERROR, str(exc.detail)))
    headers = dict(exc.headers or {})
    return fail(exc.status_code, [error_item(code, message)], headers=headers)


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return fail(
            503,
            [error_item(ErrorCode.DATABASE_BUSY, "The database is busy. Try again in a moment.")],
            headers={"Retry-After": "2"},
        )
    return await unexpected_error(request, exc)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        log.error("disk full")
        return fail(
            507,
            [error_item(ErrorCode.DISK_FULL, "The server's disk is full. Tell an administrator.")],
        )
    log.exception("unexpected error")
    message = "Something went wrong on our side. Nothing you wrote was lost; try again."
    return fail(500, [error_item(ErrorCode.INTERNAL_ERROR, message)])


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, database_error)
    app.add_exception_handler(Exception, unexpected_error)
