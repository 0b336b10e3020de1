"""Users: create, find, change, authenticate; the initial administrator."""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import AppError, ErrorCode
from memoai.auth import audit, passwords
from memoai.auth.audit import Event, Origin
from memoai.auth.models import Role, User
from memoai.configs.schemas import AuthSecurity
from memoai.db import utcnow
from memoai.language import Language
from memoai.sessions.caller import Caller
from memoai.sessions.service import revoke_user_sessions
from memoai.settings import Settings
from memoai.translations import N_

log = logging.getLogger("memoai.auth")

USERNAME = re.compile(r"^[\w.@+-]{2,64}$")


def username_key(username: str) -> str:
    """The case-insensitive form names are unique by and signed in with."""
    return unicodedata.normalize("NFKC", username.strip()).casefold()


def clean_username(username: str) -> str:
    """The name as stored, or 422 explaining what names may contain."""
    name = unicodedata.normalize("NFKC", username.strip())
    if not USERNAME.match(name) or len(username_key(name)) > 64:
        raise AppError(
            422,
            ErrorCode.VALIDATION_ERROR,
            N_("A username has 2 to 64 letters, digits or the characters . _ - + @ (no spaces)."),
            field="username",
        )
    return name


def password_rejected(exc: passwords.PasswordRejected, field: str = "password") -> AppError:
    return AppError(422, ErrorCode.PASSWORD_REJECTED, exc.message, field=field, values=exc.values)


async def get_user(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    """One user by id."""
    return await db.get(User, user_id)


async def user_of(db: AsyncSession, caller: Caller) -> User:
    """The signed-in caller's account (401 if it vanished meanwhile)."""
    user = await db.get(User, caller.user_id) if caller.user_id is not None else None
    if user is None:
        raise AppError(401, ErrorCode.UNAUTHORIZED, N_("Your sign-in is no longer valid."))
    return user


async def find_user(db: AsyncSession, username: str) -> User | None:
    """One user by name, in any case."""
    key = username_key(username)
    return (await db.execute(select(User).where(User.username_key == key))).scalar_one_or_none()


async def user_by_name(db: AsyncSession, username: str) -> User:
    """One user by name, or 404."""
    user = await find_user(db, username)
    if user is None:
        raise AppError(
            404, ErrorCode.NOT_FOUND, N_("No user named '%(name)s'."), values={"name": username}
        )
    return user


async def list_users(db: AsyncSession) -> Sequence[User]:
    """Every user, by name."""
    return (await db.execute(select(User).order_by(User.username_key))).scalars().all()


async def search_users(
    db: AsyncSession, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[Sequence[User], int]:
    """A page of users by name whose name or display name contains `q`, with the total."""
    where = []
    if q and q.strip():
        needle = q.strip()
        where.append(
            User.username_key.contains(username_key(needle), autoescape=True)
            | func.lower(User.display_name).contains(needle.lower(), autoescape=True)
        )
    total = await db.scalar(select(func.count()).select_from(User).where(*where))
    query = select(User).where(*where).order_by(User.username_key).limit(limit).offset(offset)
    return (await db.scalars(query)).all(), int(total or 0)


async def create_user(
    db: AsyncSession,
    username: str,
    password: str,
    *,
    policy: AuthSecurity,
    rounds: int,
    origin: Origin,
    display_name: str | None = None,
    role: Role = Role.USER,
    must_change_password: bool = False,
) -> User:
    """A new account (422 for a bad name or password, 409 for a taken name)."""
    name = clean_username(username)
    try:
        passwords.check_policy(password, name, policy)
    except passwords.PasswordRejected as exc:
        raise password_rejected(exc) from None
    now = utcnow()
    user = User(
        username=name,
        username_key=username_key(name),
        display_name=(display_name or name).strip()[:120] or name,
        password_hash=await passwords.hash_password(password, rounds),
        role=role,
        is_active=True,
        must_change_password=must_change_password,
        created_at=now,
        password_changed_at=now,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        raise AppError(
            409, ErrorCode.CONFLICT, N_("The username '%(name)s' is taken."), values={"name": name}
        ) from None
    await audit.record(
        db, Event.USER_CREATED, origin, user_id=user.id, username=name, details={"role": role}
    )
    await db.commit()
    return user


async def set_password(
    db: AsyncSession,
    user: User,
    new_password: str,
    *,
    policy: AuthSecurity,
    rounds: int,
    origin: Origin,
    keep_session: uuid.UUID | None = None,
    must_change: bool = False,
    field: str = "new_password",
) -> int:
    """Replace a password and end the user's sessions but `keep_session`; returns how many."""
    try:
        passwords.check_policy(new_password, user.username, policy)
    except passwords.PasswordRejected as exc:
        raise password_rejected(exc, field) from None
    user.password_hash = await passwords.hash_password(new_password, rounds)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    ended = await revoke_user_sessions(db, user.id, keep=keep_session)
    by_self = origin.actor_id == user.id
    await audit.record(
        db,
        Event.PASSWORD_CHANGED,
        origin,
        reason="by_self" if by_self else "reset",
        user_id=user.id,
        username=user.username,
        details={"sessions_ended": ended},
    )
    await db.commit()
    return ended


async def set_active(db: AsyncSession, user: User, active: bool, *, origin: Origin) -> None:
    """Activate or deactivate an account; deactivation ends its sessions at once."""
    if not active:
        await _keep_an_admin(db, user)
    user.is_active = active
    ended = 0 if active else await revoke_user_sessions(db, user.id)
    await audit.record(
        db,
        Event.USER_CHANGED,
        origin,
        reason="activated" if active else "deactivated",
        user_id=user.id,
        username=user.username,
        details={"sessions_ended": ended},
    )
    await db.commit()


async def set_role(db: AsyncSession, user: User, role: Role, *, origin: Origin) -> None:
    """Grant or revoke administration (takes effect on the user's next request)."""
    if role != Role.ADMIN:
        await _keep_an_admin(db, user)
    previous, user.role = user.role, role
    await audit.record(
        db,
        Event.USER_CHANGED,
        origin,
        reason="role",
        user_id=user.id,
        username=user.username,
        details={"role": str(role), "previous_role": previous},
    )
    await db.commit()


async def set_display_name(db: AsyncSession, user: User, name: str, *, origin: Origin) -> None:
    """Rename how a user is shown (the username, used to sign in, never changes)."""
    previous, user.display_name = user.display_name, name.strip()[:120] or user.username
    await audit.record(
        db,
        Event.USER_CHANGED,
        origin,
        reason="display_name",
        user_id=user.id,
        username=user.username,
        details={"display_name": user.display_name, "previous_display_name": previous},
    )
    await db.commit()


async def set_language(db: AsyncSession, user: User, language: Language | None) -> User:
    """Remember (or, with None, forget) the interface language a person chose."""
    user.language = language
    await db.commit()
    return user


async def update_user(
    db: AsyncSession,
    user: User,
    *,
    origin: Origin,
    display_name: str | None = None,
    role: Role | None = None,
    is_active: bool | None = None,
) -> User:
    """An administrator's edit: each real change audited; refused whole (409) before any is
    made if it would leave no active administrator."""
    if (role is not None and role != Role.ADMIN) or is_active is False:
        await _keep_an_admin(db, user)
    if display_name is not None and display_name.strip() != user.display_name:
        await set_display_name(db, user, display_name, origin=origin)
    if role is not None and role != user.role:
        await set_role(db, user, role, origin=origin)
    if is_active is not None and is_active != user.is_active:
        await set_active(db, user, is_active, origin=origin)
    return user


async def _keep_an_admin(db: AsyncSession, user: User) -> None:
    """409 when the change would leave no active administrator."""
    if user.role == Role.ADMIN and user.is_active and await active_admins(db) <= 1:
        raise AppError(
            409,
            ErrorCode.CONFLICT,
            N_("'%(name)s' is the last active administrator; make another one first."),
            values={"name": user.username},
        )


async def authenticate(
    db: AsyncSession, username: str, password: str, rounds: int
) -> tuple[User | None, str | None]:
    """(user, None) for a correct password of an active account, else (user or None, reason).

    Exactly one bcrypt check whatever the outcome, so the time says nothing.
    """
    user = await find_user(db, username) if username.strip() else None
    stored = user.password_hash if user is not None else None
    matches = await passwords.verify_password(password, stored, rounds)
    if user is None:
        return None, "unknown_user"
    if not matches:
        return user, "wrong_password"
    if not user.is_active:
        return user, "deactivated"
    return user, None


async def active_admins(db: AsyncSession) -> int:
    """How many active administrators exist."""
    query = select(func.count()).where(User.role == Role.ADMIN, User.is_active.is_(True))
    return int((await db.execute(query)).scalar_one())


async def ensure_initial_admin(
    db: AsyncSession, settings: Settings, policy: AuthSecurity
) -> User | None:
    """Create ADMIN_USERNAME from ADMIN_PASSWORD(_FILE) when no active admin exists.

    Never touches an existing account: a name already taken is reported, not overwritten.
    """
    password = settings.secret("admin_password")
    if not password or await active_admins(db):
        return None
    existing = await find_user(db, settings.admin_username)
    if existing is not None:
        log.warning(
            "ADMIN_PASSWORD is set but the account %r exists and is not an active admin; "
            "left unchanged (use: memoai users grant-admin / activate)",
            existing.username,
        )
        return None
    try:
        user = await create_user(
            db,
            settings.admin_username,
            password,
            policy=policy,
            rounds=settings.bcrypt_rounds,
            origin=Origin(user_agent="memoai-start"),
            role=Role.ADMIN,
        )
    except AppError as exc:
        if exc.code == ErrorCode.CONFLICT:  # another replica created it a moment ago
            return None
        log.error("the initial administrator was not created: %s", exc.message)
        return None
    log.warning("initial administrator %r created from ADMIN_PASSWORD", user.username)
    return user
