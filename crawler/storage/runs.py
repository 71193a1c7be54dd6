"""The ``crawl_runs`` record: one document per site crawl, opened at start and completed at the end."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError

from crawler import __version__
from crawler.proxy import is_socks, redacted
from crawler.storage.connection import DatabaseConfig
from crawler.storage.schema import RUNS

# Scrapy stats worth keeping in the run record, under readable names.
_STAT_NAMES = {
    "pages": "response_received_count",
    "requests": "downloader/request_count",
    "listings_extracted": "trawler/listings_extracted",
    "listings_new": "trawler/listings_new",
    "listings_updated": "trawler/listings_updated",
    "listings_unchanged": "trawler/listings_unchanged",
    "listings_quarantined": "trawler/listings_quarantined",
    "listings_removed": "trawler/listings_removed",
    "items_spooled": "trawler/spooled",
    "hook_errors": "trawler/hook_errors",
    "pages_unextracted": "trawler/pages_unextracted",
    "spider_exceptions": "spider_exceptions/count",
    "download_errors": "downloader/exception_count",
    "storage_errors": "trawler/storage_errors",
    "robots_forbidden": "robotstxt/forbidden",
    "backoff_waits": "trawler/backoff/waits",  # 429/503 answers waited out (crawler/backoff.py)
    "backoff_seconds": "trawler/backoff/seconds",
    "backoff_gave_up": "trawler/backoff/gave_up",
}


# How a crawl's finish reason reads as a run status; any other reason is a failure.
STATUS_BY_REASON = {"finished": "finished", "cancelled": "cancelled", "shutdown": "interrupted"}


def new_run_id(site: str) -> str:
    """A fresh run id, or the one a launcher chose for this site's crawl (``TRAWLER_RUN_ID``, see
    crawler/scheduling/launch.py) so it can follow the run before the crawl has started."""
    chosen = os.environ.get("TRAWLER_RUN_ID", "")
    if chosen.startswith(f"{site}-"):
        return chosen
    return f"{site}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"


def start(db: Database, run_id: str, site: str, profile: Any, config: DatabaseConfig, settings: Any) -> None:
    db[RUNS].insert_one(
        {
            "_id": run_id,
            "site": site,
            "platform_type": getattr(profile, "platform_type", None),
            "status": "running",
            "trigger": os.environ.get("TRAWLER_RUN_TRIGGER", "manual"),
            "started_at": datetime.now(UTC),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "trawler_version": __version__,
            "politeness": politeness(settings, profile),
        }
    )


def politeness(settings: Any, profile: Any) -> dict[str, Any]:
    """How the crawl treats the site, as it ran (the profile's politeness after every override): for the record."""
    proxy = getattr(profile, "proxy", None)
    return {
        "obey_robots": settings.getbool("ROBOTSTXT_OBEY"),
        "autothrottle": settings.getbool("AUTOTHROTTLE_ENABLED"),
        "download_delay": settings.getfloat("DOWNLOAD_DELAY"),
        "concurrency": settings.getint("CONCURRENT_REQUESTS"),
        "concurrency_per_domain": settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
        "user_agent": settings.get("USER_AGENT"),
        "retry_times": settings.getint("RETRY_TIMES"),
        "proxy": redacted(proxy),
        "proxy_kind": ("socks" if is_socks(proxy) else "http") if proxy else None,
    }


def record_resume(db: Database, run_id: str, earlier: tuple[str, ...]) -> None:
    """``run_id`` resumes the interrupted crawl that ``earlier`` runs worked on (crawler/jobs/): say so in its
    record (``resumed_from``: the last of them), and mark those still ``running`` (killed without a chance to
    complete their record) ``interrupted``."""
    db[RUNS].update_one({"_id": run_id}, {"$set": {"resumed_from": earlier[-1] if earlier else None}})
    if earlier:
        db[RUNS].update_many(
            {"_id": {"$in": list(earlier)}, "status": "running"},
            {"$set": {"status": "interrupted", "interrupted_at": datetime.now(UTC)}},
        )


# Requests a middleware dropped on purpose (robots.txt, counted as robots_forbidden; pages held while a new login
# is under way, sent again after it): Scrapy counts them as download exceptions, but nothing failed.
_DELIBERATE_DROPS = "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest"


def counts_from_stats(stats: dict[str, Any]) -> dict[str, int]:
    counts = {name: int(stats.get(key, 0) or 0) for name, key in _STAT_NAMES.items()}
    counts["download_errors"] -= int(stats.get(_DELIBERATE_DROPS, 0) or 0)
    counts["errors"] = sum(
        counts[k]
        for k in ("hook_errors", "spider_exceptions", "download_errors", "storage_errors", "pages_unextracted")
    )
    return counts


def hook_errors_by_plugin(stats: dict[str, Any]) -> dict[str, int]:
    prefix = "trawler/hook_errors/"
    return {key[len(prefix) :]: int(value) for key, value in stats.items() if key.startswith(prefix)}


def finish(db: Database, run_id: str, stats: dict[str, Any], reason: str, spooled_left: int) -> dict[str, Any]:
    counts = counts_from_stats(stats)
    status = STATUS_BY_REASON.get(reason, "failed")
    update = {
        "status": status,
        "finish_reason": reason,
        "finished_at": datetime.now(UTC),
        "counts": counts,
        "hook_errors": hook_errors_by_plugin(stats),
        "spooled_left": spooled_left,
        "elapsed_seconds": float(stats.get("elapsed_time_seconds") or 0.0),
        "error": stats.get("trawler/error"),
    }
    try:
        db[RUNS].update_one({"_id": run_id}, {"$set": update})
        return db[RUNS].find_one({"_id": run_id}) or {"_id": run_id, **update}
    except PyMongoError:
        return {"_id": run_id, **update}
