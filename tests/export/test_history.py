"""The history downloads: CSV safe to open in a spreadsheet, JSON in the envelope, per caller."""

from __future__ import annotations

import csv
import io

from memoai.spreadsheets import safe_cell
from tests.progress.conftest import Api

MEMO = (
    "To: Board\nSubject: Pilot\n\nWe request $250,000 by 30 June to pilot digital intake. "
    "It will cut waiting times by 20% according to the 2024 audit."
)
TITLES = ('=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)")


def test_cells_a_spreadsheet_would_run_are_quoted() -> None:
    assert [safe_cell(t) for t in TITLES] == ["'" + t for t in TITLES]
    assert safe_cell("\tx") == "'\tx" and safe_cell("Plain title") == "Plain title"
    assert safe_cell(-1.5) == -1.5  # numbers are numbers, not text


async def test_csv_and_json_history(api: Api) -> None:
    created = [await api.evaluate(f"{MEMO} Version {n}.", title=t) for n, t in enumerate(TITLES)]
    response = await api.client.get("/api/v1/export/history.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="memo-history-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == [c["id"] for c in created]
    assert [r["title"] for r in rows] == ["'" + t for t in TITLES]
    first, row = created[0], rows[0]
    assert float(row["overall_score"]) == first["overall_score"]
    for score in first["rubric_scores"]:
        assert row[score["criterion_id"]] == str(score["score"])
    assert row["words"] == str(first["metrics"]["words"])
    assert row["has_explicit_ask"] == "yes"
    assert (
        row["provider"] == "offline"
        and row["rubric_version"] == first["provenance"]["rubric_version"]
    )

    body = (await api.client.get("/api/v1/export/history.json")).json()
    assert body["errors"] == [] and body["data"]["count"] == len(TITLES)
    item = body["data"]["items"][0]
    assert item["title"] == TITLES[0]  # JSON keeps the text as typed
    assert item["scores"] == {s["criterion_id"]: s["score"] for s in first["rubric_scores"]}
    assert item["provider_label"] == "offline analysis"
    assert body["data"]["criteria"] == [s["criterion_id"] for s in first["rubric_scores"]]


async def test_history_belongs_to_its_session(api: Api) -> None:
    await api.evaluate(MEMO, title="Mine")
    await api.new_session()
    csv_text = (await api.client.get("/api/v1/export/history.csv")).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("id,created_at") and len(csv_text.splitlines()) == 1
    assert (await api.get("/api/v1/export/history.json"))["count"] == 0
