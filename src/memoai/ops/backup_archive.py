"""The backup file itself: names, the manifest, packing and unpacking, database snapshots.

One archive per backup: `memoai-YYYYMMDD-HHMMSS-ffffff-KIND.tar.gz[.age]`, holding the database
(an SQLite file or a pg_dump), the YAML configuration and `manifest.json` (when, what, the
migration revision, row counts and a sha256 of every member). Encrypted backups are age files
(`.age`); those made before age end in `.enc`. Backups are readable by their owner only (0600).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from memoai.ops.backup_crypto import decrypt_file, encrypt_file, is_encrypted, open_private

MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
CONFIG_FOLDER = "config"
FORMAT = 1
KINDS = ("daily", "weekly", "safety")
STAMP = "%Y%m%d-%H%M%S-%f"
NAME = re.compile(
    r"^memoai-(?P<stamp>\d{8}-\d{6}-\d{6})-(?P<kind>daily|weekly|safety)"
    r"\.tar\.gz(?P<enc>\.age|\.enc)?$"
)
SQLITE_BUSY_SECONDS = 30
KEEP_SAFETY = 3


class BackupError(Exception):
    """A backup cannot be made, read, verified or restored; the message says why."""


@dataclass(frozen=True)
class BackupInfo:
    """One backup file as the folder listing knows it (no need to open it)."""

    path: Path
    created_at: datetime
    kind: str
    encrypted: bool
    size_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "created_at": self.created_at.isoformat(),
            "kind": self.kind,
            "encrypted": self.encrypted,
            "size_bytes": self.size_bytes,
        }


def backup_name(created_at: datetime, kind: str, encrypted: bool) -> str:
    suffix = ".tar.gz.age" if encrypted else ".tar.gz"
    return f"memoai-{created_at.astimezone(UTC).strftime(STAMP)}-{kind}{suffix}"


def scan_backups(folder: Path) -> list[BackupInfo]:
    """The backups in `folder`, newest first (half-written temporary files are never listed)."""
    if not folder.is_dir():
        return []
    found: list[BackupInfo] = []
    for path in folder.iterdir():
        match = NAME.match(path.name)
        if match is None or not path.is_file():
            continue
        created = datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)
        found.append(
            BackupInfo(path, created, match["kind"], bool(match["enc"]), path.stat().st_size)
        )
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def backups_to_prune(
    backups: list[BackupInfo], keep_daily: int, keep_weekly: int, keep_safety: int = KEEP_SAFETY
) -> list[BackupInfo]:
    """Keep the newest backup of each of the last `keep_daily` days, the first of each of the
    last `keep_weekly` ISO weeks, the newest `keep_safety` safety copies; drop the rest."""
    regular = [b for b in backups if b.kind != "safety"]  # newest first
    keep = {b.path for b in [b for b in backups if b.kind == "safety"][:keep_safety]}
    if regular:
        keep.add(regular[0].path)
    days: dict[object, BackupInfo] = {}
    weeks: dict[object, BackupInfo] = {}
    for backup in regular:
        days.setdefault(backup.created_at.date(), backup)  # newest of the day
        weeks[backup.created_at.isocalendar()[:2]] = backup  # ends on the first of the week
    keep |= {b.path for b in list(days.values())[:keep_daily]}
    keep |= {b.path for b in list(weeks.values())[:keep_weekly]}
    return [b for b in backups if b.path not in keep]


def private_folder(folder: Path) -> Path:
    """The backup folder, created for its owner only (an existing one keeps its mode)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def sqlite_in_use(path: Path) -> str | None:
    """Whether another process has the SQLite file open: why (one sentence), or None.

    The app keeps its database in WAL mode, and SQLite changes the journal mode only for
    the one connection that has the file to itself. When it does, the switch is harmless:
    the file is about to be replaced, and the app switches back to WAL when it opens it.
    """
    if not path.is_file():
        return None
    conn = sqlite3.connect(path, timeout=0)
    try:
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        if str(mode).lower() == "wal":
            conn.execute("PRAGMA journal_mode=DELETE").fetchone()
        else:  # a rollback journal: in use while somebody holds a lock on it
            conn.execute("BEGIN EXCLUSIVE")
            conn.rollback()
    except sqlite3.OperationalError as exc:
        return f"another process has {path.name} open ({exc})"
    finally:
        conn.close()
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database through its online backup API.

    One backup step reads one snapshot; in WAL mode the app keeps writing meanwhile.
    """
    if not source.is_file():
        raise BackupError(f"there is no SQLite database at {source}")
    src = sqlite3.connect(source, timeout=SQLITE_BUSY_SECONDS)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def database_stats(conn: Connection) -> dict[str, Any]:
    """The migration revision and the row count of every table (run through run_sync too)."""
    names = sorted(inspect(conn).get_table_names())
    counts = {
        n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one()) for n in names
    }
    revision = None
    if "alembic_version" in names:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return {"revision": revision, "row_counts": counts}


def sqlite_file_stats(path: Path) -> dict[str, Any]:
    """database_stats of an SQLite file that no one else has open."""
    engine = create_sync_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return database_stats(conn)
    finally:
        engine.dispose()


def sqlite_integrity(path: Path) -> str:
    """SQLite's own full consistency check: 'ok' or the first problems it found."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return "; ".join(str(r[0]) for r in rows[:5])


def pack(work: Path, manifest: dict[str, Any], target: Path, passphrase: str | None) -> None:
    """Checksum every file under `work`, add the manifest, tar+gzip, encrypt, then publish.

    The archive appears under its final name only once complete (rename), so a crash never
    leaves a truncated backup that looks valid.
    """
    members = sorted(p for p in work.rglob("*") if p.is_file())
    manifest["members"] = {
        p.relative_to(work).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in members
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    staged = target.parent / f".tmp-{target.name}"
    plain = staged if passphrase is None else work.parent / f".plain-{target.name}"
    try:
        with (
            os.fdopen(open_private(plain), "wb") as raw,
            tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as archive,
        ):
            archive.add(work / MANIFEST, arcname=MANIFEST)
            for path in members:
                archive.add(path, arcname=path.relative_to(work).as_posix())
        if passphrase is not None:
            encrypt_file(plain, staged, passphrase)
        os.replace(staged, target)
    finally:
        for leftover in (staged, plain):
            leftover.unlink(missing_ok=True)


@contextmanager
def unpacked(path: Path, passphrase: str | None, scratch: Path) -> Iterator[Path]:
    """Decrypt and extract a backup into a temporary folder under `scratch`."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".tmp-open-") as tmp:
        folder = Path(tmp)
        archive = path
        if is_encrypted(path):
            if not passphrase:
                raise BackupError(f"{path.name} is encrypted: set BACKUP_ENCRYPTION_KEY to read it")
            archive = folder / "archive.tar.gz"
            decrypt_file(path, archive, passphrase)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(folder / "content", filter="data")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"{path.name} is not a readable backup archive: {exc}") from None
        yield folder / "content"


def read_manifest(content: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((content / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"the backup has no readable manifest: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def checksum_problems(content: Path, manifest: dict[str, Any]) -> list[str]:
    """Members whose bytes differ from what the manifest recorded (or that are missing)."""
    problems = []
    for name, expected in manifest.get("members", {}).items():
        member = content / name
        if not member.is_file():
            problems.append(f"{name} is missing from the archive")
        elif sha256_file(member) != expected["sha256"]:
            problems.append(f"{name} does not match its checksum")
    return problems


def count_problems(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    """Tables whose row count differs between the manifest and a restored copy."""
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if expected.get(name) != actual.get(name):
            problems.append(
                f"table {name}: {actual.get(name)} rows, the manifest says {expected.get(name)}"
            )
    return problems
