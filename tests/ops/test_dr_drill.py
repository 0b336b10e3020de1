"""The disaster-recovery drill script, run on a temporary SQLite installation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from memoai.app import stop

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
    assert ".tar.gz.enc" in result.stdout
    assert "drill-passphrase" not in result.stdout + result.stderr

    app, client = await open_client(settings)
    try:
        listing = await client.get("/api/v1/evaluations", headers={"x-session-token": token})
        assert [item["title"] for item in listing.json()["data"]["items"]] == ["fair"]
    finally:
        await client.aclose()
        await stop(app)
