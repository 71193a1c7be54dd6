"""The check after each crawl run: the storage pipeline hands over its alert delivery and gets it back
chained with the watchlist check, which runs in a thread once the run's own alerts are sent.

Skipped when the run stored no new or changed listing (nothing can be a new hit), when there is no
watchlist, or when ``TRAWLER_WATCHLISTS_AFTER_RUN`` is off; a saved search limited to other sites than the
run's is left for their runs. It cannot fail the crawl: errors are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pymongo.database import Database
from twisted.internet import threads
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.watchlists.checker import check_watchlists
from crawler.watchlists.models import Watchlist
from crawler.watchlists.store import WATCHLISTS

logger = logging.getLogger("trawler.watchlists")


def _worth_checking(db: Database, settings: Any, run: dict[str, Any]) -> bool:
    if not settings.getbool("TRAWLER_WATCHLISTS_AFTER_RUN", True):
        return False
    counts = run.get("counts") or {}
    if not (int(counts.get("listings_new") or 0) or int(counts.get("listings_updated") or 0)):
        return False
    try:
        return db[WATCHLISTS].find_one({}, {"_id": 1}) is not None
    except Exception as exc:
        logger.warning("cannot read the watchlists after run %s: %s", run.get("_id"), exc)
        return False


def _concerns(site: str) -> Callable[[Watchlist], bool]:
    """Whether a run of ``site`` can have brought a watchlist new hits: not when its search names other sites.
    (Such a watchlist's checkpoint stays where it is; the runs of its own sites check it.)"""

    def concerned(watchlist: Watchlist) -> bool:
        return watchlist.search is None or not watchlist.search.site or site in watchlist.search.site

    return concerned


def _check(db: Database, settings: Any, run_id: str, site: str) -> None:
    try:
        results = check_watchlists(db, settings, only=_concerns(site))
    except Exception:
        logger.exception("the watchlist check after run %s failed", run_id)
        return
    found = sum(len(r.new_hits) for r in results)
    logger.info("watchlists checked after run %s: %d new hit(s) in %d watchlist(s)", run_id, found, len(results))


def check_after_run(db: Database, settings: Any, run: dict[str, Any], pending: Deferred | None) -> Deferred | None:
    """``pending`` (the run's alert delivery, or None) followed by the watchlist check, both off the reactor."""
    if not _worth_checking(db, settings, run):
        return pending
    run_id, site = str(run.get("_id")), str(run.get("site") or "")
    if pending is None:
        return threads.deferToThread(_check, db, settings, run_id, site)

    def then_check(previous: Any) -> Deferred:
        if isinstance(previous, Failure):  # what came before failed: say so, and check all the same
            logger.error("before the watchlist check of run %s: %s", run_id, previous.getTraceback())
        return threads.deferToThread(_check, db, settings, run_id, site)

    return pending.addBoth(then_check)
