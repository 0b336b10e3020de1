"""The Admin tab's Status and Cohort sections through the web interface: tables from the API's
views, charts drawn by the progress chart code, and the cohort's CSV relayed."""

from __future__ import annotations

from sqlalchemy import select

from memoai.db import utcnow
from memoai.sessions.models import Session
from tests.admin.usage_seed import RUBRIC_V1, RUBRIC_V2, Spec, add_evaluations
from tests.web.conftest import Site
from tests.web.dom import parse
from tests.web.test_admin_pages import HTMX, admin_site, get  # noqa: F401 (a fixture)

XSS = "<img src=x onerror=alert(1)>"


async def seed(site: Site) -> None:
    async with site.api.state.db.engine.begin() as conn:
        row = (await conn.execute(select(Session.id, Session.user_id).where(
            Session.user_id.is_not(None)))).first()  # fmt: skip
        assert row is not None
        owner = (row.user_id, row.id)
        now = utcnow()
        priced = {"provider": "claude", "model": "claude-haiku-4-5", "cost_usd": 0.25}
        await add_evaluations(
            conn,
            [
                Spec(owner, now, {"purpose": 2}, RUBRIC_V1, opportunities=[XSS], **priced),
                Spec(owner, now, {"purpose": 4}, RUBRIC_V2, **priced),
            ],
        )


async def test_status_section_draws_usage_and_cost(admin_site: Site) -> None:  # noqa: F811
    await seed(admin_site)
    root = await get(admin_site, "/ui/admin/status")
    section = root.select("div", cls="admin-section")[0]
    assert section.attrs["data-section"] == "status"
    assert "Model provider" in root.text and "offline" in root.text
    figure = root.select("figure")[0]
    assert "Model usage, last 30 days" in figure.text
    assert "$0.50" in figure.text  # the chart's description, with the day's cost
    assert root.select("svg")  # drawn by progress's panel code
    assert "claude · claude-haiku-4-5" in root.text


async def test_cohort_section_keeps_versions_apart_and_downloads(admin_site: Site) -> None:  # noqa: F811
    await seed(admin_site)
    response = await admin_site.browser.get("/ui/admin/cohort?bucket=week", headers=HTMX)
    assert response.status_code == 200
    assert XSS not in response.text  # an opportunity is shown as text
    root = parse(response.text)
    assert "2 rubric versions" in root.text and RUBRIC_V2 in root.text
    charts = root.select("figure")
    assert len(charts) == 1 and "rubric 1.0:aaaa" in charts[0].text and RUBRIC_V2 in charts[0].text
    download = await admin_site.browser.get("/ui/admin/cohort.csv?table=opportunities")
    assert download.status_code == 200, download.text[:300]
    assert download.headers["content-type"].startswith("text/csv")
    assert "opportunity,evaluations,users,share" in download.text
