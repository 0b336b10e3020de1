"""Load benchmark: N clients x 2 evaluations against one `memoai serve` on SQLite, with a fake
Claude server that answers after a fixed delay. Prints wall time, latency percentiles,
/health p99 under load and the server's peak RSS.

    .venv/bin/python bench/evaluations_load.py [--clients 50 200] [--delay 2.0] [--login]

With --login the server runs in login mode: each client signs in as its own user (created
before the server starts) and sends its evaluations with `Authorization: Bearer <JWT>`. The
sign-ins happen before the timed round and their CPU is printed apart (bench/auth_load.py
measures login itself), so "per evaluation" is the evaluations' own cost in both modes; an
anonymous client's one session request stays in the round, as a browser's would.
Every memo is unique across rounds (an identical request would be answered from storage).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.accounts import PASSWORD, login_env, seed_users  # noqa: E402
from bench.lean_http import LeanClient  # noqa: E402

MEMO = """To: Executive Leadership Team
From: Dana Whitfield
Subject: Request {n}: fund the intake pilot

I request approval of ${n},000 to pilot digital intake at two clinics. Paper intake takes 14
minutes per patient; the pilot cuts it to 5 minutes and saves $610,000 a year. Risks: adoption
and EHR integration, mitigated by training and a vendor-led test. Please approve by 15 April.
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def sign_in(port: int, n: int) -> LeanClient:
    """A client signed in as user n, carrying its token as a Bearer header as API clients do."""
    client = LeanClient("127.0.0.1", port)
    status, body = await client.request(
        "POST", "/api/v1/auth/login", {"username": f"user{n}", "password": PASSWORD}
    )
    if status != 200:
        raise RuntimeError(f"sign-in of user{n} failed: {status} {str(body)[:200]}")
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {body['data']['access_token']}"
    return client


async def client_run(
    client: LeanClient,
    memo_numbers: tuple[int, int],
    latencies: list[float],
    failures: list[str],
    signed_in: bool,
) -> None:
    """One user: a session unless signed in, then two evaluations one after the other."""
    try:
        if not signed_in:
            await client.request("POST", "/api/v1/sessions")
        for number in memo_numbers:
            started = time.perf_counter()
            status, body = await client.request(
                "POST", "/api/v1/evaluations", {"text_content": MEMO.format(n=number)}
            )
            latencies.append(time.perf_counter() - started)
            data = body.get("data") or {}
            if status != 201 or data.get("status") != "completed":
                failures.append(f"{status} {str(body)[:200]}")
    finally:
        await client.close()


async def health_probe(port: int, stop: asyncio.Event, samples: list[float]) -> None:
    client = LeanClient("127.0.0.1", port)
    while not stop.is_set():
        started = time.perf_counter()
        await client.request("GET", "/health")
        samples.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    await client.close()


async def round_of(
    port: int, clients: int, round_no: int, login: bool, server_pid: int
) -> dict[str, float]:
    latencies: list[float] = []
    failures: list[str] = []
    health: list[float] = []
    sign_in_cpu = 0.0
    if login:
        before = cpu_seconds(server_pid)
        users = await asyncio.gather(*(sign_in(port, n) for n in range(clients)))
        sign_in_cpu = cpu_seconds(server_pid) - before
    else:
        users = [LeanClient("127.0.0.1", port) for _ in range(clients)]
    stop = asyncio.Event()
    probe = asyncio.create_task(health_probe(port, stop, health))
    server_cpu = cpu_seconds(server_pid)
    started = time.perf_counter()
    await asyncio.gather(
        *(
            # Unique per round, client and turn: none is an identical earlier request.
            client_run(
                client,
                (round_no * 10**6 + n * 10, round_no * 10**6 + n * 10 + 1),
                latencies,
                failures,
                login,
            )
            for n, client in enumerate(users)
        )
    )
    wall = time.perf_counter() - started
    server_cpu = cpu_seconds(server_pid) - server_cpu
    stop.set()
    await probe
    if failures:
        print(f"  {len(failures)} failures, first: {failures[0]}")
    return {
        "clients": clients,
        "completed": len(latencies) - len(failures),
        "wall_s": wall,
        "p50_s": statistics.median(latencies),
        "p95_s": pct(latencies, 0.95),
        "health_p99_ms": pct(health, 0.99) * 1000,
        "health_samples": len(health),
        "server_cpu_s": server_cpu,
        "sign_in_cpu_s": sign_in_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--login", action="store_true", help="login mode with Bearer tokens")
    args = parser.parse_args()
    fake_port, app_port = free_port(), free_port()
    work = Path(tempfile.mkdtemp(prefix="memoai-bench-"))
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.anthropic_server",
            "--port",
            str(fake_port),
            "--delay",
            str(args.delay),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "LLM_PROVIDER": "claude",
        "CLAUDE_API_KEY": "bench-key",
        "LLM_BASE_URL": f"http://127.0.0.1:{fake_port}",
        "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "DATA_DIR": str(work),
        "CONFIG_DIR": str(ROOT / "config"),
        "CSRF_PROTECTION": "false",
        "DEBUG_MODE": "false",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        # The benchmark measures the server, not the per-address limits (all clients are 127.0.0.1).
        "RATE_LIMIT_PER_MINUTE": "1000000",
        "RATE_LIMIT_ENABLED": "false",
    }
    if args.login:
        # Sign-in cost is measured by bench/auth_load.py; here the users' hashes are cheap.
        seed_users(env["DATABASE_URL"], max(args.clients), rounds=4)
        env.update(login_env(rounds=4))
    with open(work / "server.log", "wb") as log:
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/memoai"), "serve", "--port", str(app_port)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{app_port}"
    try:
        wait_ready(f"http://127.0.0.1:{fake_port}/v1/models")
        wait_ready(f"{base}/health", timeout=120)  # start-up is slow on a busy machine
        mode = "login mode, Bearer tokens" if args.login else "anonymous sessions"
        print(f"fake Claude delay {args.delay:.1f} s; one memoai serve process on SQLite; {mode}")
        for round_no, clients in enumerate(args.clients):
            own_cpu = cpu_seconds(os.getpid())
            r = asyncio.run(round_of(app_port, clients, round_no, args.login, server.pid))
            own_cpu = cpu_seconds(os.getpid()) - own_cpu
            server_cpu = r["server_cpu_s"]
            signing = (
                f"; sign-ins before the round: server {r['sign_in_cpu_s']:.1f} s"
                if args.login
                else ""
            )
            print(
                f"{clients:4d} clients x 2: {r['completed']:.0f}/{clients * 2} completed, "
                f"wall {r['wall_s']:.2f} s ({r['completed'] / r['wall_s']:.1f} evaluations/s), "
                f"p50 {r['p50_s']:.2f} s, p95 {r['p95_s']:.2f} s, "
                f"/health p99 {r['health_p99_ms']:.1f} ms ({r['health_samples']:.0f} probes); "
                f"CPU: server {server_cpu:.1f} s ({server_cpu * 1000 / (clients * 2):.1f} ms "
                f"per evaluation), load generator {own_cpu:.1f} s{signing}; load average "
                f"{os.getloadavg()[0]:.1f}"
            )
        print(f"server peak RSS {peak_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        fake.terminate()
        server.wait(10)
        fake.wait(10)


if __name__ == "__main__":
    main()
