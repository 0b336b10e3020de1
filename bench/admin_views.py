"""Latency of the administrator's status and cohort views with 10,000 evaluations from 200
users (two rubric versions, priced tokens, over 60 days), through the in-process API.

Goal: p95 < 100 ms for each. The evaluations are written with bulk Core inserts into a
temporary SQLite database, and into a scratch PostgreSQL database with --database-url.
Prints the figures, the CPU time per request and the load average (the machine is shared);
on a local PostgreSQL server also the server's CPU per request (its backends of the bench's
database, from /proc: clock ticks, so a mean over the runs).

    .venv/bin/python bench/admin_views.py [--runs 40] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from memoai.app import stop  # noqa: E402
from memoai.auth.models import Role  # noqa: E402
from memoai.ops.pgtools import create_database, drop_database  # noqa: E402
from memoai.runtime import tune_collector  # noqa: E402
from tests.admin.usage_seed import add_evaluations, add_users, random_specs  # noqa: E402
from tests.auth.support import auth_settings, bearer, open_auth_app  # noqa: E402

TARGET = 0.1
VIEWS = {
    "status (30 days)": "/api/v1/admin/status?days=30",
    "cohort (month)": "/api/v1/admin/cohort",
    "cohort (week)": "/api/v1/admin/cohort?bucket=week",
    "cohort CSV (users)": "/api/v1/admin/cohort.csv?table=users",
}


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


class ServerCpu:
    """CPU seconds of the PostgreSQL backends serving the bench's database (a local server)."""

    def __init__(self) -> None:
        self.pids: list[int] = []

    async def find(self, engine: Any) -> None:
        if engine.dialect.name != "postgresql":
            return
        async with engine.connect() as conn:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            self.pids = list((await conn.execute(text(query))).scalars())

    def seconds(self) -> float | None:
        if not self.pids:
            return None
        total = 0
        try:
            for pid in self.pids:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            return None  # not a local server, or a backend went away
        return total / os.sysconf("SC_CLK_TCK")


async def timed(
    client: Any, path: str, headers: dict[str, str], runs: int, server: ServerCpu | None = None
) -> tuple[list[float], list[float], float | None]:
    times, cpu = [], []
    before = server.seconds() if server else None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = await client.get(path, headers=headers)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, response.text[:300]
    after = server.seconds() if server else None
    per_request = None if before is None or after is None else (after - before) / runs
    return times, cpu, per_request


def report(label: str, times: list[float], cpu: list[float], server: float | None) -> None:
    ms = [t * 1000 for t in times]
    verdict = "ok" if p95(times) < TARGET else "OVER TARGET"
    spread = f"median {statistics.median(ms):7.1f} ms  p95 {p95(ms):7.1f} ms" if len(ms) > 1 else ""
    db = "" if server is None else f"  db cpu mean {server * 1000:5.1f} ms"
    print(
        f"{label:<44} runs {len(ms):>3}  {spread:<36} max {max(ms):7.1f} ms  "
        f"cpu median {statistics.median(cpu) * 1000:6.1f} ms{db}  (target 100 ms: {verdict})  "
        f"load {os.getloadavg()[0]:.2f}"
    )


async def settle(engine: Any) -> None:
    """On PostgreSQL, what autovacuum does within a minute of a bulk load: statistics for the
    planner, and the visibility map that lets a covering index answer without the table."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))


async def bench(db_url: str, tmp: Path, runs: int, users: int, evaluations: int) -> None:
    settings = auth_settings(
        db_url, tmp, ROOT / "config", log_level="WARNING", rate_limit_enabled=False
    )
    auth = await open_auth_app(settings)
    tune_collector()  # as `memoai serve` does once it has started
    try:
        await auth.add_user("root", role=Role.ADMIN)
        headers = bearer((await auth.login("root"))["access_token"])
        auth.client.cookies.clear()
        started = time.perf_counter()
        async with auth.app.state.db.engine.begin() as conn:
            people = await add_users(conn, [f"user{n:03d}" for n in range(users)])
            await add_evaluations(conn, random_specs(list(people.values()), evaluations, days=60))
        took = time.perf_counter() - started
        print(f"  seeded {evaluations} evaluations of {users} users in {took:.1f} s")
        await settle(auth.app.state.db.engine)
        server = ServerCpu()
        for label, path in VIEWS.items():
            first = await timed(auth.client, path, headers, 1)  # cold: nothing cached yet
            report(f"{label}, first request", *first)
            await timed(auth.client, path, headers, 2)
            await server.find(auth.app.state.db.engine)  # the pool's connections, now open
            report(label, *await timed(auth.client, path, headers, runs, server))
    finally:
        await auth.client.aclose()
        await stop(auth.app)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--evaluations", type=int, default=10_000)
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL server, for a run on it too"
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        print("SQLite")
        await bench(f"sqlite:///{tmp / 'bench.db'}", tmp, args.runs, args.users, args.evaluations)
        if args.database_url:
            url = await create_database(args.database_url, "memoai_bench")
            try:
                print("PostgreSQL")
                await bench(url, tmp, args.runs, args.users, args.evaluations)
            finally:
                await drop_database(args.database_url, url)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
