"""The PDF report through the API: every section, Unicode, markup, isolation, no temp files.

Each report is also rendered to PNG in test-artifacts/pdf/ (pdftoppm) for a person to look at.
"""

from __future__ import annotations

import gc
import io
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from memoai.evaluations.models import Evaluation
from memoai.export.fonts import FONTS
from tests.progress.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "pdf"
MEMOS = ROOT / "tests" / "analysis" / "memos"
RAMBLING = (MEMOS / "rambling.txt").read_text(encoding="utf-8")
REVISED = "We request $40,000 by 3 May to pilot digital intake.\n\n" + RAMBLING
UNICODE_MEMO = (
    "Subject: “Smart” quotes — café, naïve, Zoë Müller‑Øster\n\n"
    "We request €240,000 for our partner clinic in 中文 and 東京 🚀 by 30 June. "
    "<script>alert(1)</script> stays text. Flags 🇫🇷 and joined emoji 👩‍💻 degrade gracefully.\n\n"
    "Risk: staff may find it unfamiliar; two champions per site will mitigate it."
)


def flat(text: str) -> str:
    """PDF text without line breaks: wrapped phrases compare as typed."""
    return " ".join(text.split())


async def download(api: Api, evaluation_id: str) -> bytes:
    response = await api.client.get(f"/api/v1/export/pdf/{evaluation_id}")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    name = re.search(r'filename="([^"]+)"', disposition)
    assert name and re.fullmatch(r"memo-feedback-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.pdf", name[1])
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content.startswith(b"%PDF-")
    return response.content


def extract(pdf: bytes) -> str:
    """The report's text. pypdf reads a NUL before each glyph of the CID-keyed CJK font
    (pdftotext does not); those NULs are dropped."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return flat("\n".join(page.extract_text() for page in pages).replace("\x00", ""))


def render_png(pdf: bytes, name: str) -> list[Path]:
    """Pages as PNG at 60 dpi in test-artifacts/pdf/, for looking at the report."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(ARTIFACTS / name)], check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


async def test_report_has_every_section(api: Api, db_url: str) -> None:
    first = await api.evaluate(RAMBLING, title="Front desk intake")
    second = await api.evaluate(REVISED, title="Front desk intake, v2", revision_of=first["id"])
    pdf = await download(api, second["id"])
    text = extract(pdf)

    assert "Front desk intake, v2" in text
    assert flat(RAMBLING[:120]) in text  # the memo itself
    assert f"{second['overall_score']:.1f} / 5" in text
    for strength in second["strengths"][:2]:
        assert flat(strength) in text
    assert flat(second["opportunities"][0]) in text
    for row in second["rubric_scores"]:
        assert flat(row["name"]) in text
        assert flat(row["justification"])[:60] in text
    comment = second["segment_feedback"][0]
    assert flat(comment["comment"]) in text
    assert flat(comment["questions"][0]) in text
    assert "Questions a reader may ask" in text and "Suggestion:" in text
    for label in ("Writing metrics", "Words per sentence", "Reading grade", "Explicit ask"):
        assert label in text
    assert str(second["metrics"]["words"]) in text
    assert "Progress" in text and "(this report)" in text and "Front desk intake" in text
    assert "Changes since the previous version" in text
    assert "We request $40,000 by 3 May" in text  # the inserted text of the diff
    assert "offline analysis" in text
    assert second["provenance"]["rubric_version"] in text
    assert "Page 1 of" in text
    if db_url.startswith("sqlite"):
        assert render_png(pdf, "report-sections")


async def test_unicode_and_markup_never_break_the_report(api: Api, db_url: str) -> None:
    evaluation = await api.evaluate(UNICODE_MEMO, title="Café 東京 — “pilot” 🚀 <b>bold</b>")
    pdf = await download(api, evaluation["id"])
    text = extract(pdf)
    assert "<script>alert(1)</script> stays text" in text
    assert "<b>bold</b>" in text
    assert "“Smart” quotes — café, naïve" in text and "€240,000" in text
    if FONTS.emoji is not None:  # drawn in colour (see test_scripts.py for the fallback)
        assert "🚀" in text and "[rocket]" not in text
    else:  # what no font has is named
        assert "[rocket]" in text and "[flag FR]" in text
    assert "\ufffd" not in text
    cjk_font = any(p.is_file() for p in Path("/usr/share/fonts/opentype/noto").glob("NotoSansCJK*"))
    if cjk_font:
        assert "中文" in text and "東京" in text
    if db_url.startswith("sqlite"):
        assert render_png(pdf, "report-unicode")


async def test_report_is_built_in_memory(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluation = await api.evaluate(UNICODE_MEMO)
    scratch = tmp_path / "scratch-tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    before = set(Path(tempfile.gettempdir()).iterdir())
    await download(api, evaluation["id"])
    assert set(Path(tempfile.gettempdir()).iterdir()) == before == set()


async def test_no_session_can_download_anothers_report(api: Api) -> None:
    evaluation = await api.evaluate(RAMBLING)
    await api.new_session()
    response = await api.client.get(f"/api/v1/export/pdf/{evaluation['id']}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NOT_FOUND"
    missing = await api.client.get(f"/api/v1/export/pdf/{uuid.uuid4()}")
    assert missing.status_code == 404


async def test_unfinished_evaluation_has_no_report_yet(api: Api) -> None:
    evaluation = await api.evaluate(RAMBLING)
    async with api.app.state.db.sessions() as db:
        await db.execute(
            update(Evaluation)
            .where(Evaluation.id == uuid.UUID(evaluation["id"]))
            .values(status="failed", error_code="LLM_TIMEOUT")
        )
        await db.commit()
    response = await api.client.get(f"/api/v1/export/pdf/{evaluation['id']}")
    assert response.status_code == 409
    assert "once it completes" in response.json()["errors"][0]["message"]


def test_the_report_renders_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    from memoai.export import pdf

    seen: list[bool] = []

    def render(data: object, fonts: object) -> bytes:
        seen.append(gc.isenabled())
        return b"%PDF-"

    monkeypatch.setattr(pdf, "_render", render)
    assert pdf.render_pdf(None) == b"%PDF-"  # type: ignore[arg-type]
    assert seen == [False] and gc.isenabled()
