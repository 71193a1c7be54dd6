"""Scrapy extension: what every crawl does for the run it belongs to.

- Takes the site's lease when the spider opens; a site another crawl holds closes at once with the
  reason ``site_busy`` and says who holds it (the run record shows it as failed, with that error).
- Every ``TRAWLER_RUN_POLL_INTERVAL`` seconds, off the reactor thread: renews the lease and reads the run
  document's ``cancel_requested`` (set by ``trawler runs cancel``); closes the spider with the reason
  ``cancelled`` when it is set, or ``lease_lost`` if another process took the lease over.
- Keeps the last ``TRAWLER_LOG_TAIL_LINES`` log lines and stores them in the run record at the end,
  then releases the lease (after the storage pipeline completed the record).

The storage pipeline opens the run record before this runs (``trawler/run_id`` in the stats); with
``TRAWLER_STORE`` or ``TRAWLER_LEASES`` off the extension steps aside.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from pymongo.errors import PyMongoError
from scrapy import Spider, signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import task, threads

from crawler.scheduling import leases
from crawler.scheduling.logtail import LogTail
from crawler.storage.connection import connect, database_config
from crawler.storage.schema import RUNS

logger = logging.getLogger("trawler.runs")

# Set by a launcher that took the lease for this crawl before starting it (the scheduler, `runs start`).
HOLDER_ENV = "TRAWLER_LEASE_HOLDER"


class RunControl:
    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.ttl = settings.getfloat("TRAWLER_LEASE_TTL", 60.0)
        self.poll = settings.getfloat("TRAWLER_RUN_POLL_INTERVAL", 2.0)
        self.timeout_ms = settings.getint("TRAWLER_DB_TIMEOUT_MS", 5000)
        self.holder = os.environ.get(HOLDER_ENV) or leases.new_holder()
        # Installed now, so the tail also has the start of the crawl if it fails early.
        self.tail = LogTail(settings.getint("TRAWLER_LOG_TAIL_LINES", 50), crawler.spidercls.name).install()
        self.site = ""
        self.run_id: str | None = None
        self.db: Any = None
        self.held = False
        self.loop: task.LoopingCall | None = None
        self.checking = False
        self.closing = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunControl:
        if not crawler.settings.getbool("TRAWLER_STORE", True):
            raise NotConfigured("no run record without storage")
        if not crawler.settings.getbool("TRAWLER_LEASES", True):
            raise NotConfigured("TRAWLER_LEASES is off")
        return cls(crawler)

    # -- start -----------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self.site = spider.name
        self.run_id = self.crawler.stats.get_value("trawler/run_id")
        config = database_config(self.crawler.settings)
        self.db = connect(config, timeout_ms=self.timeout_ms)[config.name]
        if leases.acquire(self.db, self.site, self.holder, self.ttl, run_id=self.run_id) is None:
            current = leases.get(self.db, self.site)
            who = current.describe() if current else "another crawl"
            until = f" until {current.expires_at:%Y-%m-%d %H:%M:%S} UTC unless renewed" if current else ""
            message = f"site {self.site!r} is already being crawled by {who}; its lease runs{until}"
            logger.error("%s: not crawling it twice at once", message)
            self.crawler.stats.set_value("trawler/error", message)
            raise CloseSpider("site_busy")
        self.held = True
        if self.run_id:
            self.db[RUNS].update_one({"_id": self.run_id}, {"$set": {"lease_holder": self.holder}})
        self.loop = task.LoopingCall(self._tick)
        self.loop.start(min(self.poll, self.ttl / 3), now=False)

    # -- while crawling ----------------------------------------------------

    def _tick(self) -> None:
        if self.checking or self.closing:
            return
        self.checking = True
        threads.deferToThread(self._check).addBoth(self._act)

    def _check(self) -> str | None:
        """On a thread: a database that stopped answering must not stall the crawl."""
        try:
            if not leases.renew(self.db, self.site, self.holder, self.ttl):
                return "lease_lost"
            if self.run_id:
                run = self.db[RUNS].find_one({"_id": self.run_id}, {"cancel_requested": 1})
                if run and run.get("cancel_requested"):
                    return "cancelled"
        except PyMongoError as exc:
            logger.warning("could not renew the lease of %s or read its run: %s", self.site, exc)
        return None

    def _act(self, action: Any) -> None:
        self.checking = False
        if not isinstance(action, str) or self.closing or self.crawler.engine is None:
            return
        self.closing = True
        if action == "lease_lost":
            self.held = False
            message = f"the lease on {self.site!r} expired and another crawl took it over; stopping this one"
            logger.error(message)
            self.crawler.stats.set_value("trawler/error", message)
        else:
            logger.info("run %s: cancel requested, closing the crawl", self.run_id)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=action))

    # -- end ---------------------------------------------------------------

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.closing = True
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    async def engine_stopped(self) -> None:
        lines = self.tail.remove()
        if self.db is not None:
            await maybe_deferred_to_future(threads.deferToThread(self._finish, lines))

    def _finish(self, lines: list[str]) -> None:
        try:
            if self.run_id:
                self.db[RUNS].update_one({"_id": self.run_id}, {"$set": {"log_tail": lines}})
            if self.held:
                leases.release(self.db, self.site, self.holder)
        except PyMongoError as exc:
            logger.warning("could not store the log tail or release the lease of %s: %s", self.site, exc)
