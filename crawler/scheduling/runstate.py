"""Run-record operations made from outside the crawl: cancel one, find the ones whose process is gone.

A run is ``running`` from the moment its crawl opens until the crawl writes how it ended. A process that
was killed (SIGKILL, power loss) never writes that; such a run is marked ``interrupted`` by the next
``trawler runs`` or scheduler start. How it is recognised, without trusting clocks too much:

- the run names its lease holder (``lease_holder``): the run is gone when the site's lease is no longer
  held by that holder, or has expired (the crawl renews it every few seconds while it lives);
- a run without a holder (leases off): only when it ran on this host and its process no longer exists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from crawler.scheduling import leases
from crawler.storage.schema import RUNS

RUN_STATUSES = ("running", "finished", "failed", "cancelled", "interrupted")


def process_gone(run: dict[str, Any], now: datetime | None = None) -> bool:
    """Whether a ``running`` run's crawl process has ended without finishing the record."""
    now = now or datetime.now(UTC)
    holder = run.get("lease_holder")
    if holder:
        return not leases.holds(run.get("_lease"), holder, now)
    return run.get("host") == leases.HOST and bool(run.get("pid")) and not leases.pid_alive(int(run["pid"]))


def mark_interrupted(db: Database) -> list[str]:
    """Mark the running runs whose process is gone as ``interrupted``; return their ids."""
    now = datetime.now(UTC)
    marked: list[str] = []
    for run in db[RUNS].find({"status": "running"}, {"site": 1, "lease_holder": 1, "host": 1, "pid": 1}):
        run["_lease"] = leases.get(db, run.get("site", ""))
        if not process_gone(run, now):
            continue
        result = db[RUNS].update_one(
            {"_id": run["_id"], "status": "running"},
            {
                "$set": {
                    "status": "interrupted",
                    "finish_reason": "process_gone",
                    "finished_at": now,
                    "error": "the crawl process ended without finishing its run record (killed, or its host went down)",
                }
            },
        )
        if result.modified_count:
            marked.append(run["_id"])
    return marked


def request_cancel(db: Database, run_id: str) -> str:
    """Ask a running crawl to stop: ``requested``, ``not running`` (with its status) or ``unknown``."""
    mark_interrupted(db)
    result = db[RUNS].update_one(
        {"_id": run_id, "status": "running"},
        {"$set": {"cancel_requested": True, "cancel_requested_at": datetime.now(UTC)}},
    )
    if result.matched_count:
        return "requested"
    run = db[RUNS].find_one({"_id": run_id}, {"status": 1})
    return f"not running ({run.get('status')})" if run else "unknown"
