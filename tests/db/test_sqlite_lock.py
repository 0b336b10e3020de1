"""Another process holds SQLite's write lock for 1.5 s: the server keeps answering, and the
write that waits for the lock completes or answers 503 DATABASE_BUSY with Retry-After."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.browser import Server, run_server

pytestmark = [pytest.mark.slow, pytest.mark.serial]

HOLD_S = 1.5
# An operator's sqlite3 shell, a backup or a maintenance run: BEGIN IMMEDIATE takes the write
# lock, which it keeps until COMMIT.
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""
MEMO = (
    "To: Operations\nFrom: Lee\nSubject: Lock test\n\nWe request $5,000 to replace the two "
    "scanners at the front desk by 30 June; each jam costs ten minutes of a nurse's time."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server("serve", tmp_path_factory.mktemp("lock"), CSRF_PROTECTION="false") as running:
        yield running


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def test_health_answers_while_another_process_holds_the_write_lock(server: Server) -> None:
    database = Path(server.env["DATA_DIR"]) / "memoai.db"
    writer = httpx.Client(base_url=server.url, timeout=30)
    assert writer.post("/api/v1/sessions").status_code in (200, 201)
    answer: dict[str, object] = {}

    def submit() -> None:
        started = time.monotonic()
        response = writer.post("/api/v1/evaluations", json={"text_content": MEMO})
        answer.update(response=response, seconds=time.monotonic() - started)

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database), str(HOLD_S)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        locked_at = time.monotonic()
        waiting_write = threading.Thread(target=submit)
        waiting_write.start()
        probes: list[float] = []
        with httpx.Client(base_url=server.url, timeout=5) as prober:
            while time.monotonic() - locked_at < HOLD_S:
                started = time.perf_counter()
                assert prober.get("/health").status_code == 200
                probes.append(time.perf_counter() - started)
                time.sleep(0.01)
        waiting_write.join(timeout=30)
        assert holder.wait(timeout=10) == 0
    finally:
        holder.kill()
        writer.close()

    assert len(probes) >= 30
    assert p99(probes) < 0.050, f"/health p99 {p99(probes) * 1000:.0f} ms while the lock was held"
    response = answer["response"]
    assert isinstance(response, httpx.Response)
    if response.status_code == 503:
        assert response.json()["errors"][0]["code"] == "DATABASE_BUSY"
        assert int(response.headers["Retry-After"]) > 0
    else:
        assert response.status_code == 201, response.text
        assert response.json()["data"]["status"] == "completed"
        # It really waited for the other process's COMMIT (the write lock was in force).
        assert float(answer["seconds"]) >= HOLD_S - 0.5  # type: ignore[arg-type]
