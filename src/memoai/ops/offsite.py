"""Off-site copies of backups in S3-compatible storage (BACKUP_S3_URL, seed §12.1).

Only archives that are already sealed leave the server: with BACKUP_ENCRYPTION_KEY set they
are age files, so the storage never sees a byte of the database in the clear. Every upload is
an S3 multipart upload, even of a small archive: the object exists under its name only once
CompleteMultipartUpload succeeds, so a connection that drops mid-upload (retried by botocore,
part by part) never leaves a half object that could be listed as a backup; an upload that
fails for good is aborted. The object carries the archive's sha256, checked on download.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from memoai.ops.backup_archive import (
    NAME,
    STAMP,
    BackupError,
    BackupInfo,
    backups_to_prune,
    scan_backups,
    sha256_file,
)
from memoai.ops.backup_crypto import open_private
from memoai.settings import Settings

URL = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<prefix>.*)$")
_CODE_IN_TEXT = re.compile(r"An error occurred \((\w+)\)")
SHA_KEY = "sha256"
# Multipart always (threshold 1 byte): publication is atomic whatever the size.
TRANSFER = TransferConfig(multipart_threshold=1, multipart_chunksize=8 * 1024 * 1024)
RETRIES = {"max_attempts": 5, "mode": "standard"}
_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidToken",
    "ExpiredToken",
    "AuthorizationHeaderMalformed",
}


class OffsiteError(BackupError):
    """The off-site storage cannot be reached, refuses the credentials, or lacks a backup."""


@dataclass(frozen=True)
class RemoteBackup:
    """One backup object in the off-site storage."""

    key: str
    name: str
    created_at: datetime
    kind: str
    encrypted: bool
    size_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "key": self.key,
            "created_at": self.created_at.isoformat(),
            "kind": self.kind,
            "encrypted": self.encrypted,
            "size_bytes": self.size_bytes,
            "offsite": True,
        }


def configured(settings: Settings) -> bool:
    return bool(settings.backup_s3_url)


def s3_client(settings: Settings, endpoint: str | None) -> Any:
    """A boto3 S3 client with the BACKUP_S3_* region and credentials, retrying 5 times."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=settings.backup_s3_region,
        # Empty secret files (S3 unused, or an instance role) mean the credential chain.
        aws_access_key_id=settings.secret("backup_s3_access_key_id") or None,
        aws_secret_access_key=settings.secret("backup_s3_secret_access_key") or None,
        config=Config(retries=RETRIES, connect_timeout=10, read_timeout=60),
    )


def _error_code(exc: BaseException | None) -> str:
    """The S3 error code of a failure, also when s3transfer wrapped the ClientError."""
    while exc is not None:
        if isinstance(exc, ClientError):
            return str(exc.response.get("Error", {}).get("Code", ""))
        found = _CODE_IN_TEXT.search(str(exc))
        if found:
            return found[1]
        exc = exc.__cause__ or exc.__context__
    return ""


class OffsiteStore:
    """The bucket and prefix of BACKUP_S3_URL, through boto3."""

    def __init__(self, settings: Settings) -> None:
        match = URL.match(settings.backup_s3_url or "")
        if match is None:
            raise OffsiteError("BACKUP_S3_URL is not set (s3://bucket/prefix)")
        self.bucket = match["bucket"]
        prefix = match["prefix"].strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.url = f"s3://{self.bucket}/{self.prefix}"
        self.client = s3_client(settings, settings.backup_s3_endpoint_url)

    def _fail(self, action: str, exc: Exception) -> OffsiteError:
        """One clear sentence for what went wrong talking to the storage."""
        code = _error_code(exc)
        if code:
            if code in _CREDENTIAL_CODES:
                return OffsiteError(
                    f"the off-site storage {self.url} refused the credentials ({code}) while "
                    f"trying to {action}: check BACKUP_S3_ACCESS_KEY_ID and "
                    "BACKUP_S3_SECRET_ACCESS_KEY (or their _FILE secrets)"
                )
            if code == "NoSuchBucket":
                return OffsiteError(f"the bucket of BACKUP_S3_URL ({self.bucket}) does not exist")
            return OffsiteError(f"could not {action} at {self.url}: {code}: {exc}")
        if isinstance(exc, NoCredentialsError) or isinstance(exc.__cause__, NoCredentialsError):
            return OffsiteError(
                f"no credentials for the off-site storage {self.url}: set "
                "BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY (or their _FILE "
                "secrets), or give the server an instance role"
            )
        return OffsiteError(f"could not {action} at {self.url}: {exc}")

    def upload(self, path: Path) -> str:
        """Publish a backup archive under its own name; returns its key."""
        key = self.prefix + path.name
        try:
            self.client.upload_file(
                str(path),
                self.bucket,
                key,
                ExtraArgs={"Metadata": {SHA_KEY: sha256_file(path)}},
                Config=TRANSFER,
            )
        except Exception as exc:  # botocore's, or s3transfer's wrapping a failed part
            raise self._fail(f"upload {path.name}", exc) from None
        return key

    def backups(self) -> list[RemoteBackup]:
        """The backups under the prefix, newest first (other objects are ignored)."""
        found: list[RemoteBackup] = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(self.prefix) :]
                    match = NAME.match(name)
                    if match is None:
                        continue
                    created = datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)
                    found.append(
                        RemoteBackup(
                            item["Key"],
                            name,
                            created,
                            match["kind"],
                            bool(match["enc"]),
                            int(item["Size"]),
                        )
                    )
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("list the backups", exc) from None
        return sorted(found, key=lambda b: b.created_at, reverse=True)

    def download(self, name: str, folder: Path) -> Path:
        """Fetch a backup into `folder` (private, published by rename once its sha256 matches)."""
        if NAME.match(name) is None:
            raise OffsiteError(f"{name} is not the name of a memoai backup")
        key = self.prefix + name
        target = folder / name
        staged = folder / f".tmp-fetch-{name}"
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
            with open(open_private(staged), "wb") as out:
                self.client.download_fileobj(self.bucket, key, out)
        except ClientError as exc:
            staged.unlink(missing_ok=True)
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise OffsiteError(f"there is no backup {name} at {self.url}") from None
            raise self._fail(f"download {name}", exc) from None
        except (BotoCoreError, OSError) as exc:
            staged.unlink(missing_ok=True)
            raise self._fail(f"download {name}", exc) from None
        expected = head.get("Metadata", {}).get(SHA_KEY)
        if expected and sha256_file(staged) != expected:
            staged.unlink(missing_ok=True)
            raise OffsiteError(f"{name} arrived damaged (its sha256 differs from the upload's)")
        staged.replace(target)
        return target

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(f"delete {key}", exc) from None

    def prune(self, keep_daily: int, keep_weekly: int, *, dry_run: bool = False) -> list[str]:
        """Apply the retention of the local backups to the off-site ones; the names deleted."""
        remote = {b.name: b for b in self.backups()}
        as_local = [
            BackupInfo(Path(b.name), b.created_at, b.kind, b.encrypted, b.size_bytes)
            for b in remote.values()
        ]
        doomed = [b.path.name for b in backups_to_prune(as_local, keep_daily, keep_weekly)]
        if not dry_run:
            for name in doomed:
                self.delete(remote[name].key)
        return doomed


def missing_offsite(store: OffsiteStore, settings: Settings) -> list[Path]:
    """Local backups the retention keeps that are not off-site (an upload that failed)."""
    local = [b for b in scan_backups(settings.backup_dir) if b.kind != "safety"]
    doomed = {
        b.path
        for b in backups_to_prune(local, settings.backup_keep_daily, settings.backup_keep_weekly)
    }
    there = {b.name for b in store.backups()}
    return [b.path for b in local if b.path not in doomed and b.path.name not in there]


async def publish(settings: Settings, path: Path) -> str | None:
    """Upload a new backup off-site, and any kept local one an earlier upload failed to bring
    there, then apply the retention there (None: not configured)."""
    if not configured(settings):
        return None
    try:
        store = OffsiteStore(settings)
        key = await asyncio.to_thread(store.upload, path)
    except OffsiteError as exc:
        raise OffsiteError(f"{path.name} was made but is on this disk only: {exc}") from None
    try:
        for earlier in await asyncio.to_thread(missing_offsite, store, settings):
            await asyncio.to_thread(store.upload, earlier)
    except OffsiteError as exc:
        raise OffsiteError(f"{path.name} was uploaded; an earlier one was not: {exc}") from None
    try:
        await asyncio.to_thread(
            store.prune, settings.backup_keep_daily, settings.backup_keep_weekly
        )
    except OffsiteError as exc:
        raise OffsiteError(f"{path.name} was uploaded; pruning off-site failed: {exc}") from None
    return key
