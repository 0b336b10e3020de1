"""The authentication audit log: who did what, from where, and how it went.

Rows carry the request's address, user agent and id; never a password or a token (the
details are built by the callers from names, ids and reasons only, and scrubbed once more).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from memoai.api import request_id_var
from memoai.auth.models import AuditEvent, User
from memoai.db import Executor, new_id, utcnow
from memoai.spreadsheets import csv_text

_AUDIT: Table = AuditEvent.__table__  # type: ignore[assignment]
_INSERT = insert(_AUDIT)
_FORBIDDEN_KEYS = ("password", "token", "secret", "hash")


class Event(StrEnum):
    LOGIN = "login"
    LOCKOUT = "lockout"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name)
    SESSION_REVOKED = "session_revoked"
    USER_CREATED = "user_created"
    USER_CHANGED = "user_changed"
    CONFIG_CHANGED = "config_changed"
    CONFIG_ROLLED_BACK = "config_rolled_back"
    DEBUG_MODE_CHANGED = "debug_mode_changed"
    MEMO_DELETED = "memo_deleted"  # a writer deleted one memo (counts only, never its text)
    DATA_DELETED = "data_deleted"  # a writer deleted all of their memos


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from (the CLI has no address)."""

    ip_address: str | None = None
    user_agent: str | None = None
    actor_id: uuid.UUID | None = None


CLI = Origin(user_agent="memoai-cli")


async def record(
    db: Executor,
    event: Event,
    origin: Origin,
    *,
    outcome: str = "success",
    reason: str | None = None,
    user_id: uuid.UUID | None = None,
    username: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one audit row (committed with the caller's unit of work)."""
    request_id = request_id_var.get()
    await db.execute(
        _INSERT,
        {
            "id": new_id(),
            "at": utcnow(),
            "event": str(event),
            "outcome": outcome,
            "reason": reason,
            "user_id": user_id,
            "username": (username or "")[:64] or None,
            "actor_id": origin.actor_id,
            "ip_address": origin.ip_address,
            "user_agent": (origin.user_agent or "")[:300] or None,
            "request_id": None if request_id == "-" else request_id[:64],
            "details": _safe(details or {}),
        },
    )


def _safe(details: dict[str, Any]) -> dict[str, Any]:
    """Drop any key that could hold a credential, whatever a caller passed."""
    return {k: v for k, v in details.items() if not any(f in k.lower() for f in _FORBIDDEN_KEYS)}


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which rows an administrator asks for (every part optional)."""

    user_id: uuid.UUID | None = None
    event: Event | None = None
    since: datetime | None = None
    until: datetime | None = None


# An audit row with the acting user's current name.
AuditRow = tuple[AuditEvent, str | None]
_ACTOR = aliased(User)
# A row of the log with the acting user's current name (None for the CLI and for sign-ins).
_ROWS = select(AuditEvent, _ACTOR.username.label("actor_username")).outerjoin(
    _ACTOR, _ACTOR.id == AuditEvent.actor_id
)


def as_utc(moment: datetime) -> datetime:
    """Stored times are UTC; a bound in another zone (or none) is read as that moment in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _where(wanted: AuditFilter) -> list[Any]:
    where: list[Any] = []
    if wanted.user_id is not None:
        where.append(AuditEvent.user_id == wanted.user_id)
    if wanted.event is not None:
        where.append(AuditEvent.event == str(wanted.event))
    if wanted.since is not None:
        where.append(AuditEvent.at >= as_utc(wanted.since))
    if wanted.until is not None:
        where.append(AuditEvent.at < as_utc(wanted.until))
    return where


async def search(
    db: AsyncSession, wanted: AuditFilter, limit: int, offset: int = 0
) -> tuple[Sequence[AuditRow], int]:
    """A page of the log, newest first, with the number of rows that match."""
    where = _where(wanted)
    total = await db.scalar(select(func.count()).select_from(AuditEvent).where(*where))
    query = _ROWS.where(*where).order_by(AuditEvent.at.desc(), AuditEvent.id)
    rows = (await db.execute(query.limit(limit).offset(offset))).all()
    return [(event, actor) for event, actor in rows], int(total or 0)


CSV_COLUMNS = (
    "at", "event", "outcome", "reason", "username", "user_id", "actor_username", "actor_id",
    "ip_address", "user_agent", "request_id", "details", "id",
)  # fmt: skip


def to_csv(rows: Sequence[AuditRow]) -> str:
    """The rows as CSV for a spreadsheet: formula-like text is neutralised."""

    def cells(row: AuditRow) -> list[Any]:
        event, actor = row
        return [
            event.at.isoformat().replace("+00:00", "Z"),
            event.event,
            event.outcome,
            event.reason,
            event.username,
            event.user_id,
            actor,
            event.actor_id,
            event.ip_address,
            event.user_agent,
            event.request_id,
            json.dumps(event.details or {}, sort_keys=True, ensure_ascii=False),
            event.id,
        ]

    return csv_text(CSV_COLUMNS, (cells(row) for row in rows))
