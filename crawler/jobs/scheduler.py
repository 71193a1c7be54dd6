"""``SCHEDULER``: Scrapy's scheduler contract over a crawl state that survives SIGKILL, and resumes.

Every request (but logins, see below) goes to the SQLite queue of the site's
job directory and every fingerprint to the on-disk seen set, both committed
about once a second (``TRAWLER_JOB_CHECKPOINT_INTERVAL``), the queue first: a
fingerprint is never on disk without its request. A request leaves the queue
only when it is done: the engine no longer has it in progress (its callback
ran and the requests it yielded are queued), the spider does not hold it (a
page waiting for a new login), and the listings it gave are written or spooled
(:mod:`crawler.jobs.durability`). Killed at any moment, the next start finds
every unfinished request still queued and fetches it again; a page fetched
twice stores nothing twice, since listing writes are idempotent upserts.

Kept in memory only, and so lost by a kill: login requests (they carry the
credentials, and a restart logs in afresh anyway) and requests that cannot be
serialised (a callback that is not a spider method, live objects in meta).
"""

from __future__ import annotations

import heapq
import logging
import pickle
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from scrapy.core.scheduler import BaseScheduler
from scrapy.http import Request
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.request import request_from_dict
from twisted.internet import task

from crawler.dupefilter import DiskDupeFilter
from crawler.jobs import register
from crawler.jobs.durability import Settling, finished_requests
from crawler.jobs.jobdir import Job, JobLocked, job_directory
from crawler.jobs.queue import RequestQueue
from crawler.login import stays_in_memory
from crawler.render import persistable_meta

logger = logging.getLogger("trawler.jobs")

# Requests queued by this process are also kept as objects, up to this many: taking one back from memory saves
# rebuilding it from its row (Request() parses the URL again), which costs more than the rest of the queue work.
RECENT_REQUESTS = 4096


class JobScheduler(BaseScheduler):
    def __init__(self, crawler: Any, job: Job, dupefilter: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.job = job
        self.df = dupefilter
        self.interval = crawler.settings.getfloat("TRAWLER_JOB_CHECKPOINT_INTERVAL", 1.0)
        self.queue: RequestQueue | None = None
        self.memory: list[tuple[int, int, Request]] = []  # heap: (-priority, -sequence, request)
        self.sequence = 0
        self.recent: OrderedDict[int, Request] = OrderedDict()  # row -> the request object, newest last
        self.in_flight: dict[Request, int] = {}  # request handed to the engine -> its row
        self.settling = Settling()  # rows of finished requests, until their listings are stored
        self.looping: task.LoopingCall | None = None
        self.unserializable_logged = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> JobScheduler:
        site = crawler.spider.name
        job = None
        if (directory := job_directory(crawler.settings, site)) is not None:
            try:
                job = Job(directory, site, persistent=True)
            except JobLocked as exc:
                # Another crawl of this site is running here. Its lease (crawler/scheduling/) normally stops this
                # one at once, with the reason site_busy; without leases, this crawl goes on without job state.
                logger.warning("%s: this crawl keeps no resumable state", exc)
        if job is None:
            # Job state off: the same queue and seen set, in a directory removed at the end, so memory
            # stays bounded on long crawls all the same.
            job = Job(Path(tempfile.mkdtemp(prefix=f"trawler-job-{site}-")), site, persistent=False)
        directory, persistent = job.directory, job.persistent
        register(crawler, job)
        dupefilter_class = load_object(crawler.settings["DUPEFILTER_CLASS"])
        if isinstance(dupefilter_class, type) and issubclass(dupefilter_class, DiskDupeFilter):
            dupefilter = dupefilter_class.for_directory(crawler, directory, commit_every=0)
        else:
            dupefilter = build_from_crawler(dupefilter_class, crawler)
            if persistent:
                logger.warning(
                    "DUPEFILTER_CLASS %s does not keep its seen set in the job directory: a resumed crawl of %s "
                    "will fetch again pages it already has",
                    crawler.settings["DUPEFILTER_CLASS"],
                    site,
                )
        return cls(crawler, job, dupefilter)

    # -- the engine's side ------------------------------------------------

    def open(self, spider: Any) -> Any:
        self.spider = spider
        if not isinstance(getattr(getattr(self.crawler.engine, "_slot", None), "inprogress", None), set):
            # The one Scrapy internal this relies on: which requests the engine still works on.
            raise RuntimeError("this Scrapy version has no ExecutionEngine._slot.inprogress; JobScheduler needs it")
        fsync = self.job.persistent and self.crawler.settings.getbool("TRAWLER_JOB_FSYNC", True)
        self.queue = RequestQueue(self.job.directory, fsync=fsync)
        self.stats.set_value("trawler/job/resumed", int(self.job.resumed))
        if self.job.resumed:
            again = self.queue.reopen()
            record = self.job.record
            logger.info(
                "resuming the interrupted crawl of %s started %s (runs: %s): %d requests queued, %d of them were "
                "in flight when it stopped; job state in %s",
                self.job.site,
                record.started_at.isoformat(timespec="seconds"),
                ", ".join(record.runs) or "none recorded",
                self.queue.pending,
                again,
                self.job.directory,
            )
            self.stats.set_value("trawler/job/requests_at_start", self.queue.pending)
            self.stats.set_value("trawler/job/requests_in_flight_at_stop", again)
        elif self.job.persistent:
            logger.info("crawl state of %s kept in %s until it finishes", self.job.site, self.job.directory)
        self.looping = task.LoopingCall(self.checkpoint)
        self.looping.start(self.interval, now=False).addErrback(
            lambda failure: logger.error("job checkpoints stopped: %s", failure.getErrorMessage())
        )
        return self.df.open()

    def close(self, reason: str) -> Any:
        if self.looping is not None and self.looping.running:
            self.looping.stop()
        if self.queue is None:  # the crawl failed before the scheduler was opened
            self.job.close(keep=True)
            return None
        keep = reason != "finished"
        if keep:
            self.checkpoint()
            if self.memory:
                logger.warning("%d requests kept only in memory are not resumable", len(self.memory))
        left = self.queue.size() if keep else 0
        self.queue.close()
        result = self.df.close(reason)
        self.job.close(keep)
        if keep and self.job.persistent:
            logger.info(
                "crawl of %s stopped (%s): %d requests left in %s; the next crawl of %s resumes it",
                self.job.site,
                reason,
                left,
                self.job.directory,
                self.job.site,
            )
        return result

    def has_pending_requests(self) -> bool:
        return bool(self.memory) or bool(self.queue and self.queue.pending)

    def __len__(self) -> int:
        return len(self.memory) + (self.queue.pending if self.queue else 0)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        data = self._serialize(request)
        if data is None:
            self.sequence += 1
            heapq.heappush(self.memory, (-request.priority, -self.sequence, request))
            self.stats.inc_value("scheduler/enqueued/memory")
        else:
            assert self.queue is not None
            row = self.queue.push(data, request.priority)
            self.recent[row] = request
            if len(self.recent) > RECENT_REQUESTS:
                self.recent.popitem(last=False)
            self.stats.inc_value("scheduler/enqueued/disk")
        self.stats.inc_value("scheduler/enqueued")
        return True

    def next_request(self) -> Request | None:
        if self.memory:
            request = heapq.heappop(self.memory)[2]
            self.stats.inc_value("scheduler/dequeued/memory")
            self.stats.inc_value("scheduler/dequeued")
            return request
        assert self.queue is not None
        on_hold = getattr(self.spider, "queue_on_hold", None)
        if on_hold is not None and on_hold():
            return None  # e.g. a resumed crawl's pages wait for the new login (crawler/login.py)
        while (taken := self.queue.take()) is not None:
            row, data = taken
            try:
                request = self.recent.pop(row, None) or request_from_dict(pickle.loads(data), spider=self.spider)
            except Exception as exc:  # e.g. a callback renamed since the job was interrupted
                logger.error("dropping a queued request that cannot be restored: %s", exc)
                self.stats.inc_value("trawler/job/unrestorable")
                self.queue.done([row])
                continue
            self.in_flight[request] = row
            self.stats.inc_value("scheduler/dequeued/disk")
            self.stats.inc_value("scheduler/dequeued")
            return request
        return None

    # -- persistence --------------------------------------------------------

    def _serialize(self, request: Request) -> bytes | None:
        if stays_in_memory(request):  # after a restart the session is gone anyway: the spider logs in again
            return None
        try:
            data = request_dict(request, self.spider)
            return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # ValueError (callback), PicklingError, TypeError, AttributeError (meta)
            self.stats.inc_value("scheduler/unserializable")
            if not self.unserializable_logged:
                self.unserializable_logged = True
                logger.warning(
                    "request %s cannot be serialised (%s): kept in memory, lost if the crawl is killed "
                    "(no more such requests will be logged)",
                    request,
                    exc,
                )
            return None

    def checkpoint(self) -> None:
        """Remove the requests that are done from the queue and commit the queue, then the seen set."""
        assert self.queue is not None
        finished = finished_requests(self.crawler, self.spider, self.in_flight) or []
        self.settling.add(self.crawler, [self.in_flight.pop(r) for r in finished])
        done = self.settling.done(self.crawler)
        if done:
            self.queue.done(done)
            self.stats.inc_value("trawler/job/requests_done", len(done))
        self.queue.commit()  # first: the seen set must never hold a fingerprint whose request is not on disk
        if hasattr(self.df, "commit"):
            self.df.commit()


def request_dict(request: Request, spider: Any) -> dict[str, Any]:
    """What ``Request.to_dict(spider=...)`` gives ``request_from_dict``, at a fraction of the cost (Scrapy looks
    the callback up among every member of the spider), less what must not or need not be stored."""
    data: dict[str, Any] = {
        "url": request.url,
        "callback": _method_name(spider, request.callback),
        "errback": _method_name(spider, request.errback),
        "headers": dict(request.headers),
    }
    if not request.meta.get("dont_merge_cookies"):
        # The cookie jar sets the header again when the request is sent; a session cookie from before a
        # restart would only be stale.
        data["headers"].pop(b"Cookie", None)
    for attr in request.attributes:
        data.setdefault(attr, getattr(request, attr))
    data["meta"] = persistable_meta(request.meta)
    if type(request) is not Request:
        data["_class"] = f"{type(request).__module__}.{type(request).__name__}"
    return data


def _method_name(spider: Any, func: Any) -> str | None:
    if func is None:
        return None
    function = getattr(func, "__func__", None)
    if getattr(func, "__self__", None) is spider and function is not None:
        name = function.__name__
        if getattr(getattr(spider, name, None), "__func__", None) is function:
            return name
    raise ValueError(f"{func!r} is not a method of the spider")
