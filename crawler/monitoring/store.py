"""Where monitoring reads and writes: a site's recent runs, the run record's health and alerts, the ``alerts`` log.

Every query is narrow on an index (the embedded server evaluates every matching
document even under a limit): recent runs on ``crawl_runs (site, started_at)``
bounded by a start date, alerts on ``alerts (at)`` or ``(site, at)``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from crawler.storage.schema import RUNS

ALERTS = "alerts"
ALERT_INDEXES = ([("at", DESCENDING)], [("site", ASCENDING), ("at", DESCENDING)], [("run_id", ASCENDING)])

# What the checks read from an earlier run; the rest of the record (log tail, hook errors...) stays on the server.
HISTORY_FIELDS = {
    "started_at": 1,
    "status": 1,
    "counts": 1,
    "listings_seen": 1,
    "coverage": 1,
    "listings_by_kind": 1,
    "ban_rate": 1,
    "blocked_by": 1,
    "resumed_from": 1,
}


def recent_runs(db: Database, run: dict[str, Any], limit: int, days: int) -> list[dict[str, Any]]:
    """The site's finished runs that started before ``run``, at most ``days`` earlier, newest first."""
    started = run.get("started_at") or datetime.now(UTC)
    query = {
        "site": run["site"],
        "started_at": {"$lt": started, "$gte": started - timedelta(days=days)},
        "status": "finished",
        "crawl_id": {"$exists": False},  # a distributed crawl's worker runs are shares, not runs of the site
    }
    return list(db[RUNS].find(query, HISTORY_FIELDS).sort("started_at", DESCENDING).limit(limit))


def record_review(db: Database, run_id: str, fields: dict[str, Any]) -> None:
    db[RUNS].update_one({"_id": run_id}, {"$set": fields})


def record_alerts(db: Database, run: dict[str, Any], alerts: list[dict[str, Any]], at: datetime) -> None:
    """One document per alert in ``alerts``; ``_id`` = run id and position, so recording twice changes nothing."""
    if not alerts:
        return
    collection = db[ALERTS]
    for keys in ALERT_INDEXES:
        collection.create_index(keys)
    for n, alert in enumerate(alerts):
        doc = {"run_id": run["_id"], "site": run.get("site"), "at": at, "run_started_at": run.get("started_at")}
        collection.replace_one({"_id": f"{run['_id']}#{n:03d}"}, {**doc, **alert}, upsert=True)


def record_delivery(db: Database, run_id: str, deliveries: list[dict[str, Any]]) -> None:
    db[RUNS].update_one({"_id": run_id}, {"$set": {"alert_delivery": deliveries}})


def latest_alerts(
    db: Database, site: str | None = None, since: datetime | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The newest alerts (optionally of one site) raised since ``since`` (default: 7 days ago)."""
    since = since or datetime.now(UTC) - timedelta(days=7)
    query: dict[str, Any] = {"at": {"$gte": since}}
    if site:
        query["site"] = str(site)
    return list(db[ALERTS].find(query).sort([("at", DESCENDING), ("_id", ASCENDING)]).limit(limit))
