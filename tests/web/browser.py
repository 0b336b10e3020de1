"""Real servers and a real Chromium for the browser suite (Debian's /usr/bin/chromium)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.web.samples import CONFIG_DIR

from helpers import stop_process

ROOT = CONFIG_DIR.parent
MEMOAI = str(Path(sys.executable).with_name("memoai"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# Recorded in the page before any of its scripts: every text the live progress region showed.
LIVE_RECORDER = """
window.__live = [];
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("live-status");
  const body = document.getElementById("live-body");
  if (!status || !body) return;
  const record = () => window.__live.push(status.textContent + "\\n" + body.textContent);
  const options = {childList: true, subtree: true, characterData: true};
  new MutationObserver(record).observe(status, options);
  new MutationObserver(record).observe(body, options);
});
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "CLAUDE_", "OPENAI_"))}
    env.update(
        CONFIG_DIR=str(CONFIG_DIR),
        DATA_DIR=str(data_dir),
        BACKUP_DIR=str(data_dir / "backups"),
        DATABASE_URL=f"sqlite:///{data_dir / 'memoai.db'}",
        LLM_PROVIDER="offline",
        LOG_LEVEL="WARNING",
        RATE_LIMIT_PER_MINUTE="10000",
        RATE_LIMIT_EVALUATIONS_PER_MINUTE="10000",
    )
    env.update(extra)
    return env


@contextmanager
def run_server(
    command: str, data_dir: Path, ready: str = "/health", **env: str
) -> Iterator[Server]:
    """`memoai <command>` on a free port until the block ends; stopped by its own pid."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data_dir / f"{command}-{port}.log"
    full_env = server_env(data_dir, **env)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [MEMOAI, command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=data_dir,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log, full_env)
    try:
        wait_ready(server, ready)
        yield server
    finally:
        stop_process(process)


@contextmanager
def login_server(
    data_dir: Path, password: str, users: dict[str, bool], **env: str
) -> Iterator[Server]:
    """`memoai serve` in login mode on a copy of the configuration (saved edits are written
    back to the files), with `users` (name: administrator or not) made by `memoai users create`
    as an operator does, all with `password`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config_dir = data_dir / "config"
    shutil.copytree(CONFIG_DIR, config_dir)
    login = {"AUTH_ENABLED": "true", "JWT_SECRET_KEY": "j" * 40, "BCRYPT_ROUNDS": "4"}
    with run_server("serve", data_dir, **login, CONFIG_DIR=str(config_dir), **env) as running:
        secret = data_dir / "password.txt"
        secret.write_text(password + "\n")
        for name, admin in users.items():
            command = [MEMOAI, "users", "create", name, "--password-file", str(secret)]
            command += ["--admin"] if admin else []
            subprocess.run(command, env=running.env, cwd=data_dir, check=True, capture_output=True)
        yield running


def wait_ready(server: Server, path: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited:\n{server.log.read_text()[-3000:]}")
        try:
            if httpx.get(server.url + path, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready:\n{server.log.read_text()[-3000:]}")


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # a sticky bar would otherwise sit mid-image
    # caret="initial": hiding the caret leaves style="" on every field, which htmx copies onto
    # the fields of a fragment it swaps in later (a style attribute the CSP refuses).
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now (WCAG 2.1 A/AA)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
