"""The Admin tab's Status and Cohort sections: the API's status and cohort views as tables,
and their trends drawn by progress's chart code (one line per rubric version, never joined)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from memoai.progress import svg
from memoai.progress.chart import Chart
from memoai.translations import gettext as _
from memoai.translations import ngettext, number
from memoai.web.admin_pages import AdminView, first_error, url
from memoai.web.progress_pages import ProgressPages

if TYPE_CHECKING:
    from memoai.web.pages import WebApp

STATUS = "admin/_status.html"
COHORT = "admin/_cohort.html"
PANEL_H = 120
# Average glyph widths of the charts' font (DejaVu Sans: digits 0.64 em), regular and bold.
GLYPH, BOLD_GLYPH = 0.62, 0.66
BUCKETS = ("month", "week")
TABLES = ("users", "criteria", "opportunities")


def _moment(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value[:10]), datetime.min.time(), tzinfo=UTC)


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    panels: list[svg.Panel],
    current: str,
    size: svg.Size = svg.WIDE,
) -> str:
    """Panels one under another, drawn by progress's own panel code, moved right as far as
    their longest axis label needs (all alike, so their time axes line up); at the narrow
    size (a phone) titled in one line."""
    x = _room(panels, size)
    body: list[str] = []
    for index, panel in enumerate(panels):
        body.extend(
            svg.draw_panel(
                replace(panel, label=_fitted(panel.label, size, x)) if size.narrow else panel,
                x,
                30 + index * (PANEL_H + 50),
                size.width - x - 10,
                PANEL_H,
                current,
                title_size=size.title,
                font=size.font,
            )
        )
    return svg.frame(chart_id, title, desc, size.width, 30 + len(panels) * (PANEL_H + 50), body)


def _room(panels: list[svg.Panel], size: svg.Size) -> float:
    """Where the panels start so their widest y-axis label (drawn right-aligned 8 + 2 fonts
    in) stays inside the drawing: 150,000 tokens is wider than that."""
    widest = max((len(p.fmt(tick)) for p in panels for tick in p.ticks), default=0)
    return max(10.0, round(widest * size.font * GLYPH - 8 - 2 * size.font + 4))


def _fitted(label: str, size: svg.Size, x: float) -> str:
    """The panel's title, drawn from `x`, cut to fit the narrow drawing (the figure's caption
    and the data table name it in full)."""
    limit = int((size.width - x - 10) / (size.title * BOLD_GLYPH))
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def line_charts(
    chart_id: str,
    title: str,
    desc: str,
    panels: list[svg.Panel],
    current: str,
    columns: list[str],
    rows: list[list[str]],
) -> Chart:
    """The chart drawn twice, as the Progress tab's are: for wide screens, and for a phone's
    width (shown there instead, at about its own size, so its text stays readable)."""
    wide = line_chart(chart_id, title, desc, panels, current)
    narrow = line_chart(f"{chart_id}-narrow", title, desc, panels, current, svg.NARROW)
    return Chart(chart_id, title, desc, wide, columns, rows, narrow_svg=narrow)


def usage_chart(usage: dict[str, Any]) -> Chart:
    """Cost and tokens per day, oldest first."""
    days = usage["per_day"]
    cost = [svg.Point(_moment(d["day"]), d["cost_usd"], "usage") for d in days]
    tokens = [
        svg.Point(_moment(d["day"]), d["prompt_tokens"] + d["completion_tokens"], "usage")
        for d in days
    ]
    high_cost = max((p.value or 0.0 for p in cost), default=0.0)
    high_tokens = max((p.value or 0.0 for p in tokens), default=0.0)
    panels = [
        svg.Panel(_("Estimated cost (USD)"), cost, 0.0, svg.nice_ticks(high_cost, 3)[-1],
                  svg.nice_ticks(high_cost, 3), lambda v: number(v, "0.00")),
        svg.Panel(_("Tokens (prompt and completion)"), tokens, 0.0,
                  svg.nice_ticks(high_tokens, 3)[-1], svg.nice_ticks(high_tokens, 3),
                  lambda v: number(v, "#,##0")),
    ]  # fmt: skip
    days_shown, total = usage["days"], usage["total"]
    title = ngettext("Model usage, last %(num)s day", "Model usage, last %(num)s days", days_shown)
    title %= {"num": days_shown}
    desc = " ".join(
        (
            ngettext("%(num)s evaluation", "%(num)s evaluations", total["evaluations"])
            % {"num": number(total["evaluations"])},
            ngettext(
                "and %(num)s chat reply cost an estimated $%(cost)s.",
                "and %(num)s chat replies cost an estimated $%(cost)s.",
                total["chat_replies"],
            )
            % {"num": number(total["chat_replies"]), "cost": number(total["cost_usd"], "#,##0.00")},
        )
    )
    rows = [
        [d["day"], number(d["evaluations"]), number(d["chat_replies"]),
         number(d["prompt_tokens"] + d["completion_tokens"]),
         number(d["cost_usd"], "#,##0.0000")]
        for d in reversed(days) if d["evaluations"] or d["chat_replies"]
    ]  # fmt: skip
    columns = [_("Day (UTC)"), _("Evaluations"), _("Chat replies"), _("Tokens"), _("Cost (USD)")]
    return line_charts("chart-usage", title, desc, panels, "usage", columns, rows)


def criterion_chart(view: dict[str, Any], criterion_id: str, index: int) -> Chart:
    """One criterion's mean per period, one line per rubric version."""
    series = [s for s in view["criteria"] if s["criterion_id"] == criterion_id]
    versions = {v["rubric_version"]: v for v in view["rubric_versions"]}
    low = min(versions[s["rubric_version"]]["scale_min"] for s in series)
    high = max(versions[s["rubric_version"]]["scale_max"] for s in series)
    points = sorted(
        (svg.Point(_moment(p["period"]), p["mean"], s["rubric_version"])
         for s in series for p in s["points"]),
        key=lambda p: (p.at, p.group),
    )  # fmt: skip
    active = next(
        (v for v, info in versions.items() if info["active"]), series[-1]["rubric_version"]
    )
    name = series[-1]["name"]
    ticks = [float(t) for t in range(low, high + 1)]
    chart_id = f"chart-cohort-{index}"
    desc = "; ".join(
        ngettext(
            "rubric %(version)s: mean %(mean)s over %(num)s score",
            "rubric %(version)s: mean %(mean)s over %(num)s scores",
            s["count"],
        )
        % {"version": s["rubric_version"], "mean": number(s["mean"], "0.00"), "num": s["count"]}
        + (
            _(", spread %(spread)s") % {"spread": number(s["stdev"], "0.00")}
            if s["stdev"] is not None
            else ""
        )
        for s in series
    )
    rows = [
        [p["period"], s["rubric_version"], number(p["count"]), number(p["mean"], "0.00"),
         "–" if p["stdev"] is None else number(p["stdev"], "0.00")]
        for s in series for p in s["points"]
    ]  # fmt: skip
    panel = svg.Panel(name, points, float(low), float(high), ticks)
    columns = [_("Period"), _("Rubric version"), _("Scores"), _("Mean"), _("Spread")]
    return line_charts(chart_id, name, desc, [panel], active, columns, rows)


def drawn(chart: Chart) -> tuple[Chart, Markup]:
    return chart, Markup(chart.svg)  # noqa: S704 - charts escape every text they draw


class StatusPages(AdminView):
    async def status(self, request: Request) -> Response:
        backend = await self.backend(request)
        found = await backend.get("/api/v1/admin/status", {"days": 30})
        data = found.data if found.ok else None
        problems = [] if found.ok else [first_error(found)["message"]]
        charts = [drawn(usage_chart(data["usage"]))] if data else []
        return self.render(backend, STATUS, {"s": data, "charts": charts, "problems": problems})

    async def cohort(self, request: Request) -> Response:
        backend = await self.backend(request)
        bucket = request.query_params.get("bucket")
        bucket = bucket if bucket in BUCKETS else "month"
        found = await backend.get("/api/v1/admin/cohort", {"bucket": bucket})
        view = found.data if found.ok else None
        charts = []
        if view:
            ids = list(dict.fromkeys(s["criterion_id"] for s in view["criteria"]))
            charts = [drawn(criterion_chart(view, cid, n)) for n, cid in enumerate(ids)]
        context = {
            "c": view,
            "charts": charts,
            "bucket": bucket,
            "buckets": BUCKETS,
            "tables": TABLES,
            "problems": [] if found.ok else [first_error(found)["message"]],
        }
        return self.render(backend, COHORT, context)

    async def cohort_csv(self, request: Request) -> Response:
        await self.backend(request)
        table = request.query_params.get("table")
        bucket = request.query_params.get("bucket")
        query = {
            "table": table if table in TABLES else "users",
            "bucket": bucket if bucket in BUCKETS else "month",
        }
        downloads = ProgressPages(self.web)
        return await downloads.relay_download(request, url("/api/v1/admin/cohort.csv", query))


def status_routes(web: WebApp) -> list[Route]:
    """Admins only; everyone else gets a 404."""
    pages = StatusPages(web)
    return [
        Route("/ui/admin/status", pages.status, methods=["GET"]),
        Route("/ui/admin/cohort", pages.cohort, methods=["GET"]),
        Route("/ui/admin/cohort.csv", pages.cohort_csv, methods=["GET"]),
    ]
