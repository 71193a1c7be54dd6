"""The dashboard's answers: listings collected per day and site, indicators over time, top linked entities,
latest crawl runs with their alerts.

The embedded server evaluates every document a query matches, so nothing here asks for "all listings of the
last two weeks". Each figure comes from the narrowest source that holds it:

- listings collected per day and site: the ``counts.listings_new`` of the crawl runs in the window (the run
  record is a counter kept at write time), one query per site on ``crawl_runs (site, started_at)``;
- listings with an indicator, per category and day: one query per category on
  ``listing_terms (tokens, ts)`` (crawler/query/terms.py) for the token ``indcat:<category>`` within the
  window, projected to the date key; it reads exactly the flagged listings of the window. The terms are
  written after each crawl (and every minute by ``trawler serve``), so this series lags the listings by as
  much as the search does;
- top linked entities: entities on the most sites, read from ``entities (site_count)`` one site count at a
  time, highest first, until enough are found (entities linking several sites are few);
- the sites and indicator categories themselves: the write-time facet counters (one point read), plus the
  scheduled sites (one small document per site).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, Field
from pymongo.database import Database

from crawler.query import counters
from crawler.query.models import EntityRef, utc
from crawler.query.tokens import tag
from crawler.storage.schema import ENTITIES, RUNS, SCHEDULES, TERMS

MAX_DAYS = 90
TOP_ENTITIES = 10
LATEST_RUNS = 20
# What the dashboard reads of a run record (the log tail and coverage tables stay on the server).
RUN_FIELDS = {
    "site": 1,
    "status": 1,
    "trigger": 1,
    "started_at": 1,
    "finished_at": 1,
    "counts": 1,
    "alerts": 1,
    "crawl_id": 1,
}


class DailyCounts(BaseModel):
    """Counts per UTC day, one series per name (a site, an indicator category), zeros included."""

    days: list[date]
    series: dict[str, list[int]] = Field(default_factory=dict, description="name: one count per day of `days`")

    def totals(self) -> dict[str, int]:
        return {name: sum(values) for name, values in self.series.items()}


class RunAlert(BaseModel):
    check: str
    severity: str
    subject: str | None = None
    message: str = ""


class RunSummary(BaseModel):
    id: str
    site: str
    status: str
    trigger: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    listings_new: int = 0
    listings_extracted: int = 0
    errors: int = 0
    alerts: list[RunAlert] = Field(default_factory=list)


class TopEntity(EntityRef):
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class Dashboard(BaseModel):
    since: datetime = Field(description="start of the first day shown (UTC midnight)")
    until: datetime
    sites: list[str]
    collected: DailyCounts = Field(description="new listings stored per day, per site (from the crawl runs)")
    indicators: DailyCounts = Field(description="listings with an indicator of each category, per posted day")
    top_entities: list[TopEntity]
    runs: list[RunSummary] = Field(description="the latest crawl runs in the window, newest first")


def window(days: int, now: datetime | None = None) -> tuple[datetime, datetime, list[date]]:
    """The last ``days`` UTC days up to ``now`` (today included): start, end, and the days."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    now = utc(now) or datetime.now(UTC)
    first = now.date() - timedelta(days=days - 1)
    return datetime.combine(first, time(), UTC), now, [first + timedelta(days=n) for n in range(days)]


def known_sites(db: Database, facets: dict[str, dict[str, int]] | None = None) -> list[str]:
    """Sites with stored listings (write-time counters, ``facets`` when already read) or a schedule."""
    sites = set((facets or counters.stored_facets(db))["site"])
    sites.update(str(doc["_id"]) for doc in db[SCHEDULES].find({}, {"_id": 1}))
    return sorted(sites - {counters.NONE})


def runs_in_window(db: Database, sites: Iterable[str], since: datetime) -> list[dict[str, Any]]:
    """Every run started since ``since`` of each site, newest first: one query per site on (site, started_at)."""
    found: list[dict[str, Any]] = []
    for site in sites:
        found += db[RUNS].find({"site": site, "started_at": {"$gte": since}}, RUN_FIELDS)
    return sorted(found, key=lambda r: (utc(r.get("started_at")) or since, r["_id"]), reverse=True)


def _is_whole_crawl(run: dict[str, Any]) -> bool:
    # A scaled-out crawl has one record for the crawl and one per worker (crawler/scaleout/record.py); the
    # crawl's record sums its workers' counts, so the workers' own records would count everything twice.
    return not run.get("crawl_id") or run.get("crawl_id") == run["_id"]


def collected_per_day(runs: Iterable[dict[str, Any]], sites: Iterable[str], days: list[date]) -> DailyCounts:
    """New listings per day and site: each run's ``counts.listings_new`` on the day it started."""
    index = {day: n for n, day in enumerate(days)}
    series = {site: [0] * len(days) for site in sites}
    for run in runs:
        started = utc(run.get("started_at"))
        if started is None or not _is_whole_crawl(run) or started.date() not in index:
            continue
        row = series.setdefault(run.get("site") or counters.NONE, [0] * len(days))
        row[index[started.date()]] += int((run.get("counts") or {}).get("listings_new") or 0)
    return DailyCounts(days=days, series=dict(sorted(series.items())))


def indicators_per_day(db: Database, categories: Iterable[str], days: list[date], until: datetime) -> DailyCounts:
    """Listings with an indicator of each category, per day of their date key (posted, else first seen)."""
    since = datetime.combine(days[0], time(), UTC)
    index = {day: n for n, day in enumerate(days)}
    series: dict[str, list[int]] = {}
    for category in sorted(categories):
        row = [0] * len(days)
        query = {
            "tokens": tag("indicator_category", category),
            "ts": {"$gte": since.timestamp(), "$lte": until.timestamp()},
        }
        for doc in db[TERMS].find(query, {"ts": 1}):
            day = datetime.fromtimestamp(float(doc["ts"]), UTC).date()
            if day in index:
                row[index[day]] += 1
        series[category] = row
    return DailyCounts(days=days, series=series)


def top_entities(db: Database, since: datetime, max_sites: int, limit: int = TOP_ENTITIES) -> list[TopEntity]:
    """Entities seen since ``since`` on the most sites (then the most listings), at least two sites.

    Reads one site count at a time from the highest possible (``max_sites``) down, so it only reads the
    entities that rank; an entity on one site is not "linked" here.
    """
    found: list[dict[str, Any]] = []
    for count in range(max_sites, 1, -1):
        for entity in db[ENTITIES].find({"site_count": count}, {"listings": 0}):
            if (utc(entity.get("last_seen")) or since) >= since:
                found.append(entity)
        if len(found) >= limit:
            break
    found.sort(key=lambda e: (-int(e.get("site_count") or 0), -int(e.get("listing_count") or 0), e["_id"]))
    return [
        TopEntity(
            id=e["_id"],
            type=e.get("type") or e["_id"].split(":", 1)[0],
            value=e.get("value") or e["_id"].split(":", 1)[-1],
            listing_count=int(e.get("listing_count") or 0),
            site_count=int(e.get("site_count") or 0),
            first_seen=utc(e.get("first_seen")),
            last_seen=utc(e.get("last_seen")),
        )
        for e in found[:limit]
    ]


def run_summary(run: dict[str, Any]) -> RunSummary:
    counts = run.get("counts") or {}
    alerts = [a for a in run.get("alerts") or [] if isinstance(a, dict)]
    return RunSummary(
        id=run["_id"],
        site=run.get("site") or "",
        status=run.get("status") or "unknown",
        trigger=run.get("trigger"),
        started_at=utc(run.get("started_at")),
        finished_at=utc(run.get("finished_at")),
        listings_new=int(counts.get("listings_new") or 0),
        listings_extracted=int(counts.get("listings_extracted") or 0),
        errors=int(counts.get("errors") or 0),
        alerts=[
            RunAlert(
                check=str(a.get("check") or ""),
                severity=str(a.get("severity") or ""),
                subject=None if a.get("subject") is None else str(a["subject"]),
                message=str(a.get("message") or ""),
            )
            for a in alerts
        ],
    )


def dashboard(db: Database, days: int = 14, now: datetime | None = None) -> Dashboard:
    since, until, day_list = window(days, now)
    facets = counters.stored_facets(db)
    sites = known_sites(db, facets)
    runs = runs_in_window(db, sites, since)
    categories = [c for c in facets["indicator_category"] if c != counters.NONE]
    latest = [run_summary(r) for r in runs if _is_whole_crawl(r)][:LATEST_RUNS]
    return Dashboard(
        since=since,
        until=until,
        sites=sites,
        collected=collected_per_day(runs, sites, day_list),
        indicators=indicators_per_day(db, categories, day_list, until),
        top_entities=top_entities(db, since, max_sites=len(sites)),
        runs=latest,
    )


def per_day_rows(counts: DailyCounts) -> list[tuple[date, list[int]]]:
    """The counts as table rows: one per day, one cell per series (in ``counts.series`` order)."""
    return [(day, [values[n] for values in counts.series.values()]) for n, day in enumerate(counts.days)]
