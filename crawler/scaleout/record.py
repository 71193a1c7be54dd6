"""The run records of a distributed crawl, and its removed marks.

One crawl, several processes: each worker process keeps its own ``crawl_runs`` record (the storage pipeline
writes it as for any crawl; its counts are that process's share) tagged with ``crawl_id`` and ``worker``. The
crawl as a whole has one more record, ``_id`` = the crawl id and ``distributed: true``, opened by ``seed``
and completed by the last worker to leave the drained crawl: the workers' counts summed, the worker run ids,
and the listings marked removed. Analyses of "a crawl of site X" read the records without ``crawl_id``
(plain crawls) and the ``distributed`` ones, never the worker parts.

Removed marks need the whole crawl: a listing counts as removed only when no worker saw it since the crawl
was seeded. So workers never mark (``TRAWLER_MARK_REMOVED`` is off in their pipelines); the finalising worker
does it once, and only when every worker that left did so cleanly (no errors, nothing spooled) and none left
pages out (an incremental recrawl's skipped pages, pages the site refused), as a plain crawl does. A worker
that died without leaving does not spoil the crawl: the requests it had not acknowledged (pages whose
listings were not stored yet) went back to the queue, and the record counts them (``requeued``) and the
dead workers (``lost_workers``).

A cancelled crawl (:func:`cancel`) is completed as ``cancelled`` by its last worker, or at once when no worker
is in it; nothing is marked removed.

The crawl's record names its lease holder (``lease_holder``, :mod:`crawler.scaleout.lease`), so
``trawler runs`` tells a crawl nobody works on any more (its lease expired) from a running one. A crawl the
scheduler started (``trigger: schedule``) also updates its site's ``schedules`` document when it completes.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError

from crawler import __version__
from crawler.monitoring.monitor import RunMonitor
from crawler.scaleout.lease import holder_of
from crawler.scaleout.state import CrawlKeys, CrawlState
from crawler.scheduling import leases
from crawler.storage.connection import connect, database_config
from crawler.storage.schema import RUNS, SCHEDULES
from crawler.storage.writer import ListingWriter

logger = logging.getLogger("trawler.scaleout")


@contextmanager
def _database(settings: Any) -> Iterator[Database]:
    config = database_config(settings)
    client = connect(config, settings.getint("TRAWLER_DB_TIMEOUT_MS", 5000))
    try:
        yield client[config.name]
    finally:
        client.close()


def open_crawl(
    db: Database,
    crawl_id: str,
    site: str,
    profile: Any,
    seeded_at: datetime,
    queued: int,
    trigger: str | None = None,
    incremental: str = "off",
) -> None:
    db[RUNS].insert_one(
        {
            "_id": crawl_id,
            "site": site,
            "platform_type": getattr(profile, "platform_type", None),
            "status": "running",
            "trigger": trigger or os.environ.get("TRAWLER_RUN_TRIGGER", "manual"),
            "started_at": seeded_at,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "trawler_version": __version__,
            "distributed": True,
            "start_requests": queued,
            "incremental": incremental,
            "lease_holder": holder_of(crawl_id),
            "worker_runs": [],
        }
    )


def join(settings: Any, crawl_id: str, run_id: str, worker: str) -> None:
    """Tag a worker's run record with its crawl; a crawl resumed by new workers is running again."""
    try:
        with _database(settings) as db:
            db[RUNS].update_one({"_id": run_id}, {"$set": {"crawl_id": crawl_id, "worker": worker}})
            db[RUNS].update_one(
                {"_id": crawl_id, "status": "interrupted"},
                {"$set": {"status": "running"}, "$unset": {"finish_reason": "", "finished_at": "", "error": ""}},
            )
    except PyMongoError as exc:
        logger.warning("could not tag run %s with crawl %s: %s", run_id, crawl_id, exc)


def interrupted(settings: Any, crawl_id: str) -> None:
    """Every worker left, requests are still queued: start workers again to finish the crawl."""
    try:
        with _database(settings) as db:
            db[RUNS].update_one({"_id": crawl_id}, {"$set": {"status": "interrupted"}})
    except PyMongoError as exc:
        logger.warning("could not mark crawl %s interrupted: %s", crawl_id, exc)


def finalise(settings: Any, state: CrawlState, site: str, profile: Any = None) -> dict[str, Any]:
    """Complete the crawl's record (called once, by the last worker to leave a drained crawl), then review it
    as any run is reviewed (crawler/monitoring/), on the workers' summed counters."""
    if not settings.getbool("TRAWLER_STORE", True):
        return {}  # nothing was stored: no counts to sum, and every listing would look removed
    meta = state.meta()
    run_ids = state.run_ids()
    try:
        with _database(settings) as db:
            update = _complete(db, state, site, meta, run_ids, settings.getbool("TRAWLER_SCALEOUT_MARK_REMOVED", True))
            _review(db, settings, state, profile)
            return update
    except PyMongoError as exc:
        logger.error("could not complete the record of crawl %s: %s", state.crawl_id, exc)
        return {}


def _review(db: Database, settings: Any, state: CrawlState, profile: Any) -> None:
    """Health, checks against the site's recent runs, alerts recorded and sent (on the worker's thread: it may
    exit right after this)."""
    run = db[RUNS].find_one({"_id": state.crawl_id})
    if run is None:
        return
    own = settings.copy()
    own.frozen = False  # a crawl's settings are frozen; this copy is the review's own
    own.set("TRAWLER_MONITORING", settings.getdict("TRAWLER_SCALEOUT_MONITORING"), priority="cmdline")
    monitor = RunMonitor(own)
    monitor.send(db, monitor.review(db, run, state.summed_stats(), profile))


def cancel(db: Database, server: Any, prefix: str, crawl_id: str, site: str) -> str:
    """Cancel a distributed crawl (``trawler runs cancel``): ``workers`` (the workers in it leave within
    seconds, the last one completes the record), ``cancelled`` (nobody was in it: completed here, its lease
    released) or ``done`` (it was over already)."""
    state = CrawlState(server, CrawlKeys(prefix, crawl_id))
    if not server.exists(state.keys.meta):
        return "done"  # replaced by a later seed, or its keys expired: nothing left to stop
    outcome = state.cancel()
    if outcome != "finalise":
        return outcome
    _complete(db, state, site, state.meta(), state.run_ids(), mark_removed=False)
    leases.release(db, site, holder_of(crawl_id))
    return "cancelled"


def _complete(
    db: Database, state: CrawlState, site: str, meta: dict[str, str], run_ids: list[str], mark_removed: bool
) -> dict[str, Any]:
    parts = list(db[RUNS].find({"_id": {"$in": run_ids}}, {"counts": 1}))
    counts: Counter[str] = Counter()
    for part in parts:
        counts.update({k: int(v or 0) for k, v in (part.get("counts") or {}).items()})
    lost = int(meta.get("lost_workers", 0))
    cancelled = meta.get("cancelled") == "1"
    # Each worker told Redis whether it left cleanly (finished, or stopped without losing a request). A worker
    # that died lost nothing: what it had not acknowledged went back to the queue and was crawled by the others.
    clean = meta.get("dirty") != "1" and not cancelled
    now = datetime.now(UTC)
    seeded_at = datetime.fromisoformat(meta["seeded_at"]) if "seeded_at" in meta else now
    removed = 0
    if clean and mark_removed and meta.get("partial") != "1":
        removed = ListingWriter(db).mark_removed(site, seeded_at, now)
    counts["listings_removed"] = removed
    if cancelled:
        status, reason = "cancelled", "cancelled"
    elif clean:
        status, reason = "finished", "finished"
    else:
        status, reason = "failed", "worker_failed"
    update = {
        "status": status,
        "finish_reason": reason,
        "requeued": int(meta.get("requeued", 0)),
        "finished_at": now,
        "counts": dict(counts),
        "worker_runs": run_ids,
        "lost_workers": lost,
        "elapsed_seconds": (now - seeded_at).total_seconds(),
    }
    db[RUNS].update_one({"_id": state.crawl_id}, {"$set": update})
    # A scheduled crawl: its schedule shows how it ended (matched on the crawl id, so a later run is untouched).
    db[SCHEDULES].update_one({"_id": site, "last_run_id": state.crawl_id}, {"$set": {"last_status": update["status"]}})
    logger.info("crawl %s complete: %s, %d worker runs, %d listings marked removed",
                state.crawl_id, update["status"], len(run_ids), removed)  # fmt: skip
    return update
