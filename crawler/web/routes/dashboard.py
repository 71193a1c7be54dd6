"""The dashboard, ``/``: listings collected per day and site, indicators over time, top linked entities,
latest crawl runs with their alerts (answers from :mod:`crawler.query.dashboard`).

Charts are drawn in the browser by Chart.js, vendored under ``/static/vendor/chartjs/`` (docs/web.md says
why): the page carries each chart's numbers in a ``<script type="application/json">`` element (inert data,
JSON-escaped by Jinja's ``tojson``) that ``/static/dashboard.js`` reads; every chart also has a table.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from crawler.accounts.roles import Role
from crawler.query.dashboard import MAX_DAYS, DailyCounts, dashboard, per_day_rows
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.links import entity_href
from crawler.web.page import render
from crawler.web.registry import WebExtension

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]
DEFAULT_DAYS = 14


def chart_data(counts: DailyCounts, label: str) -> dict[str, Any]:
    """What dashboard.js draws: day labels and one series per name."""
    return {
        "label": label,
        "days": [day.isoformat() for day in counts.days],
        "series": [{"name": name, "values": values} for name, values in counts.series.items()],
    }


@router.get("/", response_class=HTMLResponse)
def dashboard_page(
    request: Request, principal: Viewer, days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS
) -> Response:
    answer = dashboard(database(request), days)
    record(request, principal, "dashboard.view", {"days": days})
    context = {
        "board": answer,
        "days": days,
        "day_choices": (7, 14, 30, 90),
        "collected_rows": per_day_rows(answer.collected),
        "indicator_rows": per_day_rows(answer.indicators),
        "collected_chart": chart_data(answer.collected, "new listings"),
        "indicator_chart": chart_data(answer.indicators, "listings with an indicator"),
        "entity_href": entity_href,
    }
    return render(request, "dashboard.html", context, principal)


EXTENSION = WebExtension("dashboard", router, Role.VIEWER)
