"""Recovery point of Litestream replication, measured the hard way.

Each run: one `memoai serve` on SQLite and `memoai backup replicate` (Litestream with
deploy/litestream/litestream.yml) beside it; writers submit evaluations continuously and note
every one the API acknowledged (201) and when; then the app and Litestream are killed together
with SIGKILL, the database is treated as lost, the replica is restored into a new file
(`litestream restore`, as `memoai backup restore --at` does), and the acknowledged evaluations
missing from it are counted. The recovery point is the span of writes lost: from the first
missing acknowledgement to the kill. Goal: under 10 seconds.

    .venv/bin/python bench/recovery_point.py [--runs 3] [--seconds 20] [--writers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.evaluations_load import free_port, wait_ready  # noqa: E402
from tests.ops.s3server import BUCKET, S3Server, moto_s3  # noqa: E402

BIN = Path(sys.executable).parent
MEMO = (
    "To: Operations\nSubject: Intake pilot {n}\n\nI request $12,000 to pilot digital intake at "
    "two clinics by 1 May; it saves 9 minutes per patient. Please approve by 15 April."
)


def key(evaluation_id: object) -> str:
    """The API writes ids as UUIDs with dashes, the SQLite column holds them without."""
    return str(evaluation_id).replace("-", "").lower()


def restore_env(env: dict[str, str], s3: S3Server | None) -> dict[str, str]:
    """What `memoai backup restore --at` gives Litestream (ops/litestream.py): the keys."""
    env = {k: v for k, v in env.items() if k != "AWS_CA_BUNDLE"}
    if s3 is not None:
        env |= {
            "LITESTREAM_ACCESS_KEY_ID": s3.access_key_id,
            "LITESTREAM_SECRET_ACCESS_KEY": s3.secret_access_key,
        }
    return env


async def writer(
    base: str, stop: asyncio.Event, acked: dict[str, float], failed: list[int], n: int
) -> None:
    """Submit evaluations one after the other until told to stop; note each acknowledgement."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        await client.post("/api/v1/sessions")
        i = 0
        while not stop.is_set():
            try:
                response = await client.post(
                    "/api/v1/evaluations", json={"text_content": MEMO.format(n=n * 100000 + i)}
                )
            except httpx.HTTPError:
                return  # the server is gone
            if response.status_code == 201:
                acked[key(response.json()["data"]["id"])] = time.time()
            elif not stop.is_set():
                failed.append(response.status_code)  # e.g. a write that met a locked database
            i += 1


async def write_then_kill(
    base: str, seconds: float, writers: int, victims: list[int]
) -> tuple[dict[str, float], float, list[int]]:
    acked: dict[str, float] = {}
    failed: list[int] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(writer(base, stop, acked, failed, n)) for n in range(writers)]
    await asyncio.sleep(seconds)
    killed_at = time.time()
    for pid in victims:  # the app and Litestream together, no chance to flush anything
        os.kill(pid, signal.SIGKILL)
    stop.set()
    await asyncio.gather(*tasks)
    return acked, killed_at, failed


def one_run(number: int, seconds: float, writers: int, s3: S3Server | None) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="memoai-rpo-"))
    port = free_port()
    replica = f"file://{work / 'replica'}"
    if s3 is not None:  # S3-compatible storage on loopback (moto), as off-site as it gets here
        replica = f"s3://{BUCKET}/rpo-{work.name}?endpoint={s3.endpoint}&force-path-style=true"
    env = {
        **os.environ,
        "LLM_PROVIDER": "offline",
        "DATABASE_URL": f"sqlite:///{work / 'memoai.db'}",
        "DATA_DIR": str(work),
        "CONFIG_DIR": str(ROOT / "config"),
        "CSRF_PROTECTION": "false",
        "DEBUG_MODE": "false",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_ENABLED": "false",
        "LITESTREAM_REPLICA_URL": replica,
        "BACKUP_S3_ACCESS_KEY_ID": s3.access_key_id if s3 else "",
        "BACKUP_S3_SECRET_ACCESS_KEY": s3.secret_access_key if s3 else "",
        "LITESTREAM_CONFIG": str(ROOT / "deploy" / "litestream" / "litestream.yml"),
        "LITESTREAM_METRICS_ADDR": "",
    }
    with (work / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [str(BIN / "memoai"), "serve", "--port", str(port)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    litestream = None
    try:
        wait_ready(f"{base}/health", timeout=120.0)
        with (work / "litestream.log").open("wb") as log:
            # `memoai backup replicate` becomes the litestream process (exec): its pid is it.
            litestream = subprocess.Popen(
                [str(BIN / "memoai"), "backup", "replicate"],
                cwd=work,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        time.sleep(2)  # Litestream's first snapshot
        acked, killed_at, failed = asyncio.run(
            write_then_kill(base, seconds, writers, [server.pid, litestream.pid])
        )
        server.wait(10)
        litestream.wait(10)
        restored = work / "restored.db"
        started = time.perf_counter()
        subprocess.run(
            [str(BIN / "litestream"), "restore", "-o", str(restored), replica],
            env=restore_env(env, s3),
            check=True,
            capture_output=True,
        )
        restore_s = time.perf_counter() - started
        conn = sqlite3.connect(restored)
        present = {key(row[0]) for row in conn.execute("SELECT id FROM evaluations")}
        conn.close()
        missing = [at for key, at in acked.items() if key not in present]
        lost_s = max(0.0, killed_at - min(missing)) if missing else 0.0
        result = {
            "acknowledged": len(acked),
            "missing": len(missing),
            "lost_s": lost_s,
            "rate": len(acked) / seconds,
            "restore_s": restore_s,
        }
        print(
            f"run {number}: {result['acknowledged']} evaluations acknowledged in {seconds:.0f} s "
            f"({result['rate']:.1f}/s), {result['missing']} missing after kill -9 and restore "
            f"= {lost_s:.2f} s of writes lost; restore took {restore_s:.2f} s; "
            f"{len(failed)} writes refused while running {sorted(set(failed))}",
            flush=True,
        )
        return result
    finally:
        for process in (server, litestream):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="writing time before kill")
    parser.add_argument("--writers", type=int, default=4, help="concurrent writers")
    parser.add_argument(
        "--replica",
        choices=["file", "s3"],
        default="file",
        help="a directory, or S3-compatible storage (moto's server on loopback)",
    )
    args = parser.parse_args()
    print(
        f"Litestream recovery point ({args.replica} replica): {args.writers} writers, "
        f"{args.seconds:.0f} s of writes, then SIGKILL to the app and Litestream; "
        f"{args.runs} runs (goal: < 10 s of writes lost)"
    )
    with contextlib.ExitStack() as stack:
        s3 = stack.enter_context(moto_s3()) if args.replica == "s3" else None
        results = [one_run(n + 1, args.seconds, args.writers, s3) for n in range(args.runs)]
    worst = max(r["lost_s"] for r in results)
    print(
        f"worst recovery point {worst:.2f} s of writes "
        f"({'meets' if worst < 10 else 'MISSES'} the 10 s goal); load average "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
