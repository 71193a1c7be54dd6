"""``trawler seed SITE``: open a distributed crawl and queue its start requests, once.

The start requests are what the site's spider's ``start()`` yields (the start URLs, or the login request),
serialised exactly as a worker's scheduler serialises the requests it queues, and filtered through the same
seen set. The previous crawl of the site is replaced: its keys are deleted, so the site can be crawled again.
A crawl still being worked on (requests queued or workers in it) is only replaced with ``force``.

The site's lease (:mod:`crawler.scaleout.lease`) is taken in the new crawl's name before anything is queued:
a site a plain crawl is crawling is not seeded (:class:`SiteBusy`).

An incremental recrawl (the profile's ``incremental.enabled``, else ``TRAWLER_INCREMENTAL``;
``TRAWLER_INCREMENTAL_FULL`` for ``--full``) is decided here, once, and written into the crawl's Redis meta,
so every worker runs the crawl the same way. Its start requests include the stored pages that are due by
their revisit interval, read from the page states as a plain crawl's ``start()`` reads them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import MemoryStatsCollector
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from crawler.incremental.markers import STAT as INCREMENTAL_STAT
from crawler.incremental.middleware import enabled_for
from crawler.incremental.state import PageStateStore
from crawler.scaleout import lease, record
from crawler.scaleout.state import CrawlKeys, CrawlState, connect, current_key, new_crawl_id, prefix_of
from crawler.scaleout.worker import worker_settings
from crawler.scheduling import leases
from crawler.spiderloader import ProfileSpiderLoader
from crawler.storage.connection import database_config, open_database


class SeedError(RuntimeError):
    pass


class CrawlInProgress(SeedError):
    """The site's previous distributed crawl is still being worked on (or waits for workers to resume it)."""


class SiteBusy(SeedError):
    """Another crawl (a plain one, or another distributed one) holds the site's lease."""


@dataclass
class Seeded:
    crawl_id: str
    queued: int
    replaced: str | None
    incremental: str = "off"  # "off", "incremental" or "full"
    due: int = 0  # of the queued requests, stored pages due by their revisit interval


async def _start_requests(spider: Any) -> list[Any]:
    return [request async for request in spider.start()]


def _replaceable(server: Any, previous: CrawlState, site: str, force: bool) -> None:
    # Only live workers count: a killed one left its name behind but refreshes no alive key.
    queued = previous.queued()
    workers = [w for w in previous.workers() if server.exists(previous.keys.alive(w))]
    if previous.meta().get("state") != "done" and (queued or workers) and not force:
        raise CrawlInProgress(
            f"crawl {previous.crawl_id} of {site} is still in progress ({queued} requests queued, "
            f"{len(workers)} workers in it); wait for it, or replace it with --force"
        )


def incremental_mode(spider: Any, settings: Any) -> str:
    if not enabled_for(spider, settings):
        return "off"
    return "full" if settings.getbool("TRAWLER_INCREMENTAL_FULL", False) else "incremental"


def seed(site: str, settings: Any, force: bool = False, trigger: str | None = None) -> Seeded:
    """Open a distributed crawl of ``site``; ``trigger`` for its run record (default: TRAWLER_RUN_TRIGGER)."""
    server = connect(settings)
    db = open_database(database_config(settings))
    try:  # the scheduler seeds from a long-running process: no client may outlive its seed
        return _take_and_seed(server, db, site, settings, force, trigger)
    finally:
        db.client.close()
        server.close()


def _take_and_seed(server: Any, db: Any, site: str, settings: Any, force: bool, trigger: str | None) -> Seeded:
    prefix = prefix_of(settings)
    previous = CrawlState.current(server, prefix, site)
    if previous is not None:
        _replaceable(server, previous, site, force)
    keys = CrawlKeys(prefix, new_crawl_id(site))
    ttl = settings.getfloat("TRAWLER_LEASE_TTL", 60.0)
    if previous is not None and force:
        leases.release(db, site, lease.holder_of(previous.crawl_id))  # replaced: its lease goes with it
    if lease.take(db, site, keys.crawl_id, ttl) is None:
        current = leases.get(db, site)
        who = current.describe() if current else "another crawl"
        raise SiteBusy(f"{site} is being crawled by {who}; seed it after that")
    try:
        return _seed(db, server, keys, site, settings, previous, trigger)
    except BaseException:
        leases.release(db, site, lease.holder_of(keys.crawl_id))
        raise


def _seed(
    db: Any, server: Any, keys: CrawlKeys, site: str, settings: Any, previous: CrawlState | None, trigger: str | None
) -> Seeded:
    if previous is not None:
        leftovers = list(server.scan_iter(match=previous.keys.inflight_prefix + "*"))  # of workers that died
        server.delete(*previous.keys.all(), *leftovers)
    state = CrawlState(server, keys)
    crawl_settings = settings.copy()
    crawl_settings.setdict(worker_settings(keys, settings), priority="cmdline")
    spidercls = ProfileSpiderLoader.from_settings(crawl_settings).load(site)
    crawler = Crawler(spidercls, crawl_settings)
    crawler.stats = MemoryStatsCollector(crawler)  # the spider's start() counts the due pages it yields
    spider = spidercls.from_crawler(crawler)
    mode = incremental_mode(spider, crawl_settings)
    if mode != "off":
        # What the incremental middleware does when a crawl opens, so that start() adds the due pages.
        store = PageStateStore(db, site)
        store.load()
        spider.page_states = store
        spider.incremental_full = mode == "full"
    queue = PriorityQueue(server, spider, keys.queue)
    fingerprints = RFPDupeFilter(server, keys.dupefilter)

    seeded_at = datetime.now(UTC)
    meta = {"site": site, "seeded_at": seeded_at.isoformat(), "state": "seeded", "incremental": mode}
    server.hset(keys.meta, mapping=meta)
    queued = 0
    for request in asyncio.run(_start_requests(spider)):
        fingerprint = None if request.dont_filter else fingerprints.request_fingerprint(request)
        queued += state.enqueue(fingerprint, request.priority, queue._encode_request(request))
    server.hset(keys.meta, "start_requests", queued)
    record.open_crawl(db, keys.crawl_id, site, spider.profile, seeded_at, queued, trigger, mode)
    # Last: a waiting worker picks the crawl up only once it is complete in Redis and in the database.
    server.set(current_key(prefix_of(settings), site), keys.crawl_id)
    due = int(crawler.stats.get_value(INCREMENTAL_STAT + "pages_due", 0) or 0)
    return Seeded(keys.crawl_id, queued, previous.crawl_id if previous else None, mode, due)
