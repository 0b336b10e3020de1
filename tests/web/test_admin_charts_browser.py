"""The Admin tab's Status and Cohort charts in Debian's Chromium against a real `memoai serve`
in login mode (slow suite), with a month of priced evaluations under two rubric versions
written into its database: on a 390 px phone each chart shows its narrow drawing, whose text
renders at 11 px or more, the page does not scroll sideways and axe finds nothing; on a desktop
the wide drawing shows as before. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from memoai.db import create_engine
from tests.admin.usage_seed import add_evaluations, add_users, random_specs
from tests.web import browser as b
from tests.web.test_admin_browser import open_admin, open_section
from tests.web.test_auth_browser import PASSWORD
from tests.web.test_browser import Watched, no_horizontal_scroll

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=15_000)

PHONE = {"width": 390, "height": 844}
# The smallest text of the charts shown, in CSS px: each <text>'s font size times the scale
# its <svg> is drawn at (its rendered width over its viewBox's).
SMALLEST_TEXT = """(selector) => Math.min(...[...document.querySelectorAll(selector)]
    .filter(svg => svg.getBoundingClientRect().width > 0)
    .flatMap(svg => {
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return [...svg.querySelectorAll('text')].map(
            t => parseFloat(t.getAttribute('font-size')) * scale);
    }))"""


def expect(locator: Any) -> Any:
    return playwright_api.expect(locator)


async def seed(url: str) -> None:
    """400 priced evaluations by three users over the last 30 days (a rubric change 10 days
    ago), written as the admin tests' seed writes them: tens of thousands of tokens a day."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            owners = list((await add_users(conn, ["ann", "ben", "cy"])).values())
            await add_evaluations(conn, random_specs(owners, 400, days=30))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    data_dir = tmp_path_factory.mktemp("admin-charts")
    with b.login_server(data_dir, PASSWORD, {"root": True}) as running:
        asyncio.run(seed(running.env["DATABASE_URL"]))
        yield running


def charts_shown(page: Any, phone: bool) -> float:
    """The figures' drawings for this screen are the ones shown; their smallest text in px."""
    figures = page.locator("#admin-body figure.chart-card")
    assert figures.count() >= 1
    for figure in figures.all():
        shown, hidden = (
            (".chart-narrow", ".chart-wide") if phone else (".chart-wide", ".chart-narrow")
        )
        expect(figure.locator(f"{shown} svg")).to_be_visible()
        expect(figure.locator(f"{hidden} svg")).to_be_hidden()
        box = figure.locator(f"{shown} svg").bounding_box()
        assert (
            box is not None
            and box["x"] >= 0
            and box["x"] + box["width"] <= page.viewport_size["width"]
        )
    return float(page.evaluate(SMALLEST_TEXT, "#admin-body figure .chart-svg svg"))


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_status_and_cohort_charts_read_well(server: b.Server, chromium: Any, viewport: str) -> None:
    phone = viewport == "phone"
    size = PHONE if phone else b.DESKTOP
    watched = Watched(chromium.new_context(viewport=size, is_mobile=phone))
    page = watched.page
    open_admin(page, server)
    found: dict[str, Any] = {}
    smallest: dict[str, float] = {}
    fits: dict[str, bool] = {}

    open_section(page, "Status")
    expect(page.locator("#chart-usage-caption")).to_have_text("Model usage, last 30 days")
    smallest["status"] = charts_shown(page, phone)
    fits["status"] = no_horizontal_scroll(page)
    found["status"] = b.run_axe(page)
    b.screenshot(page, f"{viewport}-admin-status-charts")

    open_section(page, "Cohort")
    expect(page.locator("#admin-body figure.chart-card")).to_have_count(4)
    page.locator("#admin-body .admin-section").evaluate("s => s.dataset.shown = 'month'")
    page.select_option("#cohort-bucket", "week")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#admin-body [data-shown]")).to_have_count(0)  # the weeks came in
    expect(page.locator("#admin-body figure.chart-card")).to_have_count(4)  # 2 + 1 + 1 criteria
    smallest["cohort"] = charts_shown(page, phone)
    fits["cohort"] = no_horizontal_scroll(page)
    found["cohort"] = b.run_axe(page)
    b.screenshot(page, f"{viewport}-admin-cohort-charts")
    watched.close()

    assert {name: v for name, v in found.items() if v} == {}
    assert all(fits.values()), fits
    if phone:  # the narrow drawing, shown at about its own size
        assert min(smallest.values()) >= 11, smallest
    else:  # the wide drawing as it always was: 10-unit text on a 720-unit chart
        assert min(smallest.values()) >= 9, smallest
