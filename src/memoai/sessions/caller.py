"""Who is calling: a domain concept every service takes, resolved by the web layer's deps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """The session every record belongs to, and its user (with role) when signed in."""

    session_id: uuid.UUID
    user_id: uuid.UUID | None = None
    is_admin: bool = False

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None
