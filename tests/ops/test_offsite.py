"""Off-site copies in S3-compatible storage, against moto's server on loopback: encrypted
before they leave, retention applied there, read back after the server is lost, a dropped
connection retried without ever listing half a backup, and wrong credentials named clearly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from memoai.app import stop
from memoai.ops import backup
from memoai.ops.backup_archive import backup_name
from memoai.ops.backup_crypto import AGE_MAGIC
from memoai.ops.offsite import OffsiteError, OffsiteStore
from memoai.settings import Settings
from tests.ops.s3server import BUCKET, CuttingProxy, S3Server, moto_s3
from tests.ops.support import evaluate, titles_of

from helpers import make_settings, open_client

KEY = "offsite-test-passphrase"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return f"tests/{request.node.name}"


def offsite_settings(
    tmp_path: Path, config_dir: Path, s3: S3Server, prefix: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "backup_encryption_key": KEY,
        "backup_s3_url": f"s3://{BUCKET}/{prefix}",
        "backup_s3_endpoint_url": s3.endpoint,
        "backup_s3_access_key_id": s3.access_key_id,
        "backup_s3_secret_access_key": s3.secret_access_key,
        **overrides,
    }
    return make_settings(f"sqlite:///{tmp_path}/data/memoai.db", tmp_path, config_dir, **values)


async def written(settings: Settings, count: int) -> str:
    """A database with `count` evaluations; returns the session token that owns them."""
    (settings.data_dir / "data").mkdir(parents=True, exist_ok=True)
    app, client = await open_client(settings)
    try:
        token = str((await client.start_session())["token"])
        for n in range(count):
            await evaluate(client, n)
    finally:
        await client.aclose()
        await stop(app)
    return token


def objects(s3: S3Server, prefix: str) -> list[str]:
    listing = s3.client().list_objects_v2(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
    return [item["Key"] for item in listing.get("Contents", [])]


async def test_a_backup_leaves_encrypted_and_restores_after_the_server_is_lost(
    tmp_path: Path, config_dir: Path, s3: S3Server, prefix: str
) -> None:
    settings = offsite_settings(tmp_path, config_dir, s3, prefix)
    token = await written(settings, 2)
    made = await backup.create_backup(settings, "daily")

    assert objects(s3, prefix) == [f"{prefix}/{made.name}"]
    body = s3.client().get_object(Bucket=BUCKET, Key=f"{prefix}/{made.name}")["Body"].read()  # type: ignore[attr-defined]
    assert body.startswith(AGE_MAGIC) and b"SQLite format 3" not in body
    assert body == made.read_bytes()

    # The whole server is lost: database, backups, everything on its disk.
    shutil.rmtree(tmp_path / "data")
    shutil.rmtree(settings.backup_dir)
    store = OffsiteStore(settings)
    [remote] = store.backups()
    assert (remote.name, remote.kind, remote.encrypted) == (made.name, "daily", True)
    fetched = store.download(remote.name, backup.private_folder(settings.backup_dir))
    report = await backup.restore_backup(fetched, settings)
    assert report.safety_copy is None  # there was nothing left to keep
    assert await titles_of(settings, token) == ["memo 0", "memo 1"]


async def test_retention_applies_off_site_too(
    tmp_path: Path, config_dir: Path, s3: S3Server, prefix: str
) -> None:
    settings = offsite_settings(
        tmp_path, config_dir, s3, prefix, backup_keep_daily=2, backup_keep_weekly=0
    )
    await written(settings, 1)
    made = await backup.create_backup(settings, "daily")
    store = OffsiteStore(settings)
    old = [datetime.now(UTC) - timedelta(days=d) for d in (1, 2, 3)]
    for moment in old:  # older daily backups, as if uploaded on earlier days
        copy = tmp_path / backup_name(moment, "daily", True)
        shutil.copyfile(made, copy)
        store.upload(copy)
    assert len(store.backups()) == 4

    newest = await backup.create_backup(settings, "daily")  # uploads, then prunes off-site
    kept = [b.name for b in store.backups()]
    assert kept == [newest.name, backup_name(old[0], "daily", True)]


async def test_a_connection_dropped_mid_upload_is_retried(
    tmp_path: Path, config_dir: Path, s3: S3Server, prefix: str
) -> None:
    proxy = CuttingProxy(int(s3.endpoint.rsplit(":", 1)[1]))
    try:
        settings = offsite_settings(
            tmp_path,
            config_dir,
            s3,
            prefix,
            backup_s3_endpoint_url=f"http://127.0.0.1:{proxy.port}",
        )
        await written(settings, 3)
        proxy.cuts = 1
        made = await backup.create_backup(settings, "daily")
        assert made.stat().st_size > proxy.after  # so the cut fell inside the archive's bytes
        assert proxy.done_cuts == 1
        assert objects(s3, prefix) == [f"{prefix}/{made.name}"]
        fetched = OffsiteStore(settings).download(made.name, tmp_path)
        assert fetched.read_bytes() == made.read_bytes()
        assert (await backup.verify_backup(fetched, settings)).ok
    finally:
        proxy.close()


async def test_an_upload_that_keeps_failing_lists_no_half_backup(
    tmp_path: Path, config_dir: Path, s3: S3Server, prefix: str
) -> None:
    proxy = CuttingProxy(int(s3.endpoint.rsplit(":", 1)[1]))
    try:
        settings = offsite_settings(
            tmp_path,
            config_dir,
            s3,
            prefix,
            backup_s3_endpoint_url=f"http://127.0.0.1:{proxy.port}",
        )
        await written(settings, 3)
        proxy.cuts = 1000
        with pytest.raises(OffsiteError, match="was made but is on this disk only"):
            await backup.create_backup(settings, "daily")
        assert proxy.done_cuts >= 2  # retried before giving up
        proxy.cuts = proxy.done_cuts  # the connection is good again
        assert OffsiteStore(settings).backups() == []
        assert objects(s3, prefix) == []
        pending = s3.client().list_multipart_uploads(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
        assert pending.get("Uploads", []) == []  # aborted, not left half-way
        [local] = backup.list_backups(settings)  # nothing the user wrote is lost
        assert (await backup.verify_backup(local.path, settings)).ok
        # The next backup brings the one that stayed behind off-site too.
        later = await backup.create_backup(settings, "daily")
        names = sorted(b.name for b in OffsiteStore(settings).backups())
        assert names == sorted([local.path.name, later.name])
    finally:
        proxy.close()


async def test_wrong_credentials_are_named_clearly(
    tmp_path: Path, config_dir: Path, s3: S3Server, prefix: str
) -> None:
    wrong = "not-the-secret-key-0123456789"
    settings = offsite_settings(tmp_path, config_dir, s3, prefix, backup_s3_secret_access_key=wrong)
    await written(settings, 1)
    with pytest.raises(OffsiteError) as failure:
        await backup.create_backup(settings, "daily")
    message = str(failure.value)
    assert "refused the credentials (SignatureDoesNotMatch)" in message
    assert "BACKUP_S3_SECRET_ACCESS_KEY" in message and wrong not in message

    secret_file = tmp_path / "s3_secret"
    secret_file.write_text(wrong + "\n")
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "DATABASE_URL": settings.db_url,
        "BACKUP_DIR": str(settings.backup_dir),
        "BACKUP_S3_URL": f"s3://{BUCKET}/{prefix}",
        "BACKUP_S3_ENDPOINT_URL": s3.endpoint,
        "BACKUP_S3_ACCESS_KEY_ID": s3.access_key_id,
        "BACKUP_S3_SECRET_ACCESS_KEY_FILE": str(secret_file),
        "LLM_PROVIDER": "offline",
    }
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "memoai"), "backup", "list", "--offsite"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 1
    assert "refused the credentials (SignatureDoesNotMatch)" in listed.stderr
    assert wrong not in listed.stdout + listed.stderr


async def test_litestream_replicates_to_s3_only_into_an_encrypted_bucket(
    tmp_path: Path, config_dir: Path, s3: S3Server
) -> None:
    import time

    from memoai.ops.litestream import restore_into
    from tests.ops.litestream_support import count_rows, replicating

    bucket = "memoai-replica"
    client: Any = s3.client()
    client.create_bucket(Bucket=bucket)
    settings = offsite_settings(
        tmp_path,
        config_dir,
        s3,
        "unused",
        litestream_replica_url=f"s3://{bucket}/db?endpoint={s3.endpoint}&force-path-style=true",
    )
    await written(settings, 2)
    with replicating(settings, tmp_path / "refused.log") as refused:
        assert refused.wait(timeout=60) == 1
    said = (tmp_path / "refused.log").read_text()
    assert f"the bucket {bucket} has no default server-side encryption" in said
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0  # nothing was sent

    client.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    with replicating(settings, tmp_path / "litestream.log") as litestream:
        deadline = time.monotonic() + 30
        while client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0:
            assert litestream.poll() is None, (tmp_path / "litestream.log").read_text()
            assert time.monotonic() < deadline, "Litestream sent nothing to the bucket"
            time.sleep(0.3)
    restore_into(settings, None, tmp_path / "from-s3.db")  # the newest state, from the bucket
    assert count_rows(tmp_path / "from-s3.db", "evaluations") == 2
