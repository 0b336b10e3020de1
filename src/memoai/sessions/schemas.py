"""The sessions API's response models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class SessionOut(BaseModel):
    session_id: uuid.UUID
    expires_at: datetime = Field(description="Slides forward while the session is used")
    csrf_token: str | None = Field(
        None, description="Echo it in X-CSRF-Token on state-changing calls that use the cookie"
    )
    token: str | None = Field(
        None,
        description="Shown once, for API clients that send X-Session-Token instead of the cookie",
    )


class CurrentSession(BaseModel):
    session_id: uuid.UUID
    user_id: uuid.UUID | None = Field(description="The signed-in user, if any")


class SessionEnded(BaseModel):
    ended: bool
