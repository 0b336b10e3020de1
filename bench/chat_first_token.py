"""Time to the first streamed chat token through the API, against a fake Claude whose first
token comes T seconds after the request. Prints p50/p95 of (time to first token − T); the
target is under 0.1 s.

    .venv/bin/python bench/chat_first_token.py [--first-token 0.5] [--samples 40]
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
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.evaluations_load import MEMO, free_port, pct, wait_ready  # noqa: E402
from tests.fakes.anthropic_server import AnthropicFake  # noqa: E402
from tests.fakes.common import Behaviour, ok, trickle  # noqa: E402

TARGET_S = 0.1
WARM_UP = 3


def fake_model(first_token: float) -> AnthropicFake:
    """Evaluations answer at once; chat replies start after `first_token` seconds."""

    def answer(body: dict[str, Any]) -> Behaviour:
        return ok() if body.get("tools") else trickle(first_token, interval=0.02)

    fake = AnthropicFake(api_key=None, default=answer, record=False)
    fake.start()
    return fake


async def first_token_seconds(client: httpx.AsyncClient, chat_id: str, question: str) -> float:
    """Seconds from sending a question to the first `delta` event of its reply."""
    started = time.perf_counter()
    async with client.stream(
        "POST",
        f"/api/v1/chat/sessions/{chat_id}/messages?stream=true",
        json={"message_content": question},
    ) as response:
        first = None
        async for line in response.aiter_lines():
            if first is None and line == "event: delta":
                first = time.perf_counter() - started
        if first is None:
            raise RuntimeError(f"no delta in the reply (HTTP {response.status_code})")
        return first


async def measure(base: str, first_token: float, samples: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await client.post("/api/v1/sessions")
        evaluation = await client.post("/api/v1/evaluations", json={"text_content": MEMO})
        evaluation_id = evaluation.json()["data"]["id"]
        chat = await client.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation_id})
        chat_id = chat.json()["data"]["id"]
        overheads = []
        for n in range(WARM_UP + samples):
            seconds = await first_token_seconds(client, chat_id, f"Question {n}: why this score?")
            if n >= WARM_UP:
                overheads.append(seconds - first_token)
        return overheads


def server_env(fake: AnthropicFake, work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LLM_PROVIDER": "claude",
        "CLAUDE_API_KEY": "bench-key",
        "LLM_BASE_URL": fake.url,
        "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "DATA_DIR": str(work),
        "CONFIG_DIR": str(ROOT / "config"),
        "CSRF_PROTECTION": "false",
        "DEBUG_MODE": "false",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_ENABLED": "false",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first-token", type=float, default=0.5, help="the model's T, seconds")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    fake = fake_model(args.first_token)
    work = Path(tempfile.mkdtemp(prefix="memoai-bench-chat-"))
    port = free_port()
    with open(work / "server.log", "wb") as log:
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/memoai"), "api", "--port", str(port)],
            cwd=work,
            env=server_env(fake, work),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/health")
        overheads = asyncio.run(measure(base, args.first_token, args.samples))
        p50, p95 = statistics.median(overheads), pct(overheads, 0.95)
        print(
            f"fake Claude first token after {args.first_token:.2f} s; {len(overheads)} chat turns "
            f"through `memoai api` on SQLite"
        )
        print(
            f"time to first token − T: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
            f"max {max(overheads) * 1000:.1f} ms (target < {TARGET_S * 1000:.0f} ms: "
            f"{'met' if p95 < TARGET_S else 'MISSED'})"
        )
    finally:
        server.terminate()
        server.wait(10)
        fake.stop()


if __name__ == "__main__":
    main()
