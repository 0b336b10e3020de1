"""Exception handlers: every error leaves in the envelope with a stable code, never a trace."""

from __future__ import annotations

import errno
import logging
import re
from email.message import Message
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from memoai import translations
from memoai.api import AppError, ErrorCode, error_item, fail
from memoai.translations import N_

log = logging.getLogger("memoai.errors")

# Messages are English msgids (N_); error_item answers them in the reader's language.
HTTP_CODES = {
    401: (ErrorCode.UNAUTHORIZED, N_("You need to sign in or start a session.")),
    403: (ErrorCode.FORBIDDEN, N_("You are not allowed to do this.")),
    404: (ErrorCode.NOT_FOUND, N_("There is nothing at this address.")),
    405: (ErrorCode.METHOD_NOT_ALLOWED, N_("This address does not accept that method.")),
    413: (ErrorCode.PAYLOAD_TOO_LARGE, N_("The request body is too large.")),
    415: (ErrorCode.UNSUPPORTED_MEDIA_TYPE, N_("Send the body as application/json.")),
}


async def app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return fail(exc.status, [exc.as_error()], headers=exc.headers)


INTERNAL_MESSAGE = N_("Something went wrong on our side. Nothing you wrote was lost; try again.")


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = await request.body()
    if raw and _about_body(exc) and not is_json(request.headers.get("content-type")):
        code, message = HTTP_CODES[415]
        found = request.headers.get("content-type") or "none"
        return fail(415, [error_item(code, message, details={"content_type": found})])
    errors = [_validation_item(err, raw) for err in exc.errors()]
    return fail(422 if not _is_body_syntax(errors) else 400, errors)


def is_json(content_type: str | None) -> bool:
    """application/json or any application/*+json, parameters (charset) aside."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _about_body(exc: RequestValidationError) -> bool:
    return any(tuple(err.get("loc", ()))[:1] == ("body",) for err in exc.errors())


def _is_body_syntax(errors: list[dict[str, Any]]) -> bool:
    return any(e["code"] in (ErrorCode.INVALID_JSON, ErrorCode.INVALID_ENCODING) for e in errors)


# Pydantic's own words are English; the kinds a person meets most are said here instead, in
# the reader's language, from the error's context (ctx) values.
VALIDATION_TEXT = {
    "string_too_long": N_("'%(field)s' is too long: at most %(max_length)s characters."),
    "string_too_short": N_("'%(field)s' is too short: at least %(min_length)s characters."),
    "too_long": N_("'%(field)s' has too many items: at most %(max_length)s."),
    "string_type": N_("'%(field)s' must be a text (a JSON string)."),
    "int_parsing": N_("'%(field)s' must be a whole number."),
    "int_type": N_("'%(field)s' must be a whole number."),
    "bool_parsing": N_("'%(field)s' must be true or false."),
    "bool_type": N_("'%(field)s' must be true or false."),
    "uuid_parsing": N_("'%(field)s' must be an id (a UUID)."),
    "greater_than_equal": N_("'%(field)s' must be at least %(ge)s."),
    "less_than_equal": N_("'%(field)s' must be at most %(le)s."),
    "literal_error": N_("'%(field)s' must be %(expected)s."),
    "enum": N_("'%(field)s' must be %(expected)s."),
}
# A field whose wrong value has a code of its own, for clients to branch on.
FIELD_CODES = {("language", "literal_error"): ErrorCode.UNSUPPORTED_LANGUAGE}


def _validation_item(err: Any, raw: bytes) -> dict[str, Any]:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    kind = err.get("type", "")
    if kind == "json_invalid":
        return _body_syntax_item(raw, str(err.get("ctx", {}).get("error", "")))
    if kind == "extra_forbidden":
        return error_item(
            ErrorCode.UNKNOWN_FIELD,
            N_("Unknown field '%(field)s'."),
            field,
            values={"field": field},
        )
    if kind == "missing":
        return error_item(
            ErrorCode.VALIDATION_ERROR,
            N_("'%(field)s' is required."),
            field,
            values={"field": field},
        )
    if kind in ("model_attributes_type", "dict_type") and not loc:
        return error_item(ErrorCode.INVALID_JSON, N_("The request body must be a JSON object."))
    values = {**{k: str(v) for k, v in (err.get("ctx") or {}).items()}, "field": field or ""}
    if "expected" in values:  # pydantic's "'en' or 'es'", with the reader's "or"
        values["expected"] = _choices(values["expected"])
    code = FIELD_CODES.get((loc[-1] if loc else "", kind), ErrorCode.VALIDATION_ERROR)
    if field and kind in VALIDATION_TEXT and _fills(VALIDATION_TEXT[kind], values):
        return error_item(code, VALIDATION_TEXT[kind], field, values=values)
    reason = {"field": field or "request", "reason": err.get("msg")}
    return error_item(code, N_("%(field)s: %(reason)s"), field, values=reason)


def _choices(expected: str) -> str:
    """'a', 'b' or 'c' from pydantic's list of the allowed values, in the reader's language."""
    choices = re.findall(r"'[^']*'", expected)
    if len(choices) < 2:
        return expected
    last = {"choices": ", ".join(choices[:-1]), "last": choices[-1]}
    return translations.gettext("%(choices)s or %(last)s") % last


def _fills(message: str, values: dict[str, str]) -> bool:
    """Whether `values` has every placeholder of `message` (pydantic's ctx varies by version)."""
    try:
        message % values
    except KeyError:
        return False
    return True


def _body_syntax_item(raw: bytes, reason: str = "") -> dict[str, Any]:
    """A body that could not be parsed: broken UTF-8 or broken JSON."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return error_item(
            ErrorCode.INVALID_ENCODING, N_("The request body is not valid UTF-8 text.")
        )
    details = {"reason": reason} if reason else {}
    return error_item(
        ErrorCode.INVALID_JSON, N_("The request body is not valid JSON."), details=details
    )


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        return fail(400, [_body_syntax_item(await request.body())])
    code, message = HTTP_CODES.get(exc.status_code, (ErrorCode.VALIDATION_ERROR, str(exc.detail)))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    return fail(exc.status_code, [error_item(code, message)], headers=headers)


PROBED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path takes, over all the routes that share the path
    (Starlette's own 405 names only the first route it found). Asks the app's routes with
    each method in turn, so included routers are searched the way dispatch searches them."""
    routes = request.app.router.routes
    return [
        method
        for method in PROBED_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


# Why the database refused a statement, from its own error codes: SQLite's result names
# (Python's sqlite3 exposes them), PostgreSQL's SQLSTATEs; the message text is the fallback.
SQLITE_NAMES = {
    "SQLITE_FULL": ErrorCode.DISK_FULL,
    "SQLITE_READONLY": ErrorCode.DATABASE_READ_ONLY,
    "SQLITE_BUSY": ErrorCode.DATABASE_BUSY,
    "SQLITE_LOCKED": ErrorCode.DATABASE_BUSY,
    # A statement stopped at the server's time limit (memoai.sqlite_driver): worth a retry.
    "SQLITE_INTERRUPT": ErrorCode.DATABASE_BUSY,
}
SQLSTATES = {
    "53100": ErrorCode.DISK_FULL,  # disk_full
    "25006": ErrorCode.DATABASE_READ_ONLY,  # read_only_sql_transaction
    "55P03": ErrorCode.DATABASE_BUSY,  # lock_not_available
    "57014": ErrorCode.DATABASE_BUSY,  # query_canceled (statement_timeout)
}
MESSAGES = (
    ("database or disk is full", ErrorCode.DISK_FULL),
    ("no space left on device", ErrorCode.DISK_FULL),
    ("readonly database", ErrorCode.DATABASE_READ_ONLY),
    ("read-only transaction", ErrorCode.DATABASE_READ_ONLY),
    ("locked", ErrorCode.DATABASE_BUSY),
    ("busy", ErrorCode.DATABASE_BUSY),
    ("interrupted", ErrorCode.DATABASE_BUSY),
)
STORAGE_ANSWERS: dict[ErrorCode, tuple[int, str, dict[str, str]]] = {
    ErrorCode.DISK_FULL: (
        507,
        N_(
            "The server's storage is full, so nothing you sent was saved. Keep a copy of your "
            "text and try again later; tell an administrator."
        ),
        {},
    ),
    ErrorCode.DATABASE_READ_ONLY: (
        503,
        N_(
            "The database cannot be written to (it is read-only), so nothing you sent was saved. "
            "Keep a copy of your text and try again later; tell an administrator."
        ),
        {"Retry-After": "30"},
    ),
    ErrorCode.DATABASE_BUSY: (
        503,
        N_("The database is busy. Try again in a moment."),
        {"Retry-After": "2"},
    ),
}
# Why storage stopped, inside partly_saved's sentence.
STORAGE_REASONS = {
    ErrorCode.DISK_FULL: N_("the server's storage is full"),
    ErrorCode.DATABASE_READ_ONLY: N_("the database became read-only"),
    ErrorCode.DATABASE_BUSY: N_("the database is busy"),
}


def storage_fault(exc: BaseException) -> ErrorCode | None:
    """DISK_FULL, DATABASE_READ_ONLY or DATABASE_BUSY when storage refused the work, else None."""
    if isinstance(exc, OSError):
        return ErrorCode.DISK_FULL if exc.errno == errno.ENOSPC else None
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    for prefix, code in SQLITE_NAMES.items():
        if name == prefix or name.startswith(prefix + "_"):
            return code
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in SQLSTATES:
        return SQLSTATES[str(state)]
    text = str(orig).lower()
    return next((code for needle, code in MESSAGES if needle in text), None)


def partly_saved(code: ErrorCode, saved: str, lost: str) -> AppError:
    """The storage answer when the first part of the work was stored before storage failed:
    it says what was kept (`saved`) and what was not (`lost`), each looked up in the catalog."""
    status, _, headers = STORAGE_ANSWERS[code]
    values = {
        "saved": translations.gettext(saved),
        "reason": translations.gettext(STORAGE_REASONS[code]),
        "lost": translations.gettext(lost),
    }
    message = N_("%(saved)s, but %(reason)s, so %(lost)s.")
    return AppError(status, code, message, headers=headers, values=values)


def storage_answer(code: ErrorCode) -> JSONResponse:
    status, message, headers = STORAGE_ANSWERS[code]
    return fail(status, [error_item(code, message)], headers=headers)


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    code = storage_fault(exc)
    if code is None:
        log.exception("database error")
        return internal_error()
    if code != ErrorCode.DATABASE_BUSY:
        log.error("storage refused a write", extra={"error_code": str(code), "error": str(exc)})
    return storage_answer(code)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """The answer to an unhandled error; RequestContextMiddleware (ops/http.py) runs it inside
    the request's context and has already logged the traceback with the request id."""
    code = storage_fault(exc)
    return storage_answer(code) if code is not None else internal_error()


def internal_error() -> JSONResponse:
    return fail(500, [error_item(ErrorCode.INTERNAL_ERROR, INTERNAL_MESSAGE)])


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(Exception, unexpected_error)
