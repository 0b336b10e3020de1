"""Encryption of backup archives with a passphrase (BACKUP_ENCRYPTION_KEY), in age's format.

A backup is an age file with a passphrase (scrypt) recipient, so the age tool alone opens it:
`age -d -o backup.tar.gz memoai-….tar.gz.age` asks for the passphrase. The archive is sealed
in memory (pyrage has no streaming passphrase mode): it takes about the compressed archive's
size twice. Backups of the format before age (`MEMOAIE1`, ops/backup_legacy.py) stay readable.
Every file written here is private to its owner (0600).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyrage

from memoai.ops.backup_legacy import MAGIC as LEGACY_MAGIC
from memoai.ops.backup_legacy import LegacyFormatError, decrypt_legacy

AGE_MAGIC = b"age-encryption.org/v1\n"
PRIVATE = 0o600
_WRONG_KEY = "Decryption failed"  # rage's answer when no recipient stanza opens with the key


class BackupCryptoError(Exception):
    """The archive cannot be decrypted: damaged, truncated, or not an encrypted backup."""


class WrongKeyError(BackupCryptoError):
    """The passphrase differs from the one the backup was made with."""


def open_private(path: Path) -> int:
    """A new file only its owner can read (0600 whatever the umask), opened for writing."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(len(AGE_MAGIC))


def is_encrypted(path: Path) -> bool:
    """Whether the file starts like an encrypted backup (name aside, the bytes decide)."""
    head = _head(path)
    return head.startswith(AGE_MAGIC) or head.startswith(LEGACY_MAGIC)


def encrypt_file(source: Path, target: Path, passphrase: str) -> None:
    """Seal `source` into `target` (an age file) with the passphrase."""
    sealed = pyrage.passphrase.encrypt(source.read_bytes(), passphrase)
    with os.fdopen(open_private(target), "wb") as out:
        out.write(sealed)


def decrypt_file(source: Path, target: Path, passphrase: str) -> None:
    """Decrypt `source` (age, or the format before it) into `target`; raises WrongKeyError
    or BackupCryptoError."""
    head = _head(source)
    with os.fdopen(open_private(target), "wb") as plain:
        if head.startswith(LEGACY_MAGIC):
            try:
                decrypt_legacy(source, plain, passphrase)
            except LegacyFormatError as exc:
                raise (WrongKeyError if exc.wrong_key else BackupCryptoError)(str(exc)) from None
            return
        if not head.startswith(AGE_MAGIC):
            raise BackupCryptoError(f"{source.name} is not an encrypted memoai backup")
        try:
            plain.write(pyrage.passphrase.decrypt(source.read_bytes(), passphrase))
        except pyrage.DecryptError as exc:
            if str(exc) == _WRONG_KEY:
                raise WrongKeyError(
                    f"{source.name}: BACKUP_ENCRYPTION_KEY is not the key this backup was made "
                    "with (or the file's header is damaged)"
                ) from None
            raise BackupCryptoError(f"{source.name} is damaged or truncated ({exc})") from None
