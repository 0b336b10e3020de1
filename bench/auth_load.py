"""Login benchmark: one `memoai serve` in login mode on SQLite with BCRYPT_ROUNDS=12.

Prints login latency one at a time and with 20 signing in at once, and /health p99 while the
20 concurrent logins run (bcrypt runs off the event loop; goal < 50 ms).

    .venv/bin/python bench/auth_load.py [--rounds 12] [--waves 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.accounts import PASSWORD, login_env, seed_users  # noqa: E402
from bench.evaluations_load import free_port, health_probe, pct, wait_ready  # noqa: E402
from bench.lean_http import LeanClient  # noqa: E402

CONCURRENT = 20


async def login(port: int, name: str, latencies: list[float]) -> None:
    client = LeanClient("127.0.0.1", port)
    try:
        started = time.perf_counter()
        status, body = await client.request(
            "POST", "/api/v1/auth/login", {"username": name, "password": PASSWORD}
        )
        latencies.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"login failed: {status} {body}")
    finally:
        await client.close()


async def sequential(port: int, names: list[str], rounds: int) -> list[float]:
    latencies: list[float] = []
    for i in range(rounds):
        await login(port, names[i % len(names)], latencies)
    return latencies


async def concurrent(port: int, names: list[str], waves: int) -> tuple[list[float], list[float]]:
    latencies: list[float] = []
    health: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(health_probe(port, stop, health))
    for _ in range(waves):
        await asyncio.gather(*(login(port, name, latencies) for name in names[:CONCURRENT]))
    stop.set()
    await probe
    return latencies, health


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12, help="BCRYPT_ROUNDS")
    parser.add_argument("--waves", type=int, default=5, help="waves of 20 concurrent logins")
    parser.add_argument("--sequential", type=int, default=40, help="logins one at a time")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="memoai-bench-auth-"))
    database_url = f"sqlite:///{work / 'bench.db'}"
    started = time.perf_counter()
    names = seed_users(database_url, CONCURRENT, args.rounds)
    seeded = time.perf_counter() - started
    print(f"{len(names)} users at bcrypt cost {args.rounds} in {seeded:.1f} s")
    port = free_port()
    env = {
        **os.environ,
        **login_env(args.rounds),
        "DATABASE_URL": database_url,
        "DATA_DIR": str(work),
        "CONFIG_DIR": str(ROOT / "config"),
        "LLM_PROVIDER": "offline",
        "LOG_LEVEL": "WARNING",
    }
    with open(work / "server.log", "wb") as log:
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/memoai"), "serve", "--port", str(port)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(f"http://127.0.0.1:{port}/health", timeout=120)
        one = asyncio.run(sequential(port, names, args.sequential))
        print(
            f"login one at a time ({len(one)}): p50 {statistics.median(one) * 1000:.0f} ms, "
            f"p95 {pct(one, 0.95) * 1000:.0f} ms"
        )
        many, health = asyncio.run(concurrent(port, names, args.waves))
        print(
            f"{CONCURRENT} concurrent logins x {args.waves} waves ({len(many)}): "
            f"p50 {statistics.median(many) * 1000:.0f} ms, p95 {pct(many, 0.95) * 1000:.0f} ms; "
            f"/health p99 {pct(health, 0.99) * 1000:.1f} ms, max {max(health) * 1000:.1f} ms "
            f"({len(health)} probes; goal p99 < 50 ms)"
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
