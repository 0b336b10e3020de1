"""The auth API's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from memoai.auth.models import User
from memoai.language import Language


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=200, description="Compared case-insensitively")
    password: str = Field(max_length=1000)


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1000)
    new_password: str = Field(
        max_length=1000, description="Checked against the policy of auth.yaml (length, common)"
    )


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    role: Literal["user", "admin"]
    is_active: bool
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None
    language: Language | None = Field(
        None, description='The interface language chosen ("en" or "es"); null: the browser\'s'
    )

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls.model_validate(user, from_attributes=True)


class ProfileIn(BaseModel):
    """The signed-in person's own settings."""

    model_config = ConfigDict(extra="forbid")

    language: Language | None = Field(
        description='"en" or "es": pages, messages and errors in it from the next sign-in on '
        "(and at once in the browser, through the memoai_lang cookie); null: follow the "
        "browser's Accept-Language again (UNSUPPORTED_LANGUAGE for any other value)"
    )


class LoginOut(BaseModel):
    user: UserOut
    access_token: str = Field(description="The JWT; send it as Authorization: Bearer")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth token type)
    expires_at: datetime = Field(description="The token's hard limit (JWT_EXPIRATION_HOURS)")
    session_id: uuid.UUID
    session_expires_at: datetime = Field(description="Idles out then unless used (sliding)")
    csrf_token: str = Field(description="Echo it in X-CSRF-Token when using the cookie")


class VerifyOut(BaseModel):
    user: UserOut
    session_id: uuid.UUID
    session_expires_at: datetime
    token_expires_at: datetime


class LogoutOut(BaseModel):
    signed_out: bool


class PasswordOut(BaseModel):
    changed: bool
    other_sessions_ended: int
