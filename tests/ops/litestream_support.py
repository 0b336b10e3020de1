"""Running Litestream the way production does (`memoai backup replicate` with the repository's
deploy/litestream/litestream.yml) next to a test's SQLite database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from memoai.ops.litestream import restore_into
from memoai.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "litestream" / "litestream.yml"
MEMOAI = Path(sys.executable).parent / "memoai"


def replicate_env(settings: Settings) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        "DATABASE_URL": settings.db_url,
        "LITESTREAM_REPLICA_URL": settings.litestream_replica_url or "",
        "LITESTREAM_CONFIG": str(CONFIG),
        "LITESTREAM_METRICS_ADDR": "",
        "LLM_PROVIDER": "offline",
        "BACKUP_S3_ACCESS_KEY_ID": settings.secret("backup_s3_access_key_id") or "",
        "BACKUP_S3_SECRET_ACCESS_KEY": settings.secret("backup_s3_secret_access_key") or "",
    }


@contextmanager
def replicating(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`memoai backup replicate` running until the block ends (then stopped with SIGTERM)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(MEMOAI), "backup", "replicate"],
            env=replicate_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def count_rows(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def wait_replicated(settings: Settings, table: str, rows: int, scratch: Path) -> None:
    """Until the replica's newest state has `rows` rows in `table` (Litestream syncs every
    second; a restore of the newest state is how an operator would check it too)."""
    deadline = time.monotonic() + 30
    copy = scratch / "replica-check.db"
    while True:
        try:
            restore_into(settings, None, copy)
            if count_rows(copy, table) >= rows:
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica did not reach {rows} rows in {table}")
        time.sleep(0.3)
