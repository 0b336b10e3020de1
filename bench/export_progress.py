"""Latency of the PDF report and of the progress endpoint, through the in-process API.

PDF: a 10,000-character memo with 20 comments and 50 earlier evaluations (target p95 < 0.3 s),
in English and mixed (English, Arabic, Hebrew, Hindi, Chinese and emoji: shaped by HarfBuzz,
Noto fonts per script, same target).
Progress: a session with 1,000 evaluations, revision chains included (target p95 < 50 ms).
Evaluations are written straight into a temporary SQLite database (or PostgreSQL with
--database-url). Prints the figures.

    .venv/bin/python bench/export_progress.py [--runs 40] [--database-url postgresql://…]

With --database-url (a PostgreSQL server), each part runs on its own scratch database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from memoai.app import stop  # noqa: E402
from memoai.db import utcnow  # noqa: E402
from memoai.export.fonts import FONTS  # noqa: E402
from memoai.ops.pgtools import create_database, drop_database  # noqa: E402
from memoai.runtime import tune_collector  # noqa: E402
from tests.progress.seed import only_session, seed  # noqa: E402

from helpers import ApiClient, make_settings, open_client  # noqa: E402

ALL = "/api/v1/progress?range=all"
PARAGRAPH = (
    "Paper intake takes 14 minutes per patient and causes 11% of claim denials. A pilot at two "
    "clinics would cut intake time to 5 minutes — “a real change,” as Dr. Peña put it — and "
    "save an estimated $610,000 a year, according to the 2024 audit of our front desks. "
)


MIXED = (
    PARAGRAPH,
    "نطلب ميزانية قدرها 240,000 يورو لتجربة الاستقبال الرقمي في عيادتين، كما قالت الدكتورة "
    "بينيا: «تغيير حقيقي». ",
    "אנו מבקשים תקציב של 240,000 אירו לפיילוט קבלה דיגיטלית בשתי מרפאות עד סוף יוני. ",
    "हम दो क्लीनिकों में डिजिटल पंजीकरण के पायलट के लिए 2,40,000 यूरो के बजट का अनुरोध करते हैं। ",
    "我们申请二十四万欧元预算，在两家诊所试点数字化登记，预计每年节省六十一万美元。 ",
    "Launch 🚀 in June 🎉, thumbs up 👍🏽 from both clinics 🇫🇷 🇮🇱 — “a real change” ✅. ",
)


def long_memo(chars: int = 10_000, paragraphs: tuple[str, ...] = (PARAGRAPH,)) -> str:
    body = "To: Executive Leadership Team\nFrom: Dana Whitfield\nSubject: Intake pilot\n\n"
    index = 0
    while len(body) < chars - max(map(len, paragraphs)):
        body += paragraphs[index % len(paragraphs)] + ("\n\n" if len(body) % 3 else "")
        index += 1
    return body[:chars]


PDF_MEMOS = (
    ("PDF (10k memo, 20 comments, 50 prior)", long_memo()),
    (
        "PDF (10k mixed: Arabic, Hebrew, Hindi, emoji; same)",
        long_memo(paragraphs=tuple(p for p in MIXED if "我们" not in p)),
    ),
    ("PDF (10k mixed as above plus Chinese; same)", long_memo(paragraphs=MIXED)),
)


def comments(memo: str, count: int = 20) -> list[dict[str, object]]:
    quote = "A pilot at two clinics would cut intake time to 5 minutes"
    start = memo.index(quote)
    return [
        {
            "segment": quote,
            "start": start,
            "end": start + len(quote),
            "comment": f"Comment {n}: say where the 5 minutes come from and who measured them.",
            "questions": ["Who measured this?", "Over what period?"],
            "suggestion": "Cite the time study and its sample size.",
        }
        for n in range(count)
    ]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


CPU: dict[int, list[float]] = {}  # CPU seconds of each sample list, by its id


async def timed(client: ApiClient, path: str, runs: int) -> list[float]:
    """Wall time per request; the process's CPU time per request is kept in CPU, since on a
    shared machine the wall time also counts waiting for a core."""
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = await client.get(path)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, response.text[:300]
    CPU[id(times)] = cpu
    return times


async def fresh(url: str | None, tmp: Path) -> tuple[object, ApiClient]:
    """An app on an empty database: a new SQLite file, or the scratch PostgreSQL database."""
    db_url = url or f"sqlite:///{tmp / 'bench.db'}"
    settings = make_settings(
        db_url, tmp, ROOT / "config", log_level="WARNING", rate_limit_per_minute=1_000_000
    )
    app, client = await open_client(settings)
    tune_collector()  # as `memoai serve` does once it has started
    await client.start_session()
    return app, client


async def bench_pdf(url: str | None, tmp: Path, runs: int, memo: str) -> list[float]:
    app, client = await fresh(url, tmp)
    async with app.state.db.sessions() as db:  # type: ignore[attr-defined]
        session_id = await only_session(db)
        start = utcnow() - timedelta(days=60)
        await seed(db, session_id, 50, start=start, step=timedelta(hours=20))
        target = await seed(
            db, session_id, 1, start=utcnow(), step=timedelta(0), memo=memo,
            comments=comments(memo),
        )  # fmt: skip
    path = f"/api/v1/export/pdf/{target.evaluation_ids[0]}"
    await timed(client, path, 2)  # warm-up: fonts are parsed once per process
    # The common CJK cuts are made once per machine (cached files) in a background thread the
    # first time a report needs CJK; wait for it, as a running server has long since.
    await asyncio.to_thread(FONTS.cjk_common, True)  # the common CJK cuts (export/cjk.py)
    # So are the slim copies of the faces (`export/prepared.py`), asked for as faces are added.
    await asyncio.to_thread(FONTS.prepared.wait)
    await timed(client, path, 1)
    await asyncio.to_thread(FONTS.prepared.wait)
    times = await timed(client, path, runs)
    await client.aclose()
    await stop(app)  # type: ignore[arg-type]
    return times


async def bench_progress(url: str | None, tmp: Path, runs: int) -> dict[str, list[float]]:
    app, client = await fresh(url, tmp / "progress")
    async with app.state.db.sessions() as db:  # type: ignore[attr-defined]
        session_id = await only_session(db)
        start = utcnow() - timedelta(days=200)
        await seed(db, session_id, 1000, start=start, step=timedelta(hours=4), revise_every=5)
    # The first request reads and parses every row; later ones only rows not seen before.
    results = {"all, first request (nothing cached)": await timed(client, ALL, 1)}
    await timed(client, ALL, 2)
    results["all"] = await timed(client, ALL, runs)
    results["month"] = await timed(client, "/api/v1/progress?range=month", runs)
    async with app.state.db.sessions() as db:  # type: ignore[attr-defined]
        await seed(db, session_id, 1, start=utcnow(), step=timedelta(0), seed_value=8)
    results["all, after one new evaluation"] = await timed(client, ALL, 1)
    await client.aclose()
    await stop(app)  # type: ignore[arg-type]
    return results


def report(label: str, samples: list[float], target: float) -> None:
    ms = [s * 1000 for s in samples]
    verdict = "ok" if p95(samples) < target else "OVER TARGET"
    spread = f"median {statistics.median(ms):7.1f} ms  p95 {p95(ms):7.1f} ms" if len(ms) > 1 else ""
    cpu_samples = CPU.get(id(samples), [float("nan")])
    cpu, cpu_p95 = statistics.median(cpu_samples) * 1000, p95(cpu_samples) * 1000
    print(
        f"{label:<58} runs {len(ms):>3}  {spread:<36} max {max(ms):7.1f} ms  "
        f"cpu median {cpu:6.1f} ms  cpu p95 {cpu_p95:6.1f} ms  load {os.getloadavg()[0]:.2f}  "
        f"(target {target * 1000:.0f} ms: {verdict})"
    )


def _wanted(only: str | None, index: int) -> bool:
    """Whether `--only` keeps the PDF memo at `index` (0 English, then the mixed ones)."""
    if only in (None, "pdf"):
        return True
    return only != "progress" and (only == "english") == (index == 0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--only", choices=("pdf", "english", "mixed", "progress"), default=None,
        help="run one part: every PDF, the English PDF, the mixed PDFs, or progress",
    )  # fmt: skip
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        server = args.database_url
        urls = [await create_database(server, "memoai_bench") if server else None]
        for _ in PDF_MEMOS:
            urls.append(await create_database(server, "memoai_bench") if server else None)
        try:
            for index, (label, memo) in enumerate(PDF_MEMOS):
                if not _wanted(args.only, index):
                    continue
                folder = tmp / f"pdf{index}"
                folder.mkdir()
                report(label, await bench_pdf(urls[index + 1], folder, args.runs, memo), 0.3)
            if args.only not in (None, "progress"):
                return
            (tmp / "progress").mkdir()
            for range_name, samples in (await bench_progress(urls[0], tmp, args.runs)).items():
                report(f"progress range={range_name} (1,000 evals)", samples, 0.05)
        finally:
            for url in urls:
                if server and url:
                    await drop_database(server, url)


if __name__ == "__main__":
    asyncio.run(main())
