"""The monitoring of one crawl, as the storage pipeline drives it.

During the crawl, :meth:`RunMonitor.count` counts field coverage per valid
listing. When the run record is final, :meth:`RunMonitor.review` adds the run's
health (coverage, blocked pages, rates), runs the checks against the site's
recent runs, and records and logs the alerts; :meth:`RunMonitor.deliver` then
sends them to the configured channels off the reactor thread and records how
that went. Nothing here can fail the crawl: errors are logged and recorded.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError
from twisted.internet import threads
from twisted.internet.defer import Deferred

from crawler.models import Listing
from crawler.monitoring.blocking import STAT_PREFIX as BLOCKED_PREFIX
from crawler.monitoring.blocking import STAT_TOTAL as BLOCKED_TOTAL
from crawler.monitoring.blocking import blocked_from_stats
from crawler.monitoring.channels import Notice, channels_from_settings, deliver
from crawler.monitoring.checks import CRITICAL, check_run, error_rate
from crawler.monitoring.config import global_options, resolve
from crawler.monitoring.coverage import STAT_PREFIX as COVERAGE_PREFIX
from crawler.monitoring.coverage import FieldCoverage, coverage_from_stats
from crawler.monitoring.store import recent_runs, record_alerts, record_delivery, record_review

logger = logging.getLogger("trawler.monitoring")

CONFIRMED = "trawler/incremental/listings_confirmed"


def run_health(run: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """What the run record gains from monitoring: coverage, listings per kind, blocked pages and rates."""
    coverage, by_kind = coverage_from_stats(stats)
    counts = run.get("counts") or {}
    # An incremental recrawl (crawler/incremental/) confirms unchanged listings without extracting them again.
    confirmed = int(stats.get(CONFIRMED, 0) or 0)
    return {
        "listings_seen": int(counts.get("listings_extracted") or 0) + confirmed,
        "coverage": coverage,
        "listings_by_kind": by_kind,
        **blocked_from_stats(stats),
        "error_rate": error_rate(counts),
    }


def health_stats(stats: dict[str, Any]) -> dict[str, int]:
    """The counters :func:`run_health` reads, for summing the shares of a distributed crawl's workers."""
    wanted = (COVERAGE_PREFIX, BLOCKED_PREFIX)
    exact = (BLOCKED_TOTAL, "downloader/response_count", CONFIRMED)
    return {k: int(v or 0) for k, v in stats.items() if k.startswith(wanted) or k in exact}


class RunMonitor:
    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.coverage = FieldCoverage()
        global_options(settings)  # a wrong TRAWLER_MONITORING stops the crawl at its start, not at its end

    def count(self, listing: Listing) -> None:
        self.coverage.add(listing)

    def sync(self, stats: Any) -> None:
        self.coverage.sync(stats)

    def review(self, db: Database, run: dict[str, Any], stats: dict[str, Any], profile: Any) -> dict[str, Any]:
        """Check the finished run; return the run record with its health and ``alerts``."""
        try:
            return self._review(db, run, stats, profile)
        except Exception:
            logger.exception("monitoring could not review run %s", run.get("_id"))
            return run

    def _review(self, db: Database, run: dict[str, Any], stats: dict[str, Any], profile: Any) -> dict[str, Any]:
        thresholds = resolve(self.settings, profile)
        health = run_health(run, stats)
        reviewed = {**run, **health}
        alerts: list[dict[str, Any]] = []
        if thresholds.enabled:
            try:
                history = recent_runs(db, reviewed, thresholds.history_runs, thresholds.history_days)
            except PyMongoError as exc:
                logger.warning("cannot read the earlier runs of %s (%s); only absolute checks run", run["site"], exc)
                history = []
            alerts = [a.as_dict() for a in check_run(reviewed, history, thresholds)]
        for alert in alerts:
            logger.warning("alert [%s] %s: %s", alert["severity"], alert["check"], alert["message"])
        reviewed["alerts"] = alerts
        try:
            record_review(db, run["_id"], {**health, "alerts": alerts})
            record_alerts(db, reviewed, alerts, datetime.now(UTC))
        except PyMongoError as exc:
            logger.warning("cannot record the alerts of run %s: %s", run["_id"], exc)
        return reviewed

    def deliver(self, db: Database, run: dict[str, Any]) -> Deferred | None:
        """Send the run's alerts to the configured channels in a thread; ``None`` when there is nothing to send."""
        channels, broken = channels_from_settings(self.settings)
        if not run.get("alerts") or not (channels or broken):
            return None
        return threads.deferToThread(self.send, db, run)

    def send(self, db: Database, run: dict[str, Any]) -> None:
        """Send the run's alerts to the configured channels now (it blocks: not on the reactor thread) and record
        how that went in the run record."""
        channels, broken = channels_from_settings(self.settings)
        if not run.get("alerts") or not (channels or broken):
            return
        results = broken + deliver(channels, alert_notice(run))
        try:
            record_delivery(db, run["_id"], [r.as_dict() for r in results])
        except PyMongoError as exc:
            logger.warning("cannot record the alert delivery of run %s: %s", run["_id"], exc)


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def alert_notice(run: dict[str, Any]) -> Notice:
    """The message about one run's alerts: e-mail subject and text, and the webhook's JSON payload."""
    alerts = run["alerts"]
    site = run.get("site", "?")
    worst = CRITICAL if any(a["severity"] == CRITICAL for a in alerts) else alerts[0]["severity"]
    subject = f"[trawler] {site}: {len(alerts)} alert{'s' if len(alerts) != 1 else ''} ({worst})"
    started = run.get("started_at")
    when = f"{started:%Y-%m-%d %H:%M} UTC" if isinstance(started, datetime) else "?"
    lines = [f"The crawl run {run['_id']} of {site} (started {when}, status {run.get('status')}) raised:", ""]
    for alert in alerts:
        about = f" ({alert['subject']})" if alert.get("subject") else ""
        lines += [f"[{alert['severity']}] {alert['check']}{about}", alert["message"], ""]
    lines.append(f"All recent alerts: trawler alerts --site {site}")
    payload = {
        "event": "trawler.run_alerts",
        "site": site,
        "run_id": run["_id"],
        "status": run.get("status"),
        "started_at": _json(started),
        "finished_at": _json(run.get("finished_at")),
        "alerts": _json(alerts),
    }
    return Notice(subject, "\n".join(lines) + "\n", payload)
