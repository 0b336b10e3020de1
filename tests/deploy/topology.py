"""Process management for the native production topology (tests/deploy/test_topology.py).

Everything runs on loopback from one temporary prefix: nginx rendered from the production
template, two `memoai api` replicas, one `memoai web`, the fake Anthropic server, a scratch
PostgreSQL database and the local Redis. Each child runs in its own process group with its
output in a log file under the prefix, so a test can kill, restart and inspect it, and the
fixture's finalizer can always take the whole group down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
from sqlalchemy import make_url

from memoai.ops import pgtools
from tests.deploy.nginx_layout import Layout, free_port

ROOT = Path(__file__).resolve().parents[2]
MAKE_CERT = ROOT / "scripts" / "make-cert.sh"
CONFIG_DIR = ROOT / "config"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
MEMOAI = Path(sys.executable).with_name("memoai")
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
        for name in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
        if name in os.environ
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(values)
    return env


# --- PostgreSQL and Redis --------------------------------------------------------------------


def table_names(url: str) -> list[str]:
    async def names() -> list[str]:
        from sqlalchemy import text

        from memoai.db import create_engine

        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
                return sorted(str(row[0]) for row in rows)
        finally:
            await engine.dispose()

    return asyncio.run(names())


def postgres_problem(url: str) -> str | None:
    try:
        asyncio.run(pgtools.admin_execute(url, "SELECT 1"))
    except Exception as exc:
        return f"PostgreSQL at MEMOAI_TEST_POSTGRES_URL is unreachable: {type(exc).__name__}"
    return None


def redis_problem(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis at MEMOAI_TEST_REDIS_URL is unreachable: {type(exc).__name__}"
    return None


def delete_redis_keys(url: str, needles: Iterable[str]) -> int:
    """Delete the rate-limit keys that mention one of `needles` (this run's addresses)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    deleted = 0
    try:
        for needle in needles:
            keys = list(client.scan_iter(match=f"*{needle}*", count=500))
            if keys:
                deleted += int(client.delete(*keys))
    finally:
        client.close()
    return deleted


# --- nginx -------------------------------------------------------------------------------------


class NginxLayout(Layout):
    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "access.log"

    def make_cert(self) -> None:
        subprocess.run(
            ["sh", str(MAKE_CERT), "--dir", str(self.prefix / "ssl"), "--days", "2"],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def render(  # type: ignore[override]
        self, backends: list[int], frontends: list[int], *extra: str
    ) -> str:
        """scripts/render-nginx.sh for loopback: pid, logs and temp files inside the prefix."""
        for folder in ("www/static", "acme/.well-known/acme-challenge"):
            (self.prefix / folder).mkdir(parents=True, exist_ok=True)
            os.chmod(self.prefix / folder.split("/")[0], 0o755)
        return super().render(
            " ".join(f"127.0.0.1:{port}" for port in backends),
            " ".join(f"127.0.0.1:{port}" for port in frontends),
            *extra,
        )

    def service(self, log: Path) -> Service:
        assert NGINX is not None
        return Service(
            "nginx",
            [NGINX, "-p", str(self.prefix), "-c", str(self.conf), "-g", "daemon off;"],
            env=base_env(),
            cwd=self.prefix,
            log=log,
        )

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def access_lines(self) -> list[dict[str, Any]]:
        try:
            text = self.access_log.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def upstreams_of(self, request_ids: Iterable[str], timeout: float = 5.0) -> dict[str, str]:
        """request id -> the upstream address(es) nginx logged for it ("a, b" after a retry)."""
        wanted = set(request_ids)
        found: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        while True:  # nginx writes the line as it finalizes the request, just after answering
            found = {
                line["request_id"]: line["upstream"]
                for line in self.access_lines()
                if line.get("request_id") in wanted
            }
            if len(found) == len(wanted) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def new_request_id(tag: str) -> str:
    return f"{tag}-{secrets.token_hex(6)}"


# --- the whole topology ------------------------------------------------------------------------


@dataclass
class Limits:
    """The app's per-minute limits (per session and per address) and nginx's coarse shield."""

    evaluations_per_minute: int
    api_per_minute: int
    nginx_rate: str = "500r/s"
    nginx_burst: int = 1000


class Stack:
    """nginx -> 2 x `memoai api` (+ `memoai web`) -> PostgreSQL, Redis and the fake provider."""

    def __init__(
        self,
        prefix: Path,
        *,
        admin_postgres_url: str,
        redis_url: str,
        limits: Limits,
        provider_delay: float,
        fail_timeout: str,
    ) -> None:
        self.prefix = prefix
        self.admin_postgres_url = admin_postgres_url
        self.redis_url = redis_url
        self.limits = limits
        self.provider_delay = provider_delay
        self.fail_timeout = fail_timeout
        self.nginx_layout = NginxLayout(prefix / "nginx")
        self.backend_ports = [free_port(), free_port()]
        self.frontend_port = free_port()
        self.fake_port = free_port()
        self.database_url = ""
        self.services: dict[str, Service] = {}
        self.jwt_secret = secrets.token_hex(32)
        self.addresses: list[str] = []  # client addresses handed out (their Redis keys)

    # -- configuration
    def app_env(self) -> dict[str, str]:
        """What every memoai process gets: production, with what production insists on."""
        return base_env(
            APP_ENV="production",
            JWT_SECRET_KEY=self.jwt_secret,
            DEBUG_MODE="false",
            HTTPS_ONLY="true",
            SECURE_COOKIES="true",
            LOG_LEVEL="INFO",  # the access line of every request, with its request id
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            RUN_MIGRATIONS_ON_START="false",
            LLM_PROVIDER="claude",
            CLAUDE_API_KEY="test",
            LLM_BASE_URL=f"http://127.0.0.1:{self.fake_port}",
            CONFIG_DIR=str(self.prefix / "config"),
            DATA_DIR=str(self.prefix / "data"),
            BACKUP_DIR=str(self.prefix / "backups"),
            FORWARDED_ALLOW_IPS="127.0.0.1",
            RATE_LIMIT_EVALUATIONS_PER_MINUTE=str(self.limits.evaluations_per_minute),
            RATE_LIMIT_PER_MINUTE=str(self.limits.api_per_minute),
            BACKEND_URL=f"http://127.0.0.1:{self.nginx_layout.internal}",
        )

    def memoai(self, *args: str, timeout: float = 120) -> str:
        """Run an operator command with the replicas' environment."""
        return run([str(MEMOAI), *args], env=self.app_env(), cwd=self.prefix, timeout=timeout)

    # -- bring up
    def start(self) -> None:
        shutil.copytree(CONFIG_DIR, self.prefix / "config")
        for folder in ("data", "backups", "logs"):
            (self.prefix / folder).mkdir()
        self.database_url = asyncio.run(
            pgtools.create_database(self.admin_postgres_url, "memoai_topology")
        )
        self.memoai("db", "upgrade")

        fake = self._add(
            "fake-anthropic",
            [
                sys.executable,
                "-m",
                "tests.fakes.anthropic_server",
                "--port",
                str(self.fake_port),
                "--delay",
                str(self.provider_delay),
            ],
            env=base_env(PYTHONPATH=str(ROOT)),
            cwd=ROOT,
        ).start()
        for index in range(len(self.backend_ports)):
            self.backend(index).start()
        self._add(
            "frontend",
            [str(MEMOAI), "web", "--host", "127.0.0.1", "--port", str(self.frontend_port)],
        ).start()

        layout = self.nginx_layout
        layout.prefix.mkdir()
        os.chmod(layout.prefix, 0o755)
        layout.make_cert()
        layout.render(
            self.backend_ports,
            [self.frontend_port],
            "--fail-timeout",
            self.fail_timeout,
            "--rate-api",
            self.limits.nginx_rate,
            "--burst-api",
            str(self.limits.nginx_burst),
            "--rate-general",
            self.limits.nginx_rate,
            "--burst-general",
            str(self.limits.nginx_burst),
        )
        nginx = layout.service(self.prefix / "logs" / "nginx.log")
        self.services["nginx"] = nginx
        nginx.start()

        wait_until(lambda: port_open(self.fake_port), "the fake provider", service=fake)
        for index in range(len(self.backend_ports)):
            self.wait_backend(index)
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{self.frontend_port}/health"),
            "the frontend",
            service=self.services["frontend"],
        )
        wait_until(
            lambda: (
                http_ok(f"http://127.0.0.1:{layout.internal}/nginx-health")
                and port_open(layout.https)
            ),
            "nginx",
            service=nginx,
        )

    def _add(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Service:
        service = Service(
            name,
            argv,
            env=env if env is not None else self.app_env(),
            cwd=cwd or self.prefix,
            log=self.prefix / "logs" / f"{name}.log",
        )
        self.services[name] = service
        return service

    # -- the replicas
    def backend(self, index: int) -> Service:
        name = f"backend-{index + 1}"
        if name not in self.services:
            port = self.backend_ports[index]
            self._add(name, [str(MEMOAI), "api", "--host", "127.0.0.1", "--port", str(port)])
        return self.services[name]

    def backend_address(self, index: int) -> str:
        return f"127.0.0.1:{self.backend_ports[index]}"

    def wait_backend(self, index: int, timeout: float = START_TIMEOUT) -> None:
        url = f"http://127.0.0.1:{self.backend_ports[index]}/health/ready"
        wait_until(
            lambda: http_ok(url),
            f"backend {index + 1} to be ready",
            timeout=timeout,
            service=self.backend(index),
        )

    def destroy_database(self) -> None:
        """The disaster: the database is gone (dropped), an empty one stands in its place."""
        name = make_url(self.database_url).database
        asyncio.run(pgtools.drop_database(self.admin_postgres_url, self.database_url))
        asyncio.run(pgtools.admin_execute(self.admin_postgres_url, f'CREATE DATABASE "{name}"'))

    def start_backends(self) -> None:
        """Start every replica that is not running (in parallel), and wait until all are ready."""
        for index in range(len(self.backend_ports)):
            if not self.backend(index).running:
                self.backend(index).start()
        for index in range(len(self.backend_ports)):
            self.wait_backend(index)

    def restart_backend(self, index: int) -> None:
        self.backend(index).start()
        self.wait_backend(index)

    # -- clients
    def new_addresses(self, count: int) -> list[str]:
        """Fresh loopback source addresses for simulated users, remembered for clean-up."""
        fresh = client_addresses(count)
        self.addresses.extend(fresh)
        return fresh

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.nginx_layout.https}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_layout.http}"

    def client(self, address: str | None = None, timeout: float = 30) -> httpx.Client:
        transport = httpx.HTTPTransport(
            verify=self.nginx_layout.ssl_context(), local_address=address
        )
        return httpx.Client(base_url=self.https_url, transport=transport, timeout=timeout)

    def async_client(
        self, address: str | None = None, *, context: ssl.SSLContext | None = None
    ) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(
            verify=context or self.nginx_layout.ssl_context(), local_address=address
        )
        return httpx.AsyncClient(base_url=self.https_url, transport=transport, timeout=60)

    # -- tear down
    def close(self) -> None:
        """Stop everything (nginx first, then the app, then the fake) and drop the database."""
        order = ["nginx", "frontend"] + [n for n in self.services if n.startswith("backend")]
        order += [n for n in self.services if n not in order]
        errors: list[str] = []
        for name in order:
            try:
                self.services[name].stop()
            except Exception as exc:  # keep going: every process must go
                errors.append(f"{name}: {exc}")
        try:
            if self.database_url:
                asyncio.run(pgtools.drop_database(self.admin_postgres_url, self.database_url))
        finally:
            delete_redis_keys(self.redis_url, self.addresses)
        if errors:
            raise RuntimeError("; ".join(errors))
