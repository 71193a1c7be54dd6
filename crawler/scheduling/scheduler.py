"""The long-running scheduler: starts each scheduled site's crawl, in its own process, on time.

APScheduler (3.x, ``BackgroundScheduler``) does the timing: cron and interval triggers, time zones,
waking up, coalescing the fire times it missed into one, one instance per site. Its jobs live in its
in-memory store; what must survive a restart and be shared by several schedulers lives in our own
``schedules`` collection, one document per site::

    {_id: site, spec: "every 6h", next_run_at, last_fired_at, fired_by, last_run_id, last_status, ...}

Why not APScheduler's MongoDB job store (it does work against SecantusDB): APScheduler 3 says job stores
must never be shared between schedulers, and we want two schedulers on one database to be safe; it also
stores each job as a pickle, which a scheduler would unpickle from the database. Here the database holds
plain state, and each firing is *claimed*: one atomic ``find_one_and_update`` moves ``next_run_at`` on
only if it is due, so exactly one scheduler starts a given run; the others follow the new time. On
start, a site's stored ``next_run_at`` (in the past if runs were missed while no scheduler ran) becomes
the job's next run time, so all the missed fire times give one run. The site lease
(:mod:`crawler.scheduling.leases`) keeps a scheduled crawl from overlapping any other crawl of the site.

A *distributed* schedule (``distributed: true`` in the profile's schedule, or the site in
``TRAWLER_SCHEDULER_DISTRIBUTED``) starts no process: the scheduler seeds the crawl into Redis
(:func:`crawler.scaleout.seeding.seed`, which takes the site's lease in the crawl's name) and is done with
it; ``trawler worker`` processes crawl it, and the last worker to leave the drained crawl completes its run
record and the site's ``last_status`` here (:mod:`crawler.scaleout.record`). A firing while the previous
distributed crawl is still in progress, or while a plain crawl holds the site, is skipped.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import PyMongoError

from crawler.profiles import SiteProfile
from crawler.scheduling import leases, runstate
from crawler.scheduling.launch import Child, SiteBusy, launch, record_exit
from crawler.scheduling.schedule import Schedule
from crawler.storage import runs
from crawler.storage.schema import RUNS, SCHEDULES

logger = logging.getLogger("trawler.scheduler")

CLAIM_SLACK = timedelta(seconds=1)  # a scheduler whose clock runs a little behind still claims its slot


@dataclass(frozen=True)
class ScheduledSite:
    site: str
    schedule: Schedule
    timezone: str

    @property
    def spec(self) -> str:
        return self.schedule.describe(self.timezone)


def scheduled_sites(
    profiles: dict[str, SiteProfile], only: list[str] | None = None, distributed: list[str] | None = None
) -> list[ScheduledSite]:
    """The profiles with a schedule (of ``only``); those named in ``distributed`` run as distributed crawls."""
    out = []
    for name, p in sorted(profiles.items()):
        if p.schedule is None or (only and name not in only):
            continue
        schedule = p.schedule.model_copy(update={"distributed": True}) if name in (distributed or []) else p.schedule
        out.append(ScheduledSite(name, schedule, p.timezone))
    return out


def sync_schedules(db: Database, sites: list[ScheduledSite], unscheduled: list[str]) -> dict[str, datetime]:
    """Store each site's schedule; keep its next run time unless the schedule changed. Returns them."""
    now = datetime.now(UTC)
    out: dict[str, datetime] = {}
    for entry in sites:
        doc = db[SCHEDULES].find_one({"_id": entry.site})
        if doc and doc.get("spec") == entry.spec and doc.get("next_run_at"):
            out[entry.site] = doc["next_run_at"]
            continue
        first = entry.schedule.next_after(now, entry.timezone)
        db[SCHEDULES].update_one(
            {"_id": entry.site},
            {"$set": {"spec": entry.spec, "next_run_at": first, "updated_at": now}},
            upsert=True,
        )
        out[entry.site] = first
    if unscheduled:  # profiles this scheduler knows that no longer have a schedule
        db[SCHEDULES].delete_many({"_id": {"$in": unscheduled}})
    return out


class Scheduler:
    def __init__(
        self,
        db: Database,
        sites: list[ScheduledSite],
        *,
        var_dir: str | Path,
        lease_ttl: float = 60.0,
        max_crawls: int = 4,
        stop_timeout: float = 300.0,
        unscheduled: list[str] | None = None,
        crawl_args: list[str] | None = None,
        settings: Any = None,
    ) -> None:
        self.db = db
        self.settings = settings  # for seeding distributed crawls (REDIS_URL, the profiles, the database)
        self.seed_lock = threading.Lock()
        self.sites = {s.site: s for s in sites}
        self.var_dir = var_dir
        self.ttl = lease_ttl
        self.stop_timeout = stop_timeout
        self.unscheduled = unscheduled or []
        self.crawl_args = crawl_args or []
        self.id = leases.new_holder()
        self.children: dict[str, Child] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.aps = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=max_crawls)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    # -- start and stop ----------------------------------------------------

    def start(self) -> None:
        interrupted = runstate.mark_interrupted(self.db)
        if interrupted:
            logger.warning("marked %d runs whose process is gone as interrupted: %s", len(interrupted), interrupted)
        next_runs = sync_schedules(self.db, list(self.sites.values()), self.unscheduled)
        for entry in self.sites.values():
            self.aps.add_job(
                self._fire,
                entry.schedule.trigger(entry.timezone),
                args=[entry.site],
                id=entry.site,
                name=f"crawl {entry.site}",
                next_run_time=next_runs[entry.site],
            )
            logger.info("%s: %s, next run %s", entry.site, entry.spec, next_runs[entry.site].isoformat())
        for site in self._interrupted_last_time():
            logger.info("%s: its last scheduled run was interrupted; starting it again now", site)
            self.aps.add_job(self._retry, "date", args=[site], id=f"{site}:retry", run_date=datetime.now(UTC))
        self.aps.add_listener(self._still_running, EVENT_JOB_MAX_INSTANCES)
        self.aps.start()
        logger.info("scheduler %s started with %d scheduled sites", self.id, len(self.sites))

    def _still_running(self, event: JobSubmissionEvent) -> None:
        # Expected when a crawl outlasts its interval: APScheduler skips that fire time (coalescing).
        logger.info("%s: still crawling at its next run time; that run is skipped", event.job_id)

    def stop(self) -> None:
        """Start nothing more, ask the running crawls to stop (SIGTERM: Scrapy closes gracefully), wait."""
        if self.stopping.is_set():
            return
        self.aps.pause()
        with self.lock:
            self.stopping.set()
            children = list(self.children.values())
        for child in children:
            logger.info("stopping the crawl of %s (run %s, pid %d)", child.site, child.run_id, child.proc.pid)
            child.stopped = True
            _signal(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.2)
        with self.lock:
            left = list(self.children.values())
        for child in left:
            logger.error("the crawl of %s did not stop in %.0f s; killing it", child.site, self.stop_timeout)
            _signal(child.proc, signal.SIGKILL)
        self.aps.shutdown(wait=True)  # the job threads record how their crawls ended
        logger.info("scheduler %s stopped", self.id)

    def running(self) -> list[str]:
        with self.lock:
            return sorted(self.children)

    # -- firing ------------------------------------------------------------

    def _fire(self, site: str) -> None:
        if self.stopping.is_set():
            return
        try:
            if self._claim(site):
                self._run(site, "schedule")
        except PyMongoError as exc:
            logger.error("%s: database error, this run is skipped: %s", site, exc)

    def _retry(self, site: str) -> None:
        if self.stopping.is_set():
            return
        try:
            self._run(site, "retry")
        except PyMongoError as exc:
            logger.error("%s: database error, the retry is skipped: %s", site, exc)

    def _claim(self, site: str) -> bool:
        """Take this firing for this scheduler, or follow the next run time another scheduler set."""
        entry = self.sites[site]
        now = datetime.now(UTC)
        following = entry.schedule.next_after(now, entry.timezone)
        doc = self.db[SCHEDULES].find_one_and_update(
            {"_id": site, "next_run_at": {"$lte": now + CLAIM_SLACK}},
            {"$set": {"next_run_at": following, "last_fired_at": now, "fired_by": self.id}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None:
            self.aps.modify_job(site, next_run_time=following)
            return True
        doc = self.db[SCHEDULES].find_one({"_id": site}, {"next_run_at": 1})
        if doc and doc.get("next_run_at"):
            logger.debug("%s: another scheduler started this run; next at %s", site, doc["next_run_at"])
            self.aps.modify_job(site, next_run_time=doc["next_run_at"])
        return False

    def _run(self, site: str, trigger: str) -> None:
        if self.sites[site].schedule.distributed:
            self._seed(site, trigger)
            return
        try:
            child = launch(self.db, site, trigger, var_dir=self.var_dir, ttl=self.ttl, extra_args=self.crawl_args)
        except SiteBusy as exc:
            logger.info("%s: skipped this %s run: %s", site, trigger, exc)
            self.db[SCHEDULES].update_one({"_id": site}, {"$set": {"last_skipped_at": datetime.now(UTC)}})
            return
        with self.lock:
            self.children[site] = child
            if self.stopping.is_set():  # stop() began while this crawl was being launched
                child.stopped = True
                _signal(child.proc, signal.SIGTERM)
        logger.info("%s: started run %s (%s, pid %d)", site, child.run_id, trigger, child.proc.pid)
        self.db[SCHEDULES].update_one(
            {"_id": site},
            {"$set": {"last_run_id": child.run_id, "last_started_at": datetime.now(UTC), "last_status": "running"}},
        )
        try:
            returncode = self._wait(child)
        finally:
            with self.lock:
                self.children.pop(site, None)
        run = record_exit(self.db, child, returncode)
        logger.info("%s: run %s ended: %s (exit code %d)", site, child.run_id, run.get("status"), returncode)
        self.db[SCHEDULES].update_one({"_id": site}, {"$set": {"last_status": run.get("status")}})

    def _seed(self, site: str, trigger: str) -> None:
        """A distributed run: seed it for the workers; they crawl it and complete its record."""
        from crawler.crawling import project_settings
        from crawler.scaleout.seeding import SeedError, seed  # Redis only where a schedule is distributed

        now = datetime.now(UTC)
        try:
            with self.seed_lock:  # seeding builds a spider in this thread: one at a time
                seeded = seed(site, self.settings or project_settings(), trigger=trigger)
        except SeedError as exc:
            logger.info("%s: skipped this %s run: %s", site, trigger, exc)
            self.db[SCHEDULES].update_one({"_id": site}, {"$set": {"last_skipped_at": now}})
            return
        except Exception as exc:  # Redis unreachable, a broken profile: this run fails, the next one tries again
            logger.error("%s: could not seed this %s run: %s", site, trigger, exc)
            self._record_seed_failure(site, trigger, now, exc)
            return
        logger.info("%s: seeded distributed run %s (%s, %d start requests)", site, seeded.crawl_id, trigger,
                    seeded.queued)  # fmt: skip
        self.db[SCHEDULES].update_one({"_id": site}, {"$set": {"last_run_id": seeded.crawl_id, "last_started_at": now}})
        # Read after last_run_id is set: a crawl its workers completed meanwhile set its own status already,
        # or sets it after this (crawler/scaleout/record.py matches on last_run_id).
        run = self.db[RUNS].find_one({"_id": seeded.crawl_id}, {"status": 1}) or {}
        self.db[SCHEDULES].update_one(
            {"_id": site, "last_run_id": seeded.crawl_id}, {"$set": {"last_status": run.get("status", "running")}}
        )

    def _record_seed_failure(self, site: str, trigger: str, now: datetime, exc: Exception) -> None:
        run_id = runs.new_run_id(site)
        self.db[RUNS].insert_one(
            {
                "_id": run_id,
                "site": site,
                "status": "failed",
                "finish_reason": "seed_failed",
                "trigger": trigger,
                "distributed": True,
                "started_at": now,
                "finished_at": datetime.now(UTC),
                "host": leases.HOST,
                "error": f"could not seed the distributed crawl: {type(exc).__name__}: {exc}"[:1000],
            }
        )
        self.db[SCHEDULES].update_one(
            {"_id": site}, {"$set": {"last_run_id": run_id, "last_started_at": now, "last_status": "failed"}}
        )

    def _wait(self, child: Child) -> int:
        """Wait for the crawl; keep its lease alive meanwhile (it renews it too, once it is up)."""
        while True:
            try:
                return child.proc.wait(timeout=max(1.0, self.ttl / 3))
            except subprocess.TimeoutExpired:
                try:
                    leases.renew(self.db, child.site, child.holder, self.ttl)
                except PyMongoError as exc:
                    logger.warning("%s: could not renew the lease: %s", child.site, exc)

    def _interrupted_last_time(self) -> list[str]:
        """Sites whose last scheduled run was interrupted (a stop, a crash): they run again at start."""
        out = []
        for doc in self.db[SCHEDULES].find({"_id": {"$in": sorted(self.sites)}}, {"last_run_id": 1}):
            run_id = doc.get("last_run_id")
            run = self.db[RUNS].find_one({"_id": run_id}, {"status": 1}) if run_id else None
            if run and run.get("status") == "interrupted":
                out.append(doc["_id"])
        return out


def _signal(proc: subprocess.Popen[Any], signum: int) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)
