"""Web interface benchmark: server time per tab with 1,000 memos in the history (and a revision
of every tenth), My memos and an address naming an old evaluation among them, and the first
contentful paint of the Write tab in Chromium, against one `memoai serve` (offline).

Server time is measured as the loopback round trip of each request with keep-alive (an upper
bound of the server's own time), beside the server process's CPU time per request (user +
system, from /proc: on a shared, loaded machine the round trip waits for a core, the CPU time
does not) and the load average. FCP comes from the Performance API in Debian's Chromium.

    .venv/bin/python bench/web_pages.py [--history 1000] [--requests 100] [--paints 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from evaluations_load import free_port, pct, wait_ready

ROOT = Path(__file__).resolve().parent.parent
# The browser suite's Chromium launch settings (tests/ is on the path as under pytest).
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from memoai.web.memos_pages import PAGE_SIZE as MEMOS_PAGE  # noqa: E402
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TABS = ("write", "overall", "detailed", "progress", "chat", "memos", "help", "debug")
TARGET_MS = 50.0
FCP_TARGET_MS = 500.0
WRITE = "/?tab=write"
MEMO = """To: Executive Leadership Team
From: Dana Whitfield
Subject: Request {n}: fund the intake pilot

I request approval of ${n},000 to pilot digital intake at two clinics. Paper intake takes 14
minutes per patient; it was decided that the pilot cuts it to 5 minutes and saves $610,000 a
year. Risks: adoption and EHR integration, mitigated by training. Please approve by 15 April.
"""


def seed(client: httpx.Client, count: int) -> list[str]:
    """A session with `count` memos, every tenth revised once, made through the API like any
    client would; the ids of the first versions' evaluations, oldest first."""
    csrf = client.post("/api/v1/sessions").json()["data"]["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    firsts = []
    for n in range(count):
        body = {"text_content": MEMO.format(n=n + 1), "title": f"Memo {n + 1}"}
        response = client.post("/api/v1/evaluations", json=body, headers=headers)
        assert response.status_code == 201, response.text
        firsts.append(response.json()["data"]["id"])
        if n % 10 == 0:
            revision = {
                "text_content": body["text_content"] + "\nRevised.",
                "revision_of": firsts[-1],
            }
            response = client.post("/api/v1/evaluations", json=revision, headers=headers)
            assert response.status_code == 201, response.text
    return firsts


def memo_paths(firsts: list[str]) -> dict[str, str]:
    """My memos (first page, a search, the last page) and addresses naming the oldest
    evaluation (a revised memo's first version), with the fragments its tabs then load (a
    page renders only its active tab: the others are filled from /ui/tabs/<id> when shown)."""
    oldest = firsts[0]
    last_page = max(0, (len(firsts) - 1) // MEMOS_PAGE * MEMOS_PAGE)
    return {
        "API GET /api/v1/memos": "/api/v1/memos?limit=10",
        "My memos /ui/memos": "/ui/memos",
        "My memos search q=Request 5": "/ui/memos?q=Request+5",
        "My memos last page": f"/ui/memos?offset={last_page}",
        "deep link overall": f"/?evaluation={oldest}&tab=overall",
        "deep link detailed": f"/?evaluation={oldest}&tab=detailed",
        "deep link overall tab fill": f"/ui/tabs/overall?evaluation={oldest}",
        "deep link detailed tab fill": f"/ui/tabs/detailed?evaluation={oldest}",
        "deep link chat fragment": f"/ui/chat?evaluation_id={oldest}",
        "Progress fragment /ui/progress": "/ui/progress",
        "deep link progress fragment": f"/ui/progress/of/{oldest}",
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_paths(client: httpx.Client, paths: dict[str, str], requests: int, pid: int) -> None:
    print(
        f"{'path':<30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'CPU ms':>7}  {'load':>4}"
        f"  target p95 < {TARGET_MS:.0f}"
    )
    for path in paths.values():  # warm-up: templates compiled, caches and database settled
        for _ in range(5):
            client.get(path)
    for name, path in paths.items():
        samples = []
        cpu = cpu_seconds(pid)
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / requests
        p95 = pct(samples, 0.95)
        verdict = "ok" if p95 < TARGET_MS else "SLOW"
        median = statistics.median(samples)
        load = os.getloadavg()[0]
        print(
            f"{name:<30} {median:8.1f} {p95:8.1f} {max(samples):8.1f} {cpu_ms:7.1f}  {load:4.1f}"
            f"  {verdict}"
        )


def first_contentful_paints(
    base: str, cookies: httpx.Cookies, runs: int, paths: tuple[str, ...]
) -> dict[str, list[float]]:
    """FCP of each path, each load in a fresh browser context (nothing cached)."""
    from playwright.sync_api import sync_playwright

    paints: dict[str, list[float]] = {path: [] for path in paths}
    jar = [{"name": c.name, "value": c.value or "", "url": base} for c in cookies.jar]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs):
            for path in paths:  # interleaved, so both see the same machine load
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_cookies(jar)  # type: ignore[arg-type]
                page = context.new_page()
                page.goto(base + path, wait_until="load")
                page.wait_for_function(  # a function: a string would be eval, which CSP forbids
                    "() => performance.getEntriesByName('first-contentful-paint').length > 0"
                )
                paints[path].append(
                    page.evaluate(
                        "performance.getEntriesByName('first-contentful-paint')[0].startTime"
                    )
                )
                context.close()
        browser.close()
    return paints


def report_paints(paints: dict[str, list[float]]) -> None:
    print(f"\nfirst contentful paint, Chromium on loopback, {len(paints[WRITE])} cold loads each:")
    for path, values in paints.items():
        p95 = pct(values, 0.95)
        what = "Write tab" if path == WRITE else "baseline: the small 404 page, same CSS"
        verdict = ("ok" if p95 < FCP_TARGET_MS else "SLOW") if path == WRITE else ""
        print(
            f"  {what:<40} median {statistics.median(values):5.0f} ms  p95 {p95:5.0f} ms  "
            f"max {max(values):5.0f} ms  {verdict}"
        )
    print(f"  target for the Write tab: p95 < {FCP_TARGET_MS:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=1000, help="memos to seed")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--paints", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = os.environ | {
            "CONFIG_DIR": str(ROOT / "config"),
            "DATA_DIR": tmp,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "LLM_PROVIDER": "offline",
            "DEBUG_MODE": "true",
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_PER_MINUTE": "100000",
            "RATE_LIMIT_EVALUATIONS_PER_MINUTE": "100000",
            "RATE_LIMIT_READS_PER_MINUTE": "1000000",
        }
        memoai = str(Path(sys.executable).with_name("memoai"))
        command = [memoai, "serve", "--host", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(command, cwd=tmp, env=env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base + "/health", timeout=120)  # a loaded machine starts slowly
            with httpx.Client(base_url=base, timeout=30) as client:
                started = time.perf_counter()
                firsts = seed(client, args.history)
                seeded = time.perf_counter() - started
                load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
                revised = (args.history + 9) // 10
                print(
                    f"memoai serve (offline), {args.history} memos in the history "
                    f"({args.history + revised} evaluations; seeded in {seeded:.0f} s)"
                )
                print(f"machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min)\n")
                paths = {f"page ?tab={tab}": f"/?tab={tab}" for tab in TABS}
                paths |= {f"fragment /ui/tabs/{tab}": f"/ui/tabs/{tab}" for tab in TABS}
                paths |= memo_paths(firsts)
                time_paths(client, paths, args.requests, server.pid)
                paints = first_contentful_paints(
                    base, client.cookies, args.paints, (WRITE, "/nowhere")
                )
            report_paints(paints)
        finally:
            server.terminate()
            server.wait(timeout=15)


if __name__ == "__main__":
    main()
