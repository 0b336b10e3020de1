"""The disaster-recovery drill script, run on a temporary SQLite installation."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from memoai.app import stop
from tests.ops.support import titles_of

from helpers import make_settings, open_client

ROOT = Path(__file__).resolve().parents[2]
DRILL = ROOT / "scripts" / "dr-drill.sh"
MEMO = "To: Sales\nSubject: Fair\n\nI request $8,000 to attend the trade fair on 3 June."


def drill(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(DRILL), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def test_the_drill_backs_up_destroys_restores_and_verifies(
    tmp_path: Path, config_dir: Path
) -> None:
    db_file = tmp_path / "data" / "memoai.db"
    url = f"sqlite:///{db_file}"
    settings = make_settings(url, tmp_path, config_dir)
    app, client = await open_client(settings)
    token = (await client.start_session())["token"]
    created = await client.post("/api/v1/evaluations", json={"text_content": MEMO, "title": "fair"})
    assert created.status_code == 201
    await client.aclose()
    await stop(app)

    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env = {
        **keep,
        "MEMOAI": str(Path(sys.executable).parent / "memoai"),
        "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / "data"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "CONFIG_DIR": str(config_dir),
        "LLM_PROVIDER": "offline",
        "LOG_LEVEL": "WARNING",
        "BACKUP_ENCRYPTION_KEY": "drill-passphrase",
    }
    refused = drill(tmp_path, env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert db_file.exists()

    result = drill(tmp_path, env, "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("backup", "verify", "destroy", "restore", "check"):
        assert re.search(rf"^  {step} +\d+\.\d{{3}} s$", result.stdout, re.MULTILINE), step
    assert "recovery time" in result.stdout and "DR drill passed" in result.stdout
    assert ".tar.gz.age" in result.stdout
    assert "drill-passphrase" not in result.stdout + result.stderr

    app, client = await open_client(settings)
    try:
        listing = await client.get("/api/v1/evaluations", headers={"x-session-token": token})
        assert [item["title"] for item in listing.json()["data"]["items"]] == ["fair"]
    finally:
        await client.aclose()
        await stop(app)


async def installation(
    tmp_path: Path, config_dir: Path, **overrides: str
) -> tuple[dict[str, str], str]:
    """A small SQLite installation with one evaluation titled 'fair': the environment the drill
    runs in, and the session token that owns the evaluation."""
    db_file = tmp_path / "data" / "memoai.db"
    settings = make_settings(f"sqlite:///{db_file}", tmp_path, config_dir)
    app, client = await open_client(settings)
    token = str((await client.start_session())["token"])
    created = await client.post("/api/v1/evaluations", json={"text_content": MEMO, "title": "fair"})
    assert created.status_code == 201
    await client.aclose()
    await stop(app)
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env = {
        **keep,
        "TMPDIR": str(tmp_path),
        "MEMOAI": str(Path(sys.executable).parent / "memoai"),
        "DATABASE_URL": f"sqlite:///{db_file}",
        "DATA_DIR": str(tmp_path / "data"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "CONFIG_DIR": str(config_dir),
        "LLM_PROVIDER": "offline",
        "LOG_LEVEL": "WARNING",
        "BACKUP_ENCRYPTION_KEY": "drill-passphrase",
        **overrides,
    }
    return env, token


def timings(output: str, *steps: str) -> dict[str, float]:
    found = {}
    for name in steps:
        match = re.search(rf"^  {name} +(\d+\.\d{{3}}) s$", output, re.MULTILINE)
        assert match, f"step {name} missing from:\n{output}"
        found[name] = float(match[1])
    return found


# Slow (about 15 s alone): Litestream's one-second steps need real seconds between the writes
# before and after the moment, and every step is a memoai process of its own.
@pytest.mark.slow
async def test_the_drill_restores_a_point_in_time(tmp_path: Path, config_dir: Path) -> None:
    from tests.ops.litestream_support import CONFIG

    env, token = await installation(
        tmp_path,
        config_dir,
        LITESTREAM_REPLICA_URL=f"file://{tmp_path}/replica",
        LITESTREAM_CONFIG=str(CONFIG),
        LITESTREAM_METRICS_ADDR="",
    )
    result = drill(tmp_path, env, "--yes", "--scenario", "point-in-time")
    assert result.returncode == 0, result.stdout + result.stderr
    timings(result.stdout, "replicate", "before", "moment", "after", "stop", "restore", "check")
    assert re.search(r"drill-before-\d+ present, drill-after-\d+ gone", result.stdout)
    assert "recovery time" in result.stdout and "DR drill passed" in result.stdout
    assert "safety copy of the replaced state: " in result.stdout
    users = subprocess.run(
        [env["MEMOAI"], "users", "list", "--json"], env=env, capture_output=True, text=True
    )
    names = [u["username"] for u in json.loads(users.stdout)]
    assert len(names) == 1 and names[0].startswith("drill-before-")
    assert await titles_of(make_settings(env["DATABASE_URL"], tmp_path, config_dir), token) == [
        "fair"
    ]


# Slow (about 12 s alone): an S3 server and five memoai processes, each importing the app.
@pytest.mark.slow
async def test_the_drill_survives_losing_the_whole_server(tmp_path: Path, config_dir: Path) -> None:
    from tests.ops.s3server import BUCKET, moto_s3

    with moto_s3() as s3:
        env, token = await installation(
            tmp_path,
            config_dir,
            BACKUP_S3_URL=f"s3://{BUCKET}/drill",
            BACKUP_S3_ENDPOINT_URL=s3.endpoint,
            BACKUP_S3_ACCESS_KEY_ID=s3.access_key_id,
            BACKUP_S3_SECRET_ACCESS_KEY=s3.secret_access_key,
        )
        result = drill(tmp_path, env, "--yes", "--scenario", "offsite")
    assert result.returncode == 0, result.stdout + result.stderr
    timings(result.stdout, "backup", "lose", "list", "verify", "restore", "check")
    assert re.search(r"-> memoai-\S+\.tar\.gz\.age: ok$", result.stdout, re.MULTILINE)
    assert "fetched memoai-" in result.stderr and ".tar.gz.age" in result.stdout
    assert re.search(r"recovery point: the off-site backup's age, \d+\.\d{3} s", result.stdout)
    assert s3.secret_access_key not in result.stdout + result.stderr
    # Everything local was gone; what is there now came back from the bucket.
    assert [p.name for p in (tmp_path / "backups").glob("memoai-*")] != []
    assert await titles_of(make_settings(env["DATABASE_URL"], tmp_path, config_dir), token) == [
        "fair"
    ]
