"""The commands of the Kubernetes manifests, run for real on this machine with each
container's environment: the schema wait holds the server until the migration Job has run (on
the single overlay's SQLite file, and on a real PostgreSQL database as the scaled overlay
runs it), the CronJobs back up and maintain, and the Litestream sidecar replicates. Slow
(about 5-25 s each here): every step is a real `memoai` process, 1-3 s to start on a busy
2-core machine, which is the point: these are the commands the pods run, not a model of them."""

from __future__ import annotations

import asyncio
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from memoai.ops import pgtools
from tests.deploy.kubernetes_manifests import (
    container_environment,
    find,
    kubectl_or_skip,
    production_settings,
    render,
)

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def single() -> list[dict[str, Any]]:
    return render(kubectl_or_skip(), "single")


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """An empty PostgreSQL database (the scaled overlay's), dropped afterwards."""
    server = os.environ.get("MEMOAI_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("MEMOAI_TEST_POSTGRES_URL is not set")
    url = asyncio.run(pgtools.create_database(server, "memoai_k8s"))
    try:
        yield url
    finally:
        asyncio.run(pgtools.drop_database(server, url))


def as_container(env: dict[str, str], root: Path) -> dict[str, Any]:
    """Popen/run arguments that run a container's command here, its environment mapped."""
    full = {"PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(root), **env}
    return {"env": full, "cwd": root, "text": True}


def pod_commands(
    objects: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    database_url: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The backend's schema wait, the migration Job's container, and their environment."""
    backend = find(objects, "Deployment", "memoai-backend")["spec"]["template"]["spec"]
    wait = backend["initContainers"][0]
    assert wait["name"] == "wait-for-schema"
    job = find(objects, "Job", "memoai-migrate")["spec"]["template"]["spec"]["containers"][0]
    assert container_environment(objects, job) == container_environment(objects, wait)
    env = container_environment(objects, wait)
    return wait, job, production_settings(env, root, monkeypatch, database_url)


def first_line(process: subprocess.Popen[str], seconds: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    return process.stdout.readline() if ready else ""


def hold_then_release(wait: dict[str, Any], job: dict[str, Any], args: dict[str, Any]) -> None:
    """The schema wait holds while the schema is behind, and lets the server start by itself
    once the migration Job's command has run: the order of an install or an upgrade."""
    with subprocess.Popen(wait["command"], stdout=subprocess.PIPE, **args) as waiter:
        try:
            assert "waiting for the schema" in first_line(waiter, 60)
            assert waiter.poll() is None, "the server would have started on an empty database"
            migrated = subprocess.run(job["command"], capture_output=True, timeout=120, **args)
            assert migrated.returncode == 0, migrated.stderr
            assert waiter.wait(timeout=60) == 0
        finally:
            waiter.kill()


def test_pods_wait_for_the_migration_job_on_sqlite(
    single: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wait, job, env = pod_commands(single, monkeypatch, tmp_path)
    hold_then_release(wait, job, as_container(env, tmp_path))


@pytest.mark.postgres
def test_pods_wait_for_the_migration_job_on_postgresql(
    fresh_postgres: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The scaled overlay's pods, with database_url in the Secret naming a real server."""
    scaled = render(kubectl_or_skip(), "scaled")
    wait, job, env = pod_commands(scaled, monkeypatch, tmp_path, fresh_postgres)
    assert env["DATABASE_URL_FILE"].endswith("database_url")
    hold_then_release(wait, job, as_container(env, tmp_path))


def test_cronjobs_back_up_and_maintain(
    single: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, job, env = pod_commands(single, monkeypatch, tmp_path)
    args = as_container(env, tmp_path)
    assert subprocess.run(job["command"], capture_output=True, timeout=120, **args).returncode == 0
    for name in ("memoai-backup", "memoai-maintenance"):
        cron = find(single, "CronJob", name)["spec"]["jobTemplate"]["spec"]
        (container,) = cron["template"]["spec"]["containers"]
        # the same settings as the Job whose environment this test maps
        assert container_environment(single, container).keys() == env.keys(), name
        done = subprocess.run(container["command"], capture_output=True, timeout=120, **args)
        assert done.returncode == 0, f"{name}: {done.stdout}\n{done.stderr}"
    backups = list((tmp_path / "backups").glob("memoai-*"))
    assert backups, "the backup CronJob wrote no backup"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_litestream_sidecar_replicates_the_migrated_database(
    single: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The sidecar's command, environment and ConfigMap copy of litestream.yml, run for real:
    it answers its startup probe and writes the replica into the backups volume."""
    objects = single
    _, job, _ = pod_commands(objects, monkeypatch, tmp_path)
    spec = find(objects, "Deployment", "memoai-backend")["spec"]["template"]["spec"]
    sidecar = spec["initContainers"][1]
    env = production_settings(container_environment(objects, sidecar), tmp_path, monkeypatch)
    port = free_port()
    env["LITESTREAM_METRICS_ADDR"] = f"127.0.0.1:{port}"  # ":9090" in the pod
    args = as_container(env, tmp_path)
    assert subprocess.run(job["command"], capture_output=True, timeout=120, **args).returncode == 0
    probe = sidecar["startupProbe"]["httpGet"]["path"]
    replica = tmp_path / "backups" / "litestream"
    with subprocess.Popen(sidecar["command"], stderr=subprocess.PIPE, **args) as litestream:
        try:
            deadline = time.monotonic() + 60
            while True:
                assert litestream.poll() is None, litestream.communicate()[1]
                try:
                    answered = httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=2)
                    if answered.status_code == 200 and any(replica.rglob("*")):
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "no probe answer or no replica within 60 s"
                time.sleep(0.5)
        finally:
            litestream.terminate()
            litestream.wait(timeout=30)
