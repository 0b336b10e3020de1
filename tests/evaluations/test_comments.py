"""Comments through the API on the offline analyser, on SQLite and PostgreSQL: kinds and
severities, the writer's marks (stored, counted, shown everywhere), filters, and the report
on the previous version's comments."""

from __future__ import annotations

from typing import Any

from helpers import ApiClient, open_client

V1 = """Subject: Digital intake pilot

We request $40,000 by 3 May to pilot digital intake at two clinics.

Mistakes were made by the front desk staff when the paper forms were typed into the billing system.

The new process would bring substantial savings to every clinic.

Staff may resist the change because the current routine is familiar.
"""
PASSIVE = "Mistakes were made by the front desk staff when the paper forms were typed into"
# The passive sentence rewritten; the vague claim and the risk left as they were.
V2 = V1.replace(
    "Mistakes were made by the front desk staff when the paper forms were typed into the "
    "billing system.",
    "Front desk staff mistype about 4% of paper forms when they copy them into the billing system.",
)


async def evaluate(client: ApiClient, text: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/evaluations", json={"text_content": text, **extra})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def mark(client: ApiClient, evaluation_id: str, index: int, state: str) -> Any:
    return await client.put(
        f"/api/v1/evaluations/{evaluation_id}/comments/{index}", json={"state": state}
    )


def index_of(evaluation: dict[str, Any], opening: str) -> int:
    [found] = [c for c in evaluation["segment_feedback"] if c["segment"].startswith(opening)]
    return int(found["index"])


async def test_comments_have_kinds_severities_and_start_open(client: ApiClient) -> None:
    evaluation = await evaluate(client, V1)
    comments = evaluation["segment_feedback"]
    assert [(c["kind"], c["severity"]) for c in comments] == [
        ("clarity", "could"),  # passive voice
        ("evidence", "should"),  # "substantial" without a figure
        ("risk", "should"),  # a risk without a mitigation
    ]
    assert [c["index"] for c in comments] == [0, 1, 2]
    assert {c["state"] for c in comments} == {"open"}
    assert {c["kind_source"] for c in comments} == {"model"}
    counts = evaluation["comment_counts"]
    assert counts["text"] == "0 of 3 comments addressed"
    assert counts["by_kind"]["evidence"] == 1 and counts["by_severity"]["could"] == 1
    assert evaluation["progress_summary"]["comments"] == counts
    assert evaluation["revision_report"] is None


async def test_marks_are_stored_counted_and_shown_everywhere(client: ApiClient) -> None:
    evaluation = await evaluate(client, V1)
    eid = evaluation["id"]
    done = await mark(client, eid, 0, "done")
    assert done.status_code == 200, done.text
    assert done.json()["data"]["comment"]["state"] == "done"
    assert done.json()["data"]["comment"]["segment"].startswith(PASSIVE)
    dismissed = await mark(client, eid, 2, "dismissed")
    assert dismissed.json()["data"]["counts"]["text"] == (
        "2 of 3 comments addressed (1 done, 1 dismissed)"
    )
    again = await mark(client, eid, 2, "dismissed")  # idempotent
    assert again.status_code == 200 and again.json()["data"]["counts"]["dismissed"] == 1

    read = (await client.get(f"/api/v1/evaluations/{eid}")).json()["data"]
    assert [c["state"] for c in read["segment_feedback"]] == ["done", "open", "dismissed"]
    assert read["comment_counts"]["addressed"] == 2
    assert read["progress_summary"]["comments"]["text"] == read["comment_counts"]["text"]

    reopened = await mark(client, eid, 0, "open")
    assert reopened.json()["data"]["counts"]["text"] == (
        "1 of 3 comments addressed (0 done, 1 dismissed)"
    )
    read = (await client.get(f"/api/v1/evaluations/{eid}")).json()["data"]
    assert [c["state"] for c in read["segment_feedback"]] == ["open", "open", "dismissed"]


async def test_filters_by_kind_severity_and_state(client: ApiClient) -> None:
    evaluation = await evaluate(client, V1)
    base = f"/api/v1/evaluations/{evaluation['id']}/comments"
    await mark(client, evaluation["id"], 1, "done")

    every = (await client.get(base)).json()["data"]
    assert every["matching"] == 3 and every["counts"]["total"] == 3

    risky = (await client.get(base, params={"kind": ["risk", "evidence"]})).json()["data"]
    assert [c["kind"] for c in risky["items"]] == ["evidence", "risk"]
    assert risky["filters"]["kind"] == ["risk", "evidence"]
    assert risky["counts"]["total"] == 3  # counts cover every comment, whatever the filter

    could = (await client.get(base, params={"severity": "could"})).json()["data"]
    assert [c["segment"][: len(PASSIVE)] for c in could["items"]] == [PASSIVE]

    done = (await client.get(base, params={"state": "done"})).json()["data"]
    assert [c["index"] for c in done["items"]] == [1]
    both = await client.get(base, params={"kind": "risk", "severity": "must"})
    assert both.json()["data"]["items"] == []

    bad = await client.get(base, params={"kind": "grammar"})
    assert bad.status_code == 422
    error = bad.json()["errors"][0]
    assert error["field"] == "kind.0" and "'structure', 'evidence'" in error["message"], error


async def test_bad_marks_get_clear_answers(client: ApiClient) -> None:
    evaluation = await evaluate(client, V1)
    eid = evaluation["id"]
    missing = await mark(client, eid, 3, "done")
    assert missing.status_code == 404
    error = missing.json()["errors"][0]
    assert error["code"] == "NOT_FOUND" and "has 3 comments" in error["message"]
    wrong = await mark(client, eid, 0, "finished")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "state"
    extra = await client.put(
        f"/api/v1/evaluations/{eid}/comments/0", json={"state": "done", "note": "x"}
    )
    assert extra.status_code == 422
    negative = await mark(client, eid, -1, "done")
    assert negative.status_code == 422
    unknown = await mark(client, "00000000-0000-4000-8000-000000000000", 0, "done")
    assert unknown.status_code == 404
    read = (await client.get(f"/api/v1/evaluations/{eid}")).json()["data"]
    assert read["comment_counts"]["addressed"] == 0  # nothing was changed by the bad calls


async def test_another_session_can_neither_read_nor_mark(client: ApiClient, settings: Any) -> None:
    evaluation = await evaluate(client, V1)
    app, other = await open_client(settings)
    try:
        await other.start_session()
        assert (await mark(other, evaluation["id"], 0, "done")).status_code == 404
        listed = await other.get(f"/api/v1/evaluations/{evaluation['id']}/comments")
        assert listed.status_code == 404
    finally:
        await other.aclose()
        from memoai.app import stop

        await stop(app)
    read = (await client.get(f"/api/v1/evaluations/{evaluation['id']}")).json()["data"]
    assert read["comment_counts"]["addressed"] == 0


async def test_the_next_version_reports_each_earlier_comment_by_the_rule(
    client: ApiClient,
) -> None:
    first = await evaluate(client, V1)
    passive = index_of(first, PASSIVE)
    vague = index_of(first, "The new process")
    await mark(client, first["id"], passive, "done")
    await mark(client, first["id"], vague, "done")  # marked done, but the text is unchanged

    second = await evaluate(client, V2, revision_of=first["id"])
    report = second["revision_report"]
    assert report["previous_evaluation_id"] == first["id"]
    assert report["addressed_by"].startswith("rule: ")
    assert "no longer appears verbatim" in report["addressed_by"]
    verdicts = {item["index"]: item for item in report["items"]}
    assert verdicts[passive]["addressed"] is True
    assert verdicts[passive]["verdict"] == "passage_changed"
    start, end = verdicts[passive]["new_start"], verdicts[passive]["new_end"]
    assert V2[start:end].startswith("Front desk staff mistype")
    assert verdicts[vague]["addressed"] is False
    assert verdicts[vague]["verdict"] == "passage_unchanged"
    assert verdicts[vague]["writer_state"] == "done"  # the writer's word, shown apart
    assert (report["addressed"], report["total"], report["marked_done"]) == (1, 3, 2)
    assert report["text"] == (
        "1 of 3 comments on the previous version addressed by the rule; you marked 2 done"
    )
    # The same report through the comments route, and the new version's own marks start open.
    listed = (await client.get(f"/api/v1/evaluations/{second['id']}/comments")).json()["data"]
    assert listed["revision_report"] == report
    assert listed["counts"]["text"] == f"0 of {len(second['segment_feedback'])} comments addressed"


async def test_the_pdf_shows_kinds_marks_and_the_report(client: ApiClient) -> None:
    import io

    from pypdf import PdfReader

    first = await evaluate(client, V1)
    await mark(client, first["id"], 0, "done")
    await mark(client, first["id"], 2, "dismissed")
    second = await evaluate(client, V2, revision_of=first["id"])
    for evaluation, expected in (
        (first, ["2 of 3 comments addressed (1 done, 1 dismissed)", "Clarity · could · Done",
                 "Risk · should · Dismissed", "Evidence · should · Open"]),
        (second, ["Comments on the previous version", "1 of 3 comments on the previous version",
                  "Addressed by the rule", "Not addressed: the passage is unchanged",
                  "you marked it done"]),
    ):  # fmt: skip
        response = await client.get(f"/api/v1/export/pdf/{evaluation['id']}")
        assert response.status_code == 200
        pages = PdfReader(io.BytesIO(response.content)).pages
        text = " ".join(" ".join(page.extract_text() for page in pages).split())
        for phrase in expected:
            assert phrase in text, phrase


async def test_comments_survive_a_restart(settings: Any) -> None:
    app, client = await open_client(settings)
    try:
        await client.start_session()
        evaluation = await evaluate(client, V1)
        await mark(client, evaluation["id"], 1, "done")
        cookies = dict(client.cookies)
    finally:
        await client.aclose()
        from memoai.app import stop

        await stop(app)
    app, client = await open_client(settings)  # the same database, a new process's app
    try:
        client.cookies.update(cookies)
        read = (await client.get(f"/api/v1/evaluations/{evaluation['id']}")).json()["data"]
        assert [c["state"] for c in read["segment_feedback"]] == ["open", "done", "open"]
    finally:
        await client.aclose()
        from memoai.app import stop

        await stop(app)
