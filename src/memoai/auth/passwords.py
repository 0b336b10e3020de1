"""bcrypt hashing off the event loop, and the password policy of auth.yaml.

bcrypt releases the GIL, so hashing in a small thread pool keeps the event loop answering
other requests while logins are checked. An unknown user is checked against a dummy hash of
the same cost, so a wrong name costs exactly as much as a wrong password.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import resources

import bcrypt

from memoai.configs.schemas import AuthSecurity
from memoai.translations import N_

BCRYPT_MAX_BYTES = 72
# Bounded, so a burst of logins cannot take every core from the event loop's thread.
_POOL = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="bcrypt")


class PasswordRejected(ValueError):
    """The policy's reason, worded for the person choosing the password: `message` is the
    catalog's English text, `values` fill its placeholders (str() is the English sentence)."""

    def __init__(self, message: str, values: dict[str, int] | None = None) -> None:
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values or {}


@cache
def common_passwords() -> frozenset[str]:
    """The ~20,000 most common passwords (Django's list, lower-cased)."""
    data = resources.files("memoai.auth").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def normalize(password: str) -> bytes:
    """NFC, so the same characters typed on two keyboards give the same bytes."""
    return unicodedata.normalize("NFC", password).encode("utf-8")


def check_policy(password: str, username: str, policy: AuthSecurity) -> None:
    """Raise PasswordRejected with the first rule the password breaks."""
    if len(password) < policy.password_min_length:
        raise PasswordRejected(
            N_("The password must have at least %(min_length)s characters."),
            {"min_length": policy.password_min_length},
        )
    if len(normalize(password)) > BCRYPT_MAX_BYTES:
        raise PasswordRejected(
            N_(
                "The password is longer than %(max_bytes)s bytes (UTF-8); "
                "bcrypt would ignore the rest. Choose a shorter one."
            ),
            {"max_bytes": BCRYPT_MAX_BYTES},
        )
    folded = password.casefold()
    if username and username.casefold() in folded:
        raise PasswordRejected(N_("The password must not contain the username."))
    if folded in common_passwords():
        raise PasswordRejected(N_("This password is one of the most common ones; choose another."))


def _hash(password: str, rounds: int) -> str:
    return bcrypt.hashpw(normalize(password), bcrypt.gensalt(rounds)).decode("ascii")


def _check(password: str, stored: str | None, rounds: int) -> bool:
    raw = normalize(password)
    if stored is None:
        bcrypt.checkpw(raw[:BCRYPT_MAX_BYTES], dummy_hash(rounds).encode("ascii"))
        return False
    if len(raw) > BCRYPT_MAX_BYTES:
        # Never stored (the policy refuses it); still one check so the time is the same.
        bcrypt.checkpw(raw[:BCRYPT_MAX_BYTES], stored.encode("ascii"))
        return False
    return bcrypt.checkpw(raw, stored.encode("ascii"))


@cache
def dummy_hash(rounds: int) -> str:
    """A hash no password matches in practice, at the configured cost, for unknown users."""
    return _hash(os.urandom(24).hex(), rounds)


async def hash_password(password: str, rounds: int) -> str:
    """The bcrypt hash at `rounds`, computed in the bcrypt pool."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, _hash, password, rounds)


async def verify_password(password: str, stored: str | None, rounds: int) -> bool:
    """One bcrypt check; against the dummy hash when there is no stored one."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, _check, password, stored, rounds)


def hash_rounds(stored: str) -> int:
    """The cost factor a stored hash was made with ($2b$12$… → 12)."""
    return int(stored.split("$")[2])
