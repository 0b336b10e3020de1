"""The native production topology (tests/deploy/test_topology.py), as one `Stack`.

Everything runs on loopback from one temporary prefix: nginx rendered from the production
template, two `memoai api` replicas, one `memoai web`, the fake Anthropic server, a scratch
PostgreSQL database and the local Redis, with the accounts of the simulated users (production
requires login; tests/deploy/accounts.py). Each child is a `processes.Service` in its own process
group with its output in a log file under the prefix, so a test can kill, restart and inspect
it, and the fixture's finalizer can always take the whole group down.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url

from memoai.ops import pgtools
from tests.deploy.accounts import Account, create_accounts
from tests.deploy.nginx_layout import Layout, free_port
from tests.deploy.processes import (
    START_TIMEOUT,
    Service,
    base_env,
    client_addresses,
    http_ok,
    port_open,
    run,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
MAKE_CERT = ROOT / "scripts" / "make-cert.sh"
CONFIG_DIR = ROOT / "config"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
MEMOAI = Path(sys.executable).with_name("memoai")
# A replica restarted while the load runs on two busy cores has taken 25 s to be ready.
REPLICA_START_TIMEOUT = 2 * START_TIMEOUT


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
    """Delete the rate-limit and login keys that mention one of `needles` (this run's
    addresses, user ids and usernames)."""
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
    """The app's per-minute limits (per user and per address) and nginx's coarse shield."""

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
        accounts: dict[str, int],
    ) -> None:
        self.prefix = prefix
        self.account_groups = accounts
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
        self.backup_key = secrets.token_hex(32)
        self.addresses: list[str] = []  # client addresses handed out (their Redis keys)
        self.users: dict[str, list[Account]] = {}

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
            BACKUP_ENCRYPTION_KEY=self.backup_key,  # production makes no unencrypted backup
            FORWARDED_ALLOW_IPS="127.0.0.1",
            RATE_LIMIT_EVALUATIONS_PER_MINUTE=str(self.limits.evaluations_per_minute),
            RATE_LIMIT_PER_MINUTE=str(self.limits.api_per_minute),
            BCRYPT_ROUNDS="4",  # the lowest cost: dozens of accounts and logins stay fast
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
        # Before the services start: made alongside, they slowed the replicas' start too much.
        self.users = create_accounts(self.memoai, self.prefix, self.account_groups)

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

    def wait_backend(self, index: int, timeout: float = REPLICA_START_TIMEOUT) -> None:
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
    def accounts(self, group: str) -> list[Account]:
        return self.users[group]

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
            accounts = [a for group in self.users.values() for a in group]
            needles = [a.user_id for a in accounts] + [a.username for a in accounts]
            delete_redis_keys(self.redis_url, [*self.addresses, *needles])
        if errors:
            raise RuntimeError("; ".join(errors))
