"""Reading backups of the first encrypted format (`MEMOAIE1`), made before backups used age.

Layout: a header (magic, scrypt salt and parameters, nonce prefix, key check), then chunks of
at most 1 MiB, each sealed with AES-256-GCM under its own nonce (prefix, counter, last-chunk
flag) with the header as associated data. Nothing writes this format any more; it is kept so
that every backup made with it can still be verified and restored.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"MEMOAIE1"
SALT_BYTES = 16
PREFIX_BYTES = 7
CHECK_BYTES = 16
HEADER = struct.Struct(f">8s{SALT_BYTES}sBBB{PREFIX_BYTES}s{CHECK_BYTES}s")
LENGTH = struct.Struct(">I")


class LegacyFormatError(Exception):
    """The file is damaged or truncated; `wrong_key` when the passphrase differs instead."""

    def __init__(self, message: str, *, wrong_key: bool = False) -> None:
        super().__init__(message)
        self.wrong_key = wrong_key


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> tuple[bytes, bytes]:
    derived = Scrypt(salt=salt, length=64, n=2**log2_n, r=r, p=p).derive(passphrase.encode())
    check = hashlib.sha256(b"memoai-backup-key-check" + derived[32:]).digest()[:CHECK_BYTES]
    return derived[:32], check


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def decrypt_legacy(source: Path, plain: BinaryIO, passphrase: str) -> None:
    """Decrypt a `MEMOAIE1` file into `plain`, chunk by chunk."""
    with source.open("rb") as sealed:
        header = sealed.read(HEADER.size)
        if len(header) < HEADER.size or not header.startswith(MAGIC):
            raise LegacyFormatError(f"{source.name} is truncated (incomplete header)")
        _, salt, log2_n, r, p, prefix, check = HEADER.unpack(header)
        key, expected = _derive(passphrase, salt, log2_n, r, p)
        if not hmac.compare_digest(check, expected):
            raise LegacyFormatError(
                f"{source.name}: BACKUP_ENCRYPTION_KEY is not the key this backup was made with",
                wrong_key=True,
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
            raise LegacyFormatError(f"{name} is damaged or truncated (chunk {counter})") from None
        box, counter = following, counter + 1
    if counter == 0:
        raise LegacyFormatError(f"{name} is truncated (no data after the header)")


def _read_box(sealed: BinaryIO, name: str) -> bytes | None:
    raw = sealed.read(LENGTH.size)
    if not raw:
        return None
    if len(raw) < LENGTH.size:
        raise LegacyFormatError(f"{name} is truncated")
    (size,) = LENGTH.unpack(raw)
    box = sealed.read(size)
    if len(box) < size:
        raise LegacyFormatError(f"{name} is truncated")
    return box
