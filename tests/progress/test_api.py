"""Revisions and progress through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from memoai import scores
from memoai.db import utcnow
from memoai.progress import charts
from memoai.progress.schemas import ProgressOut
from tests.progress.conftest import Api, sse_events
from tests.progress.seed import only_session, seed

MEMOS = Path(__file__).resolve().parents[1] / "analysis" / "memos"
MEMO = (MEMOS / "medium.txt").read_text(encoding="utf-8")
ASK = "We request $150,000 by 30 June to pilot digital intake at Riverside clinic.\n\n"
LEAD = "Lead with your conclusion: the request sits in paragraph {n}."
REVISED = ASK + MEMO.replace("Several vendors now offer", "Three vendors offer")


def words(text: str) -> list[str]:
    return text.split()


async def test_every_evaluation_response_carries_a_progress_summary(api: Api) -> None:
    first = await api.evaluate(MEMO, title="Intake")
    summary = first["progress_summary"]
    assert summary["evaluations"] == 1 and summary["previous"] is None
    assert summary["headline"].startswith("The first version of this memo")

    async with api.client.stream(
        "POST",
        "/api/v1/evaluations?stream=true",
        json={"text_content": REVISED, "revision_of": first["id"]},
    ) as response:
        await response.aread()
    kind, second = sse_events(response)[-1]
    assert kind == "completed"
    summary = second["progress_summary"]
    assert summary["evaluations"] == 2
    assert summary["compared_with"] == "previous_version"
    assert summary["previous"]["evaluation_id"] == first["id"]
    expected = scores.change(first["overall_score"], second["overall_score"])
    assert summary["overall_delta"] == expected and summary["comparable"] is True
    shown = f"({scores.text(first['overall_score'])} → {scores.text(second['overall_score'])})"
    assert shown in summary["headline"] and "previous version of this memo" in summary["headline"]

    fetched = await api.get(f"/api/v1/evaluations/{second['id']}")
    assert fetched["progress_summary"] == summary
    reused = await api.evaluate(REVISED, revision_of=first["id"])
    assert reused["reused"] is True and reused["progress_summary"]["evaluations"] == 2
    # An unrelated memo is never compared with the writer's previous evaluation.
    other = await api.evaluate(MEMO + "\nA different memo.", title="Other")
    assert other["progress_summary"]["compared_with"] is None
    assert other["progress_summary"]["previous"] is None
    assert other["progress_summary"]["overall_delta"] is None
    assert other["progress_summary"]["headline"].startswith("The first version of this memo")


async def test_revision_compares_scores_per_criterion_and_the_text(api: Api) -> None:
    first = await api.evaluate(MEMO, title="Intake")
    second = await api.evaluate(REVISED, title="Intake v2", revision_of=first["id"])
    chain = await api.get(f"/api/v1/progress/revisions/{second['id']}")
    assert chain == await api.get(f"/api/v1/progress/revisions/{first['id']}")
    v1, v2 = chain["versions"]
    assert (v1["evaluation_id"], v2["evaluation_id"]) == (first["id"], second["id"])
    assert v2["version"] == 2 and v2["previous_evaluation_id"] == first["id"]
    before = {s["criterion_id"]: s["score"] for s in first["rubric_scores"]}
    after = {s["criterion_id"]: s["score"] for s in second["rubric_scores"]}
    deltas = {d["criterion_id"]: d["delta"] for d in v2["criteria"]}
    assert deltas == {cid: after[cid] - before[cid] for cid in after}
    assert any(deltas.values()), "adding an explicit ask changes at least one score"
    assert v2["overall_delta"] == scores.change(first["overall_score"], second["overall_score"])

    ops = v2["diff"]
    assert "".join(o["text"] for o in ops if o["op"] != "delete") == REVISED
    assert words("".join(o["text"] for o in ops if o["op"] != "insert")) == words(MEMO)
    inserted = " ".join(o["text"] for o in ops if o["op"] == "insert")
    deleted = " ".join(o["text"] for o in ops if o["op"] == "delete")
    assert "We request $150,000 by 30 June" in inserted and "Three" in inserted
    assert "Several" in deleted and "now" in deleted
    assert v2["words_added"] == len(words(ASK)) + 1 and v2["words_removed"] == 2
    assert v1["diff"] is None

    progress = await api.get("/api/v1/progress", range="all")
    (listed,) = progress["revision_chains"]
    assert listed["chain_id"] == first["submission_id"]
    assert [v["criteria"] for v in listed["versions"]] == [v["criteria"] for v in chain["versions"]]
    assert listed["total_change"] == v2["overall_delta"]


async def test_a_memo_without_revisions_has_nothing_to_compare(api: Api) -> None:
    alone = await api.evaluate(MEMO)
    response = await api.client.get(f"/api/v1/progress/revisions/{alone['id']}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NOT_FOUND"
    assert (await api.get("/api/v1/progress"))["revision_chains"] == []


async def test_trends_counts_range_and_frequent_opportunities(api: Api) -> None:
    async with api.app.state.db.sessions() as db:
        session_id = await only_session(db)
        old = await seed(
            db,
            session_id,
            3,
            start=utcnow() - timedelta(days=60),
            step=timedelta(days=1),
            opportunities=[LEAD, "Quantify the COST!"],
        )
    await api.evaluate(MEMO)
    await api.evaluate(REVISED)

    week = await api.get("/api/v1/progress", range="week")
    assert week["counts"] == {"evaluations": 2, "memos": 2, "revisions": 0}
    assert [e["rubric_version"] for e in week["timeline"]] == [week["current_rubric_version"]] * 2
    assert week["frequency"]["unit"] == "day" and week["frequency"]["total"] == 2
    assert len(week["frequency"]["buckets"]) == 8  # seven days back and today, gaps as zeros
    assert sum(b["count"] for b in week["frequency"]["buckets"]) == 2
    assert week["stats"]["overall"]["count"] == 2

    quarter = await api.get("/api/v1/progress", range="quarter")
    assert quarter["counts"]["evaluations"] == 5
    assert quarter["frequency"]["unit"] == "week"
    times = [e["created_at"] for e in quarter["timeline"]]
    assert times == sorted(times)
    assert quarter["timeline"][0]["evaluation_id"] == str(old.evaluation_ids[0])
    assert quarter["mixed_rubric_versions"] is True  # seeded rows carry another version
    assert {v["version"] for v in quarter["rubric_versions"]} == {
        "1.0:seeded00",
        week["current_rubric_version"],
    }

    # Wordings that differ only in numbers, case or punctuation are one opportunity.
    top = {o["text"]: o for o in quarter["top_opportunities"]}
    assert top[LEAD.format(n=4)]["count"] == 3  # the newest wording is shown
    assert top["Quantify the COST!"]["count"] == 3
    assert top["Quantify the COST!"]["share"] == round(3 / 5, 3)
    assert "Lead with" not in " ".join(o["text"] for o in week["top_opportunities"])
    assert (await api.get("/api/v1/progress", range="all"))["counts"]["evaluations"] == 5


async def test_scores_from_another_rubric_version_are_marked_not_mixed(
    api: Api, config_dir: Path
) -> None:
    first = await api.evaluate(MEMO)
    rubric = config_dir / "rubric.yaml"
    rubric.write_text(
        rubric.read_text(encoding="utf-8").replace('version: "1.0"', 'version: "1.1"'),
        encoding="utf-8",
    )
    await api.app.state.configs.reload()
    second = await api.evaluate(REVISED, revision_of=first["id"])
    assert second["provenance"]["rubric_version"] != first["provenance"]["rubric_version"]
    summary = second["progress_summary"]
    assert summary["comparable"] is False and summary["overall_delta"] is None
    assert "rubric version" in summary["headline"]

    progress = await api.get("/api/v1/progress", range="all")
    assert progress["mixed_rubric_versions"] is True
    versions = [v["version"] for v in progress["rubric_versions"]]
    assert versions == [
        first["provenance"]["rubric_version"],
        second["provenance"]["rubric_version"],
    ]
    assert [v["current"] for v in progress["rubric_versions"]] == [False, True]
    assert progress["stats"]["overall"]["count"] == 1  # statistics stay within one version
    (chain,) = progress["revision_chains"]
    assert chain["versions"][1]["comparable"] is False
    assert all(d["delta"] is None for d in chain["versions"][1]["criteria"])
    assert chain["total_change"] is None

    chart = charts.overall_chart(ProgressOut.model_validate(progress))
    assert chart.svg.count("<path") >= 2 or chart.svg.count("<circle") == 2
    assert "Rubric 1.1" in chart.svg and "earlier" in chart.svg
    assert "2 rubric versions" in chart.description


async def test_no_session_reaches_another_sessions_progress(api: Api) -> None:
    first = await api.evaluate(MEMO, title="Mine")
    await api.evaluate(REVISED, revision_of=first["id"])
    await api.new_session()
    progress = await api.get("/api/v1/progress", range="all")
    assert progress["counts"]["evaluations"] == 0
    assert progress["timeline"] == [] and progress["revision_chains"] == []
    response = await api.client.get(f"/api/v1/progress/revisions/{first['id']}")
    assert response.status_code == 404


async def test_progress_answers_in_the_envelope(api: Api) -> None:
    response = await api.client.get("/api/v1/progress")
    body = response.json()
    assert response.headers["content-type"] == "application/json"
    assert body["errors"] == [] and body["data"]["range"] == "month"
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    assert body["meta"]["timestamp"].endswith("Z")


async def test_bad_range_is_a_validation_error(api: Api) -> None:
    response = await api.client.get("/api/v1/progress", params={"range": "year"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "VALIDATION_ERROR"
