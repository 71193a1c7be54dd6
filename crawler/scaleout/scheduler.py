"""The Scrapy scheduler of a worker: scrapy-redis's, made safe and cheaper for many workers on one crawl.

It keeps scrapy-redis's queue format (a sorted set of pickled request dicts, scored by priority), its
fingerprints (:class:`scrapy_redis.dupefilter.RFPDupeFilter`) and its ``REDIS_URL`` settings, and changes
what the measurements in ``../shared/MEASURED.md`` show going wrong:

- **Never flushes.** scrapy-redis's default (``SCHEDULER_PERSIST=False``) deletes the shared queue and seen set
  when the first worker closes. Keys live until the next ``seed`` of the site replaces them.
- **Knows when the crawl is over.** A plain spider on a Redis scheduler closes as soon as its own engine is
  idle, even while other workers are about to queue more pages. Here an idle worker stays until the queue is
  empty *and* every live worker is idle (:mod:`crawler.scaleout.state`), and it polls every
  ``TRAWLER_WORKER_POLL`` seconds instead of the engine's 5 s heartbeat.
- **One round trip per new request.** "seen?" and "queue it" are one script; fingerprints this worker already
  knows are filtered locally without asking Redis at all (most links on a page point to pages already seen).
- **Holds the site's lease with the other workers** (:mod:`crawler.scaleout.lease`), so a plain crawl of the
  site cannot run at the same time.
- **Takes no more than it can fetch.** A worker takes a request only when none of those it took waits to be
  sent, so with a download delay the pages are shared between workers instead of hoarded.
- **Loses nothing when killed.** A request stays in the worker's in-flight set in Redis until its page is
  parsed and its listings stored; a dead worker's set goes back to the queue (:mod:`crawler.scaleout.state`).
- **Keeps secrets out of Redis.** Login requests (the form submission holds the password) stay in the
  worker's memory and are sent by the worker that built them.
- **Can be cancelled.** ``trawler runs cancel CRAWL_ID`` deletes the queue and flags the crawl in Redis; each
  worker notices at its next pop, idle check or heartbeat, closes with the reason ``cancelled``, and the last
  one to leave completes the crawl's record as cancelled.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, ClassVar

from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Request
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler
from twisted.internet import reactor, task, threads

from crawler.incremental.markers import duplicate_dropped
from crawler.incremental.markers import partial as incremental_partial
from crawler.jobs.durability import Settling, finished_requests
from crawler.login import stays_in_memory
from crawler.monitoring.blocking import STAT_TOTAL as BLOCKED_PAGES_STAT
from crawler.monitoring.monitor import health_stats
from crawler.scaleout import record
from crawler.scaleout.lease import CrawlLease
from crawler.scaleout.state import ALIVE_TTL_S, CANCELLED, CrawlKeys, CrawlState, prefix_of, worker_name
from crawler.storage.runs import counts_from_stats

logger = logging.getLogger("trawler.scaleout")

# A stat that makes the crawl unclean: a request that could not be queued or read back is a page not fetched.
LOST_REQUESTS = "trawler/scaleout/lost_requests"


class SharedScheduler(Scheduler):
    crawler: Any
    state: CrawlState
    worker: str
    known: set[str]
    # The schedulers of the crawls running in this process, for a graceful stop of all of them.
    running: ClassVar[weakref.WeakSet[SharedScheduler]] = weakref.WeakSet()

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedScheduler:
        instance = super().from_crawler(crawler)
        settings = crawler.settings
        instance.persist = True  # see the module docstring: never flush what other workers still use
        instance.crawler = crawler
        instance.worker = worker_name()
        instance.alive_ttl = settings.getint("TRAWLER_WORKER_ALIVE_TTL", ALIVE_TTL_S)
        keys = CrawlKeys(prefix_of(settings), settings["TRAWLER_CRAWL_ID"])
        instance.state = CrawlState(instance.server, keys, instance.alive_ttl)
        instance.in_flight = {}  # request taken from Redis -> its serialised form, until acknowledged
        instance.settling = Settling()  # serialised forms of finished requests, until their listings are stored
        instance.acker = task.LoopingCall(instance._acknowledge)
        instance.poll = settings.getfloat("TRAWLER_WORKER_POLL", 0.5)
        instance.known = set()
        instance.known_max = settings.getint("TRAWLER_WORKER_SEEN_CACHE", 200_000)
        instance.wake_call = None
        instance.heartbeat = task.LoopingCall(instance._heartbeat)
        instance.stopping = False  # a graceful stop: take nothing more, finish what was taken
        instance.stopped_cleanly = False
        instance.cancelled = False
        instance.logins = []  # this worker's login requests: kept out of Redis (crawler/login.py)
        instance.lease = None
        instance.lease_loop = None
        instance.renewing = False
        return instance

    stop_requested: ClassVar[bool] = False  # set once this process is stopping: crawls still opening stay out

    @classmethod
    def stop_all(cls) -> None:
        cls.stop_requested = True
        for scheduler in list(cls.running):
            scheduler.stop()

    def stop(self) -> None:
        """Leave the crawl without losing a request: pop nothing more, let the requests taken so far finish
        (their pages still queue the links they find), then close with the reason ``shutdown``. The crawl
        goes on with the other workers, or with the next worker started."""
        self.stopping = True
        self._wake_later(0.0)

    # -- lifecycle -------------------------------------------------------

    def open(self, spider: Any) -> None:
        # scrapy-redis's open() builds the same two objects, then logs through the deprecated Spider.log().
        self.spider = spider
        queue_cls = load_object(self.queue_cls)
        self.queue = queue_cls(server=self.server, spider=spider, key=self.queue_key, serializer=self.serializer)
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.stop_requested:
            raise CloseSpider("shutdown")  # before joining: nothing to leave, nothing taken
        self._take_lease(spider.name)
        joined = self.state.join(self.worker)
        if joined != 1:
            why = "crawl_already_done" if joined == 0 else "crawl_not_seeded"
            logger.warning("%s: crawl %s cannot be joined (%s)", spider.name, self.state.crawl_id, why)
            self._drop_lease(release=True)  # the crawl is over: the lease just taken again must not linger
            raise CloseSpider(why)
        logger.info("worker %s joined crawl %s (%d requests queued)", self.worker, self.state.crawl_id, len(self))
        self.heartbeat.start(self.alive_ttl / 3, now=False)
        self.acker.start(self.crawler.settings.getfloat("TRAWLER_JOB_CHECKPOINT_INTERVAL", 1.0), now=False)
        assert self.lease is not None
        self.lease_loop = task.LoopingCall(self._renew_lease)
        self.lease_loop.start(self.lease.interval, now=False)
        self.running.add(self)
        connect = self.crawler.signals.connect
        connect(self._spider_idle, signal=signals.spider_idle)
        connect(self._spider_opened, signal=signals.spider_opened)
        # Connected after the storage pipeline's handler, so this runs once the run record is complete.
        connect(self._spider_closed, signal=signals.spider_closed)

    # -- the site's lease (crawler/scaleout/lease.py) -------------------------

    def _take_lease(self, site: str) -> None:
        """Before joining: a plain crawl of the site that took the lease (after it lapsed) keeps the site."""
        self.lease = CrawlLease(self.crawler.settings, site, self.state.crawl_id)
        if self.lease.take() is None:
            message = self.lease.holder_message()
            logger.error("%s: not joining it", message)
            self.crawler.stats.set_value("trawler/error", message)
            self._drop_lease(release=False)
            raise CloseSpider("site_busy")

    def _renew_lease(self) -> None:
        if self.renewing or self.lease is None:
            return
        self.renewing = True
        threads.deferToThread(self.lease.keep).addBoth(self._lease_renewed)  # never the database on the reactor

    def _lease_renewed(self, kept: Any) -> None:
        self.renewing = False
        if kept is not False or self.lease_loop is None or not self.lease_loop.running:
            return
        self.lease_loop.stop()
        message = f"the lease on {self.lease.site if self.lease else '?'} expired and another crawl took it; stopping"
        logger.error(message)
        self.crawler.stats.set_value("trawler/error", message)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="lease_lost"))

    def _drop_lease(self, release: bool) -> None:
        if self.lease_loop is not None and self.lease_loop.running:
            self.lease_loop.stop()
        if self.lease is not None:
            if release:
                self.lease.release()
            self.lease.close()
            self.lease = None

    def _heartbeat(self) -> None:
        try:
            joined = self.state.join(self.worker)
        except Exception as exc:  # a Redis hiccup must not stop the crawl; the next beat tries again
            logger.warning("worker heartbeat to Redis failed: %s", exc)
            return
        if joined == 2:
            self._leave_cancelled()
            return
        if joined != 1 and self.heartbeat.running:
            # The crawl's keys were replaced (`seed --force`) or it was completed without us (we were counted
            # as dead): what this worker would queue now would go nowhere.
            logger.error("crawl %s is gone from Redis; worker %s stops", self.state.crawl_id, self.worker)
            self.heartbeat.stop()
            self.crawler.stats.inc_value(LOST_REQUESTS)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="crawl_gone"))

    def _leave_cancelled(self) -> None:
        """``trawler runs cancel`` cancelled the crawl: stop now, as a cancelled plain crawl does."""
        if self.cancelled:
            return
        self.cancelled = True
        self.stopping = True
        logger.info("crawl %s was cancelled; worker %s leaves it", self.state.crawl_id, self.worker)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="cancelled"))

    def _spider_opened(self, spider: Any) -> None:
        run_id = self.crawler.stats.get_value("trawler/run_id")
        self.crawler.stats.set_value("trawler/crawl_id", self.state.crawl_id)
        if run_id:
            self.state.add_run(run_id)
            record.join(self.crawler.settings, self.state.crawl_id, run_id, self.worker)

    async def _spider_closed(self, spider: Any, reason: str) -> None:
        if self.heartbeat.running:
            self.heartbeat.stop()
        if self.acker.running:
            self.acker.stop()
        self._acknowledge()  # the pipeline has drained: every finished page's listings are stored
        if self.wake_call is not None and self.wake_call.active():
            self.wake_call.cancel()
        self.running.discard(self)
        stats = self.crawler.stats.get_stats()
        clean = (
            (reason == "finished" or (reason == "shutdown" and self.stopped_cleanly))
            and not stats.get("trawler/spooled_left")
            and not stats.get(LOST_REQUESTS)
            and counts_from_stats(stats)["errors"] == 0
        )
        if incremental_partial(stats) or stats.get(BLOCKED_PAGES_STAT):
            # Pages skipped (incremental) or refused (403, captcha): not seeing a listing is no sign it is gone.
            self.state.mark_partial()
        if self.lease_loop is not None and self.lease_loop.running:
            self.lease_loop.stop()
        self.state.add_stats(health_stats(stats))  # before leaving: the last worker reviews the whole crawl
        verdict = self.state.leave(self.worker, clean)
        logger.info("worker %s left crawl %s (%s, %s)", self.worker, self.state.crawl_id, reason, verdict)
        profile = getattr(spider, "profile", None)
        # Off the reactor (its review may send alerts), awaited by Scrapy before the crawl counts as closed.
        try:
            await maybe_deferred_to_future(threads.deferToThread(self._record_end, verdict, spider.name, profile))
        except Exception:
            logger.exception("could not record the end of crawl %s", self.state.crawl_id)

    def _record_end(self, verdict: str, site: str, profile: Any) -> None:
        try:
            if verdict == "finalise":
                record.finalise(self.crawler.settings, self.state, site, profile)
            elif verdict == "interrupted":
                record.interrupted(self.crawler.settings, self.state.crawl_id)
        finally:
            # Nobody is left in the crawl: free the site (a resumed crawl's next worker takes the lease again).
            self._drop_lease(release=verdict in ("finalise", "interrupted"))

    # -- queue -----------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        if stays_in_memory(request):  # never to Redis: the worker that read the login form sends it itself
            self.logins.append(request)
            return True
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        if fingerprint is not None and fingerprint in self.known:
            self.stats.inc_value("trawler/scaleout/seen_locally")
            duplicate_dropped(self.spider, request)
            return False
        try:
            data = self.queue._encode_request(request)
        except Exception as exc:  # an unpicklable meta value or a callback that is not a spider method
            self.stats.inc_value(LOST_REQUESTS)
            logger.error("cannot queue %s in Redis (%s: %s)", request, type(exc).__name__, exc)
            return False
        added = self.state.enqueue(fingerprint, request.priority, data)
        if not added:
            duplicate_dropped(self.spider, request)  # perhaps fetched by another worker: its row marker is kept
        if fingerprint is not None:
            if len(self.known) >= self.known_max:
                self.known.clear()  # bounded memory; Redis stays the authority
            self.known.add(fingerprint)
        if added:
            self.stats.inc_value("scheduler/enqueued/redis")
        return added

    def has_pending_requests(self) -> bool:
        return bool(self.logins) or (not self.stopping and super().has_pending_requests())

    def next_request(self) -> Request | None:
        if self.logins:
            return self.logins.pop(0)
        if self.stopping or self._waiting_in_a_slot():
            return None
        data = self.state.pop(self.worker)
        if data is None:
            return None
        if data == CANCELLED:
            self._leave_cancelled()
            return None
        try:
            request = self.queue._decode_request(data)
        except Exception as exc:  # queued by a worker running other code (a renamed callback)
            self.stats.inc_value(LOST_REQUESTS)
            logger.error("cannot read a request from Redis (%s: %s)", type(exc).__name__, exc)
            return None
        self.in_flight[request] = data
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _waiting_in_a_slot(self) -> bool:
        """Whether a request this worker took is still waiting to be sent: in a download slot (for the site's
        delay, or a free transfer) or in an awaiting middleware (a host backing off). Scrapy takes up to
        ``CONCURRENT_REQUESTS`` from its scheduler whatever the delay; from a shared queue that would hoard pages
        other workers could fetch now (seen: one of two workers fetched all 54 pages of a forum with a 0.5 s
        delay). ``active`` and ``slots`` are Scrapy's downloader's: checked, so a future Scrapy only loses the
        fair share."""
        downloader = getattr(self.crawler.engine, "downloader", None)
        active, slots = getattr(downloader, "active", None), getattr(downloader, "slots", None)
        if active is None or slots is None:
            return False
        return len(active) > sum(len(getattr(slot, "transferring", ())) for slot in slots.values())

    # -- acknowledgements -------------------------------------------------

    def _acknowledge(self) -> None:
        """Tell Redis which taken requests are done: the engine and the spider are done with them and the listings
        they gave are written or spooled (:mod:`crawler.jobs.durability`, the local job scheduler's rule). Until
        then a request stays in this worker's in-flight set, which goes back to the queue if the worker dies."""
        finished = finished_requests(self.crawler, self.spider, self.in_flight)
        if finished is None:
            return  # a Scrapy that does not say: the requests stay in flight, and go back to the queue on leaving
        self.settling.add(self.crawler, [self.in_flight.pop(r) for r in finished])
        done = self.settling.done(self.crawler)
        try:
            self.state.ack(self.worker, done)
        except Exception as exc:  # a Redis hiccup: acknowledged at the next pass (until then, still in flight)
            logger.warning("could not acknowledge %d requests to Redis: %s", len(done), exc)
            self.settling.retry(done)
            return
        if done:
            self.stats.inc_value("trawler/scaleout/acknowledged", len(done))

    # -- idle ------------------------------------------------------------

    def _spider_idle(self, spider: Any) -> None:
        if self.stopping:
            self.stopped_cleanly = True  # idle: every request this worker took has been handled
            raise CloseSpider("shutdown")
        verdict = self.state.idle(self.worker)
        if verdict == "cancelled":
            self.cancelled = True
            raise CloseSpider("cancelled")
        if verdict == "drained":
            return  # the engine closes the spider with reason "finished"
        self._wake_later(0.0 if verdict == "work" else self.poll)
        raise DontCloseSpider

    def _wake_later(self, delay: float) -> None:
        if self.wake_call is None or not self.wake_call.active():
            self.wake_call = reactor.callLater(delay, self._wake)

    def _wake(self) -> None:
        # The engine re-reads the scheduler on its own only every 5 s (its heartbeat); ask it now.
        # ``_slot`` is private to Scrapy's engine: checked, so a future Scrapy only loses the fast poll.
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()
