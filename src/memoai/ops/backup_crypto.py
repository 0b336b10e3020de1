"""Streaming AES-256-GCM encryption of backup archives with a passphrase (BACKUP_ENCRYPTION_KEY).

Layout: a header (magic, scrypt salt and parameters, nonce prefix, key check), then chunks of
at most 1 MiB, each sealed with its own nonce (prefix, counter, last-chunk flag) and the header as
associated data, so truncating, reordering or editing any byte is detected. Memory stays flat
whatever the size of the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"MEMOAIE1"
CHUNK_BYTES = 1024 * 1024
SALT_BYTES = 16
PREFIX_BYTES = 7
CHECK_BYTES = 16
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
HEADER = struct.Struct(f">8s{SALT_BYTES}sBBB{PREFIX_BYTES}s{CHECK_BYTES}s")
LENGTH = struct.Struct(">I")


class BackupCryptoError(Exception):
    """The archive cannot be decrypted: damaged, truncated, or not an encrypted backup."""


class WrongKeyError(BackupCryptoError):
    """The passphrase differs from the one the backup was made with."""


def is_encrypted(path: Path) -> bool:
    """Whether the file starts like an encrypted backup (name aside, the bytes decide)."""
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> tuple[bytes, bytes]:
    """A slow key derivation, so a stolen archive resists guessing; returns (key, check)."""
    derived = Scrypt(salt=salt, length=64, n=2**log2_n, r=r, p=p).derive(passphrase.encode())
    check = hashlib.sha256(b"memoai-backup-key-check" + derived[32:]).digest()[:CHECK_BYTES]
    return derived[:32], check


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def encrypt_file(source: Path, target: Path, passphrase: str) -> None:
    """Encrypt `source` into `target` chunk by chunk."""
    salt, prefix = os.urandom(SALT_BYTES), os.urandom(PREFIX_BYTES)
    key, check = _derive(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
    header = HEADER.pack(MAGIC, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, prefix, check)
    aead = AESGCM(key)
    with source.open("rb") as plain, target.open("wb") as sealed:
        sealed.write(header)
        counter = 0
        chunk = plain.read(CHUNK_BYTES)
        while True:
            following = plain.read(CHUNK_BYTES)
            last = not following
            box = aead.encrypt(_nonce(prefix, counter, last), chunk, header)
            sealed.write(LENGTH.pack(len(box)) + box)
            if last:
                return
            chunk, counter = following, counter + 1


def decrypt_file(source: Path, target: Path, passphrase: str) -> None:
    """Decrypt `source` into `target`; raises WrongKeyError or BackupCryptoError."""
    with source.open("rb") as sealed, target.open("wb") as plain:
        header = sealed.read(HEADER.size)
        if len(header) < HEADER.size or not header.startswith(MAGIC):
            raise BackupCryptoError(f"{source.name} is not an encrypted memoai backup")
        _, salt, log2_n, r, p, prefix, check = HEADER.unpack(header)
        key, expected = _derive(passphrase, salt, log2_n, r, p)
        if not hmac.compare_digest(check, expected):
            raise WrongKeyError(
                f"{source.name}: BACKUP_ENCRYPTION_KEY is not the key this backup was made with"
            )
        _decrypt_chunks(sealed, plain, AESGCM(key), prefix, header, source.name)


def _decrypt_chunks(
    sealed: BinaryIO, plain: BinaryIO, aead: AESGCM, prefix: bytes, header: bytes, name: str
) -> None:
    counter = 0
    box = _read_box(sealed, name)
    while box is not None:
        following = _read_box(sealed, name)
        try:
            plain.write(aead.decrypt(_nonce(prefix, counter, following is None), box, header))
        except InvalidTag:
            raise BackupCryptoError(f"{name} is damaged or truncated (chunk {counter})") from None
        box, counter = following, counter + 1
    if counter == 0:
        raise BackupCryptoError(f"{name} is truncated (no data after the header)")


def _read_box(sealed: BinaryIO, name: str) -> bytes | None:
    raw = sealed.read(LENGTH.size)
    if not raw:
        return None
    if len(raw) < LENGTH.size:
        raise BackupCryptoError(f"{name} is truncated")
    (size,) = LENGTH.unpack(raw)
    box = sealed.read(size)
    if len(box) < size:
        raise BackupCryptoError(f"{name} is truncated")
    return box
