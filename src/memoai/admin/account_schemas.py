"""The request and response models of the users, sessions and audit log administration."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from memoai.auth.audit import AuditRow
from memoai.auth.schemas import UserOut
from memoai.sessions.models import Session
from memoai.sessions.service import is_live

RoleName = Literal["user", "admin"]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(
        max_length=200, description="2 to 64 letters, digits or . _ - + @; unique in any case"
    )
    password: str = Field(max_length=1000, description="Checked against the policy of auth.yaml")
    role: RoleName = "user"
    display_name: str | None = Field(
        None, max_length=120, description="The name shown in the app (the username if empty)"
    )


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(
        None, max_length=120, pattern=r"\S", description="Not blank; null leaves it unchanged"
    )
    role: RoleName | None = None
    is_active: bool | None = Field(None, description="false ends the user's sessions at once")


class TemporaryPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(
        max_length=1000, description="A temporary password; the user must change it at sign-in"
    )


class UserPage(BaseModel):
    items: list[UserOut]
    total: int = Field(description="Every user that matches q")
    limit: int
    offset: int


class SessionItem(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID | None = Field(description="None for an anonymous session")
    username: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    ip_address: str | None
    user_agent: str | None
    active: bool = Field(description="Neither revoked nor idled out")

    @classmethod
    def of(cls, session: Session, username: str | None, now: datetime) -> SessionItem:
        return cls(
            id=session.id,
            user_id=session.user_id,
            username=username,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            revoked_at=session.revoked_at,
            ip_address=session.ip_address,
            user_agent=session.user_agent,
            active=is_live(session, now),
        )


class SessionPage(BaseModel):
    items: list[SessionItem]
    total: int = Field(description="Every session that matches the filters")
    limit: int
    offset: int


class Revoked(BaseModel):
    revoked: int = Field(description="How many sessions were ended by this call")


class AuditItem(BaseModel):
    id: uuid.UUID
    at: datetime
    event: str
    outcome: str = Field(description="success or failure")
    reason: str | None
    user_id: uuid.UUID | None = Field(description="The account the event is about")
    username: str | None
    actor_id: uuid.UUID | None = Field(description="The administrator who acted, if one did")
    actor_username: str | None
    ip_address: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, row: AuditRow) -> AuditItem:
        event, actor = row
        fields = {f: getattr(event, f) for f in cls.model_fields if f != "actor_username"}
        return cls.model_validate({**fields, "actor_username": actor})


class AuditPage(BaseModel):
    items: list[AuditItem]
    total: int = Field(description="Every row that matches the filters")
    limit: int
    offset: int
