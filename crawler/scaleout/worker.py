"""``trawler worker``: take part in the seeded crawls of some sites, one after another, in one process.

Each seeded crawl is a normal Scrapy crawl of the site's spider, except that its scheduler is
:class:`crawler.scaleout.scheduler.SharedScheduler` (the requests come from Redis, not from ``start()``)
and its pipeline does not mark removed listings (the crawl's last worker does, see
:mod:`crawler.scaleout.record`). Between crawls the worker polls Redis for a new seed; it exits when it has
had nothing to do for ``max_idle`` seconds (0: never, the service mode).

A seeded crawl whose site another crawl holds (a plain crawl that took the site's lease after the seed's
lapsed, :mod:`crawler.scaleout.lease`) is left for later: the worker looks again at its next poll.
An incremental recrawl runs as ``seed`` decided it (the crawl's Redis meta), with the same incremental
middleware and spider logic as a plain crawl (:mod:`crawler.incremental`): each worker loads the site's
page states when it joins, sends conditional requests, skips unchanged detail pages and stops paginating.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

from pymongo.errors import PyMongoError
from scrapy.crawler import Crawler, CrawlerRunner
from scrapy.utils.log import configure_logging
from scrapy.utils.reactor import install_reactor
from twisted.internet import defer
from twisted.internet.task import deferLater

from crawler.crawling import CrawlOutcome, project_settings
from crawler.scaleout import lease
from crawler.scaleout.state import CrawlKeys, CrawlState, connect, current_key, prefix_of
from crawler.spiderloader import ProfileSpiderLoader
from crawler.storage.connection import database_config, open_database

logger = logging.getLogger("trawler.scaleout")

SCHEDULER = "crawler.scaleout.scheduler.SharedScheduler"
DUPEFILTER = "scrapy_redis.dupefilter.RFPDupeFilter"
# How a worker's crawl closes when the seeded crawl it saw was done, or replaced, by the time it joined.
TOO_LATE = frozenset({"crawl_already_done", "crawl_not_seeded"})


def worker_settings(keys: CrawlKeys, settings: Any, meta: dict[str, str] | None = None) -> dict[str, Any]:
    """The settings that turn a crawl into a worker's share of crawl ``keys`` (only workers and seed use them);
    ``meta``: the crawl's Redis meta, where ``seed`` wrote how the crawl runs."""
    out = {
        "SCHEDULER": SCHEDULER,
        "DUPEFILTER_CLASS": DUPEFILTER,
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": keys.queue,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "TRAWLER_CRAWL_ID": keys.crawl_id,
        # The queue and the seen set are in Redis; a local job directory would only disagree with them.
        "JOBDIR": None,
        "TRAWLER_MARK_REMOVED": False,
        # The per-site lease (crawler/scheduling/leases.py) is one crawl process's; workers share a site.
        "TRAWLER_LEASES": False,
        # A worker's run is a part of a crawl: compared with whole crawls it would look like a sharp drop. The
        # crawl's last worker reviews the whole crawl with the monitoring settings it was started with.
        "TRAWLER_MONITORING": {**settings.getdict("TRAWLER_MONITORING"), "enabled": False},
        "TRAWLER_SCALEOUT_MONITORING": settings.getdict("TRAWLER_MONITORING"),
        "TRAWLER_SCALEOUT_MARK_REMOVED": settings.getbool("TRAWLER_MARK_REMOVED", True),
    }
    mode = (meta or {}).get("incremental")
    if mode is not None:  # every worker recrawls as the seed decided, whatever its own environment says
        out["TRAWLER_INCREMENTAL"] = mode != "off"
        out["TRAWLER_INCREMENTAL_FULL"] = mode == "full"
    return out


async def _seeded_only(self: Any) -> AsyncIterator[Any]:
    """A worker's spider starts nothing itself: ``trawler seed`` queued the start requests once."""
    return
    yield  # an async generator that yields nothing


def worker_spider(spidercls: type) -> type:
    return type(spidercls.__name__, (spidercls,), {"start": _seeded_only, "__module__": spidercls.__module__})


def seeded_sites(server: Any, prefix: str) -> list[str]:
    """Sites with a current crawl in Redis (what a worker started without site names works on)."""
    pattern = current_key(prefix, "*")
    head, tail = pattern.split("*")
    return sorted(key.decode()[len(head) : -len(tail)] for key in server.scan_iter(match=pattern))


class Worker:
    def __init__(self, sites: list[str], overrides: dict[str, Any], max_idle: float, poll: float) -> None:
        self.sites = sites
        self.settings = project_settings(overrides)
        self.max_idle = max_idle
        self.poll = poll
        self.server = connect(self.settings)
        self.prefix = prefix_of(self.settings)
        self.loader = ProfileSpiderLoader.from_settings(self.settings)
        self.outcomes: list[CrawlOutcome] = []
        self.taken: set[str] = set()
        self.waiting: set[str] = set()  # crawls whose site another crawl holds (logged once)
        self.db = open_database(database_config(self.settings))
        self.stopping = False
        self.runner: CrawlerRunner | None = None

    def pending(self) -> list[tuple[str, CrawlState]]:
        """The seeded crawls this process has not taken part in yet and that are not done."""
        found = []
        for site in self.sites or seeded_sites(self.server, self.prefix):
            state = CrawlState.current(self.server, self.prefix, site)
            if state is None or state.crawl_id in self.taken or state.meta().get("state") != "seeded":
                continue
            if site not in self.loader.list():
                logger.error("crawl %s is seeded but there is no site profile %r here", state.crawl_id, site)
                self.taken.add(state.crawl_id)
                continue
            try:
                other = lease.busy_with_other(self.db, site, state.crawl_id)
            except PyMongoError as exc:
                logger.warning("cannot read the lease of %s (%s); trying again later", site, exc)
                continue
            if other is not None:
                if state.crawl_id not in self.waiting:
                    logger.warning("crawl %s waits: %s holds the site", state.crawl_id, other.describe())
                    self.waiting.add(state.crawl_id)
                continue
            found.append((site, state))
        return found

    def _crawl(self, site: str, state: CrawlState) -> defer.Deferred[Any]:
        assert self.runner is not None
        settings = self.settings.copy()
        settings.setdict(worker_settings(state.keys, self.settings, state.meta()), priority="cmdline")
        crawler = Crawler(worker_spider(self.loader.load(site)), settings)
        outcome = CrawlOutcome(f"{site} ({state.crawl_id})")
        self.outcomes.append(outcome)
        self.taken.add(state.crawl_id)

        def done(result: Any) -> None:
            outcome.ended = time.monotonic()
            if crawler.stats is not None:
                outcome.stats = dict(crawler.stats.get_stats())
            if result is not None and hasattr(result, "getErrorMessage"):
                outcome.error = result.getErrorMessage()
            if outcome.error is None and outcome.stats.get("finish_reason") in TOO_LATE:
                self._arrived_too_late(outcome)

        return self.runner.crawl(crawler).addBoth(done)

    def _arrived_too_late(self, outcome: CrawlOutcome) -> None:
        """The crawl was completed (or replaced) by others between this worker seeing it and joining it: the
        worker took no part (its scheduler closed the crawl before the pipeline opened a run record), which
        is no failure."""
        logger.info("%s: finished by other workers before this one joined", outcome.site)
        self.outcomes.remove(outcome)

    async def loop(self) -> None:
        from twisted.internet import reactor

        idle_since = time.monotonic()
        while not self.stopping:
            jobs = self.pending()
            if jobs:
                await defer.DeferredList([self._crawl(site, state) for site, state in jobs])
                idle_since = time.monotonic()
                continue
            if self.max_idle > 0 and time.monotonic() - idle_since >= self.max_idle:
                break
            await deferLater(reactor, self.poll)

    def stop(self, signum: int, _frame: Any) -> None:
        """SIGTERM / SIGINT: finish the requests taken, leave the crawls (resumable), exit. A second signal
        stops at once (Scrapy's shutdown): the requests this worker had taken are then lost to the crawl."""
        from twisted.internet import reactor

        from crawler.scaleout.scheduler import SharedScheduler

        if not self.stopping:
            logger.info("signal %d: finishing the requests taken, then leaving the crawls", signum)
            self.stopping = True
            reactor.callFromThread(SharedScheduler.stop_all)
        elif self.runner is not None:
            logger.info("signal %d again: stopping now", signum)
            reactor.callFromThread(self.runner.stop)

    def run(self) -> list[CrawlOutcome]:
        install_reactor(self.settings["TWISTED_REACTOR"])
        from twisted.internet import reactor

        configure_logging(self.settings)
        self.runner = CrawlerRunner(self.settings)
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        finished = defer.Deferred.fromCoroutine(self.loop())
        finished.addErrback(lambda failure: logger.error("worker stopped: %s", failure.getTraceback()))
        finished.addBoth(lambda _: reactor.stop())
        reactor.run(installSignalHandlers=False)
        self.db.client.close()
        return self.outcomes
