"""The cohort view on seeded evaluations under two rubric versions: per criterion averages and
spread per period, frequent opportunities, each user's latest and best, and the CSV tables."""

from __future__ import annotations

import csv
import io
import math
import uuid
from datetime import UTC, datetime

import pytest

from memoai.db import utcnow
from memoai.evaluations.models import Status
from memoai.sessions.models import Session
from tests.admin.accounts import Admin
from tests.admin.usage_seed import RUBRIC_V1, RUBRIC_V2, Spec, add_evaluations, add_users

FORMULA = '=HYPERLINK("http://evil.example","click")'


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def v1(purpose: int, evidence: int, clarity: int) -> dict[str, int]:
    return {"purpose": purpose, "evidence": evidence, "clarity": clarity}


def v2(purpose: int, evidence: int, brevity: int) -> dict[str, int]:
    return {"purpose": purpose, "evidence": evidence, "brevity": brevity}


async def seed(admin: Admin) -> dict[str, str]:
    async with admin.auth.app.state.db.engine.begin() as conn:
        people = await add_users(conn, ["ann", "ben", "cat"])
        anonymous = uuid.uuid4()
        now = utcnow()
        await conn.execute(
            Session.__table__.insert().values(
                id=anonymous, token_hash=uuid.uuid4().hex * 2, created_at=now, last_seen_at=now,
                expires_at=now,
            )
        )  # fmt: skip
        ann, ben, cat = people["ann"], people["ben"], people["cat"]
        risks, cost = ["Name the risks."], ["Quantify the cost."]
        await add_evaluations(
            conn,
            [
                Spec(ann, at(9, 10), v1(2, 3, 4), opportunities=[*cost, *risks]),
                Spec(ben, at(9, 20), v1(4, 5, 2), opportunities=["Quantify the COST!"]),
                Spec(ann, at(10, 5), v1(5, 5, 5), opportunities=risks),
                Spec(ann, at(11, 10), v2(3, 3, 3), RUBRIC_V2),
                Spec(ben, at(11, 12), v2(4, 4, 4), RUBRIC_V2),
                Spec(cat, at(11, 15), v2(1, 1, 1), RUBRIC_V2, status=Status.FAILED),
                Spec((None, anonymous), at(11, 16), v2(5, 5, 5), RUBRIC_V2,
                     opportunities=["Quantify the cost", FORMULA]),
                Spec(ben, at(11, 20), v2(2, 2, 2), RUBRIC_V2),
            ],
        )  # fmt: skip
    return {name: str(ids[0]) for name, ids in people.items()}


def series(view: dict, version: str, criterion: str) -> dict:  # type: ignore[type-arg]
    found = [
        s
        for s in view["criteria"]
        if (s["rubric_version"], s["criterion_id"]) == (version, criterion)
    ]
    assert len(found) == 1, (version, criterion)
    return found[0]


async def test_cohort_keeps_rubric_versions_apart(admin: Admin) -> None:
    ids = await seed(admin)
    view = await admin.ok("GET", "/api/v1/admin/cohort")
    assert (view["evaluations"], view["participants"], view["bucket"]) == (7, 3, "month")
    versions = {v["rubric_version"]: v for v in view["rubric_versions"]}
    assert list(versions) == [RUBRIC_V1, RUBRIC_V2]
    assert versions[RUBRIC_V1]["evaluations"] == 3 and versions[RUBRIC_V2]["evaluations"] == 4
    assert versions[RUBRIC_V1]["criteria"] == ["purpose", "evidence", "clarity"]
    assert not versions[RUBRIC_V1]["active"] and not versions[RUBRIC_V2]["active"]

    purpose = series(view, RUBRIC_V1, "purpose")
    assert [p["period"] for p in purpose["points"]] == ["2026-09-01", "2026-10-01"]
    september, october = purpose["points"]
    assert (september["count"], september["mean"], september["min"], september["max"]) == (
        2, 3.0, 2, 4,
    )  # fmt: skip
    assert september["stdev"] == pytest.approx(math.sqrt(2), abs=1e-3)
    assert (october["count"], october["mean"], october["stdev"]) == (1, 5.0, None)
    newer = series(view, RUBRIC_V2, "purpose")  # the same id, another version: its own series
    assert (newer["count"], newer["mean"]) == (4, 3.5)
    assert newer["stdev"] == pytest.approx(math.sqrt(5 / 3), abs=1e-3)
    assert newer["points"][0]["period"] == "2026-11-01"
    series(view, RUBRIC_V2, "brevity")
    assert not [s for s in view["criteria"] if s["criterion_id"] == "clarity"
                and s["rubric_version"] == RUBRIC_V2]  # fmt: skip

    first, second = view["opportunities"][:2]
    assert (first["text"], first["evaluations"], first["users"]) == ("Quantify the cost", 3, 3)
    assert first["share"] == pytest.approx(3 / 7, abs=1e-4)
    assert (second["text"], second["evaluations"], second["users"]) == ("Name the risks.", 2, 1)

    users = {u["username"]: u for u in view["users"]}
    assert list(users) == ["ann", "ben"]  # cat has no completed evaluation
    ann, ben = users["ann"], users["ben"]
    assert ann["user_id"] == ids["ann"] and ann["evaluations"] == 3
    # ann's 5.0 was under the old rubric: her best is her best under the latest's version.
    assert (ann["latest"]["overall_score"], ann["latest"]["rubric_version"]) == (3.0, RUBRIC_V2)
    assert (ann["best"]["overall_score"], ann["other_versions"]) == (3.0, 2)
    assert (ben["latest"]["overall_score"], ben["best"]["overall_score"]) == (2.0, 4.0)
    assert ben["best"]["at"].startswith("2026-11-12") and ben["other_versions"] == 1


async def test_cohort_by_week_and_since(admin: Admin) -> None:
    await seed(admin)
    weekly = await admin.ok("GET", "/api/v1/admin/cohort?bucket=week")
    periods = [p["period"] for p in series(weekly, RUBRIC_V1, "purpose")["points"]]
    assert periods == ["2026-09-07", "2026-09-14", "2026-10-05"]  # Mondays
    recent = await admin.ok("GET", "/api/v1/admin/cohort?since=2026-11-01T00:00:00Z")
    assert recent["evaluations"] == 4
    assert [v["rubric_version"] for v in recent["rubric_versions"]] == [RUBRIC_V2]
    assert {u["username"]: u["other_versions"] for u in recent["users"]} == {"ann": 0, "ben": 0}
    for bad in ("bucket=day", "since=2026-11-01", "table=x"):
        path = "/api/v1/admin/cohort" + (".csv" if bad.startswith("table") else "")
        response = await admin.call("GET", f"{path}?{bad}")
        assert response.status_code == 422, (bad, response.text)


async def test_cohort_csv_tables(admin: Admin) -> None:
    await seed(admin)

    async def table(name: str) -> list[dict[str, str]]:
        response = await admin.call("GET", f"/api/v1/admin/cohort.csv?table={name}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert f"memo-cohort-{name}-" in response.headers["content-disposition"]
        return list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))

    users = {row["username"]: row for row in await table("users")}
    assert (
        users["ben"]["best_score"] == "4.0" and users["ben"]["latest_rubric_version"] == RUBRIC_V2
    )
    criteria = await table("criteria")
    assert {(r["rubric_version"], r["criterion_id"]) for r in criteria} >= {
        (RUBRIC_V1, "clarity"), (RUBRIC_V2, "brevity"),
    }  # fmt: skip
    assert len(criteria) == 3 * 2 + 3  # V1: two months of three criteria; V2: one month
    texts = [row["opportunity"] for row in await table("opportunities")]
    assert "'" + FORMULA in texts and FORMULA not in texts  # a formula is shown as text


async def test_a_new_evaluation_shows_at_once(admin: Admin) -> None:
    """The view is kept between requests, but never past a newly completed evaluation."""
    ids = await seed(admin)
    assert (await admin.ok("GET", "/api/v1/admin/cohort"))["evaluations"] == 7
    assert (await admin.ok("GET", "/api/v1/admin/cohort"))["evaluations"] == 7
    async with admin.auth.app.state.db.engine.begin() as conn:
        session_id = (
            await conn.execute(
                Session.__table__.select().where(Session.user_id == uuid.UUID(ids["cat"]))
            )
        ).first()
        assert session_id is not None
        owner = (uuid.UUID(ids["cat"]), session_id.id)
        await add_evaluations(conn, [Spec(owner, at(11, 2), v2(1, 1, 1), RUBRIC_V2)])
    view = await admin.ok("GET", "/api/v1/admin/cohort")
    assert view["evaluations"] == 8
    assert [u["username"] for u in view["users"]] == ["ann", "ben", "cat"]
