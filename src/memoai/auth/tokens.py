"""Signed access tokens (JWT, HS256) that name a server-side session.

The token only says which session it belongs to (`sid`) and until when it may be shown
(`exp`, the hard limit); the session row decides whether it is still alive, so revoking the
session revokes every token issued for it. Verification also accepts the keys listed in
JWT_PREVIOUS_SECRET_KEYS, so rotating the secret signs nobody out before their token expires.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from memoai.api import AppError, ErrorCode
from memoai.db import utcnow
from memoai.settings import Settings
from memoai.translations import N_

ALGORITHM = "HS256"
ISSUER = "memoai"
KEY_FILE = "jwt-secret.key"
# Clocks of replicas drift a little; an `iat` slightly ahead must not fail a fresh token.
LEEWAY_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    token_id: str
    expires_at: datetime


class TokenCodec:
    """Signs with the current key, verifies with the current and the previous ones."""

    def __init__(self, key: str, previous: list[str], lifetime: timedelta) -> None:
        self.key = key
        self.keys = [key, *(k for k in previous if k and k != key)]
        self.lifetime = lifetime

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCodec:
        previous = (settings.secret("jwt_previous_secret_keys") or "").split(",")
        return cls(
            signing_key(settings),
            [k.strip() for k in previous if k.strip()],
            timedelta(hours=settings.jwt_expiration_hours),
        )

    def issue(self, session_id: uuid.UUID, user_id: uuid.UUID) -> tuple[str, datetime]:
        """A new token for the session, and when it expires."""
        now = utcnow().replace(microsecond=0)
        expires_at = now + self.lifetime
        claims = {
            "iss": ISSUER,
            "sub": str(user_id),
            "sid": str(session_id),
            "jti": secrets.token_urlsafe(12),
            "iat": now,
            "exp": expires_at,
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM), expires_at

    def verify(self, token: str) -> Claims:
        """The claims of a valid token; 401 SESSION_EXPIRED or UNAUTHORIZED otherwise."""
        for key in self.keys:
            try:
                data = jwt.decode(
                    token,
                    key,
                    algorithms=[ALGORITHM],
                    issuer=ISSUER,
                    leeway=LEEWAY_SECONDS,
                    options={"require": ["exp", "iat", "sid", "sub", "jti"]},
                )
            except jwt.ExpiredSignatureError:
                raise AppError(
                    401, ErrorCode.SESSION_EXPIRED, N_("Your sign-in has expired. Sign in again.")
                ) from None
            except jwt.InvalidSignatureError:
                continue
            except jwt.InvalidTokenError:
                break
            try:
                return Claims(
                    session_id=uuid.UUID(str(data["sid"])),
                    user_id=uuid.UUID(str(data["sub"])),
                    token_id=str(data["jti"]),
                    expires_at=datetime.fromtimestamp(int(data["exp"]), UTC),
                )
            except (ValueError, TypeError):
                break
        raise AppError(401, ErrorCode.UNAUTHORIZED, N_("Your sign-in is not valid. Sign in again."))


def looks_like_jwt(token: str) -> bool:
    """JWTs have three dot-separated parts; anonymous session tokens have no dots."""
    return token.count(".") == 2


def signing_key(settings: Settings) -> str:
    """JWT_SECRET_KEY, or (without one, outside production) a key kept on the data volume.

    Production refuses to start in login mode without JWT_SECRET_KEY; in development the key
    is made once and stored beside the database so tokens survive a restart.
    """
    configured = settings.secret("jwt_secret_key")
    if configured:
        return configured
    path = Path(settings.data_dir) / KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and linked into place: a replica starting at the same moment either
    # finds no file or the whole key, and the first link wins.
    draft = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    draft.write_text(secrets.token_hex(32), encoding="ascii")
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text(encoding="ascii").strip()
