"""Child processes for the native topology suite: each in its own process group, its output in
a log file, stoppable and inspectable by a test; and small loopback helpers around them."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import httpx

START_TIMEOUT = 30.0
STOP_TIMEOUT = 40.0  # above uvicorn's 30 s graceful shutdown


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.2).close()
    except OSError:
        return False
    return True


def temp_prefix(name: str = "memoai-topology-") -> Path:
    """A private directory for one run; readable by nginx's workers (`nobody` under root)."""
    prefix = Path(tempfile.mkdtemp(prefix=name))
    os.chmod(prefix, 0o755)
    return prefix


def client_addresses(count: int) -> list[str]:
    """Distinct loopback source addresses (all of 127/8 is local on Linux), random per run.

    Each simulated user connects from its own address, as real users do: nginx's per-address
    limits and the app's per-address rate-limit keys (shared in Redis) then never meet those
    of another run or of another user.
    """
    base = f"127.{random.randrange(2, 255)}.{random.randrange(256)}"
    return [f"{base}.{i}" for i in range(1, count + 1)]


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout: float = START_TIMEOUT,
    service: Service | None = None,
    interval: float = 0.05,
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if service is not None and not service.running:
            raise RuntimeError(
                f"{service.name} exited ({service.returncode}) while waiting for "
                f"{what}:\n{service.tail()}"
            )
        if time.monotonic() > deadline:
            detail = f":\n{service.tail()}" if service is not None else ""
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Service:
    """One child process in its own process group; stdout and stderr go to `log`."""

    def __init__(
        self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, log: Path
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._handle: TextIO | None = None
        self.starts = 0

    def start(self) -> Service:
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self._close_log()
        self._handle = open(self.log, "a", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches every child
        )
        self.starts += 1
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def signal(self, signum: int) -> None:
        """Signal the whole process group, only while its leader is not reaped: until then
        its id cannot belong to anybody else's process."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL, no goodbye: a crash or an OOM kill."""
        self.signal(signal.SIGKILL)
        self.wait_exit(10)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM (graceful shutdown), SIGKILL if it does not end in time."""
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()
        return self.returncode

    def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def output(self, since: int = 0) -> str:
        """What it wrote (over all its starts), from byte `since` of the log."""
        try:
            with open(self.log, "rb") as handle:
                handle.seek(since)
                return handle.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except FileNotFoundError:
            return 0

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def json_lines(self, since: int = 0) -> list[dict[str, Any]]:
        """The JSON log lines it wrote (the app logs JSON; anything else is skipped)."""
        found = []
        for line in self.output(since).splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return found

    def _close_log(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def run(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 120) -> str:
    """A one-shot command (`memoai db upgrade`, `memoai backup ...`); its output, or a failure."""
    result = subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(argv[1:3])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def base_env(**values: str) -> dict[str, str]:
    """A clean environment: nothing of the caller's settings leaks into the services."""
    env = {
        name: os.environ[name]
        for name in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONPATH")
        if name in os.environ
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(values)
    return env
