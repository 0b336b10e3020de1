"""With REDIS_URL, two API processes count the same failures: a lock made on one holds on both."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auth.support import OTHER_PASSWORD, PASSWORD, SECRET
from tests.conftest import CONFIG_DIR, REDIS_URL
from tests.deploy.nginx_layout import free_port
from tests.deploy.processes import Service, base_env, client_addresses, http_ok, run, wait_until

pytestmark = pytest.mark.redis
MEMOAI = str(Path(sys.executable).with_name("memoai"))


@pytest.fixture
def two_replicas(tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """Two API processes on one database and one Redis, and a user named afresh per run."""
    if not REDIS_URL:
        pytest.skip("MEMOAI_TEST_REDIS_URL is not set")
    env = base_env(
        APP_ENV="development",
        AUTH_ENABLED="true",
        JWT_SECRET_KEY=SECRET,
        BCRYPT_ROUNDS="4",
        DATABASE_URL=f"sqlite:///{tmp_path / 'shared.db'}",
        DATA_DIR=str(tmp_path),
        CONFIG_DIR=str(CONFIG_DIR),
        REDIS_URL=REDIS_URL,
        LLM_PROVIDER="offline",
        RUN_MIGRATIONS_ON_START="false",
        LOG_LEVEL="WARNING",
    )
    run([MEMOAI, "db", "upgrade"], env=env, cwd=tmp_path)
    secret = tmp_path / "password"
    secret.write_text(PASSWORD)
    user = f"sam-{uuid.uuid4().hex[:8]}"  # names and their counters in Redis are per run
    run([MEMOAI, "users", "create", user, "--password-file", str(secret)], env=env, cwd=tmp_path)
    services = []
    urls = []
    for index in range(2):
        port = free_port()
        argv = [MEMOAI, "api", "--host", "127.0.0.1", "--port", str(port)]
        log = tmp_path / f"api{index}.log"
        services.append(Service(f"api{index}", argv, env=env, cwd=tmp_path, log=log).start())
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for service, url in zip(services, urls, strict=True):
            wait_until(lambda url=url: http_ok(f"{url}/health"), f"{url}/health", service=service)
        yield urls, user
    finally:
        for service in services:
            service.stop()


def test_failures_on_two_processes_add_up_to_one_lock(
    two_replicas: tuple[list[str], str],
) -> None:
    # A fresh source address per run, so counters of earlier runs in Redis never meet these.
    transport = httpx.HTTPTransport(local_address=client_addresses(1)[0])
    (first, second), user = two_replicas
    name = f"nobody-{uuid.uuid4().hex[:8]}"  # unknown names lock the same way

    def attempt(url: str, username: str, password: str) -> int:
        with httpx.Client(transport=transport, timeout=10) as client:
            body = {"username": username, "password": password}
            return client.post(f"{url}/api/v1/auth/login", json=body).status_code

    statuses = [attempt(url, name, OTHER_PASSWORD) for url in (first, second, first, second)]
    assert statuses == [401, 401, 401, 401]
    assert attempt(first, name, OTHER_PASSWORD) == 423
    assert attempt(second, name, OTHER_PASSWORD) == 423

    for url in (first, second, first, second):
        assert attempt(url, user, OTHER_PASSWORD) == 401
    assert attempt(second, user.upper(), OTHER_PASSWORD) == 423
    assert attempt(first, user, PASSWORD) == 423  # locked even with the right password
    assert attempt(second, user, PASSWORD) == 423
