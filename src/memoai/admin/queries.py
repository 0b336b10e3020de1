"""What the administration listings take in their query: bounded pages, RFC 3339 times, and
each parameter once."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import BeforeValidator

from memoai.api import AppError, ErrorCode
from memoai.deps import AdminDep
from memoai.sessions.caller import Caller
from memoai.translations import N_

MAX_LIMIT = 500
MAX_OFFSET = 10_000_000  # far beyond any real table; keeps OFFSET inside every integer type
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most 500 rows a page")]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
# RFC 3339 with its zone, as the document's "date-time" says: no bare dates, no Unix seconds.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)")


def rfc3339(value: object) -> object:
    """Refuse what pydantic would also read as a time (a date, a number) but RFC 3339 is not."""
    if isinstance(value, str) and not RFC3339.fullmatch(value):
        raise ValueError("a time like 2026-11-01T00:00:00Z (RFC 3339, with its zone)")
    return value


Moment = Annotated[datetime, BeforeValidator(rfc3339)]


def true_or_false(value: object) -> object:
    """Only the document's booleans: pydantic would also read yes, on, 1 and their opposites."""
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("true or false")
    return value


Flag = Annotated[bool, BeforeValidator(true_or_false)]


async def admin_asking_once(caller: AdminDep, request: Request) -> Caller:
    """The admin policy, then 422 for a query parameter given twice (which one would win is a
    guess, and the document promises one value)."""
    params = request.query_params
    repeated = sorted({key for key in params if len(params.getlist(key)) > 1})
    if repeated:
        raise AppError(
            422,
            ErrorCode.VALIDATION_ERROR,
            N_("Give the query parameter '%(name)s' once."),
            field=repeated[0],
            values={"name": repeated[0]},
        )
    return caller


AdminQueryDep = Annotated[Caller, Depends(admin_asking_once)]
