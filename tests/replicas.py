"""Two `memoai api` processes on one database, for the tests that prove replicas agree."""

from __future__ import annotations

import shutil
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx

from tests.deploy.processes import Service, base_env, http_ok, wait_until

MEMOAI = Path(sys.executable).with_name("memoai")
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "replica operator passphrase 1"  # without the username, as the policy asks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def api_replicas(db_url: str, tmp_path: Path, **env: str) -> Iterator[tuple[str, str]]:
    """Base URLs of two API processes sharing the database, signed in as `admin`/PASSWORD.

    Each has its own config folder and data directory, so one can learn of the other's
    changes only through the database.
    """
    services: list[Service] = []
    urls = []
    try:
        for name in ("a", "b"):
            config = tmp_path / f"config-{name}"
            shutil.copytree(ROOT / "config", config)
            (tmp_path / f"data-{name}").mkdir()
            port = free_port()
            environment = base_env(
                DATABASE_URL=db_url,
                CONFIG_DIR=str(config),
                DATA_DIR=str(tmp_path / f"data-{name}"),
                BACKUP_DIR=str(tmp_path / f"backups-{name}"),
                LLM_PROVIDER="offline",
                JWT_SECRET_KEY="replica-secret-" + "r" * 40,
                ADMIN_USERNAME="admin",
                ADMIN_PASSWORD=PASSWORD,
                BCRYPT_ROUNDS="4",
                RATE_LIMIT_ENABLED="false",
                LOG_LEVEL="WARNING",
                **env,
            )
            argv = [str(MEMOAI), "api", "--host", "127.0.0.1", "--port", str(port)]
            log = tmp_path / f"{name}.log"
            service = Service(name, argv, env=environment, cwd=tmp_path, log=log)
            services.append(service.start())
            url = f"http://127.0.0.1:{port}"
            wait_until(partial(http_ok, url + "/health"), f"replica {name}", 60, service)
            urls.append(url)
        yield urls[0], urls[1]
    finally:
        for service in services:
            service.stop()


def sign_in_as_admin(client: httpx.Client) -> None:
    """Sign the client in as the replicas' admin; later requests carry the Bearer token."""
    login = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.cookies.clear()
    client.headers["Authorization"] = "Bearer " + login.json()["data"]["access_token"]
