"""``trawler seed SITE``: open a distributed crawl and queue its start requests, once.

The start requests are what the site's spider's ``start()`` yields (the start URLs, or the login request),
serialised exactly as a worker's scheduler serialises the requests it queues, and filtered through the same
seen set. The previous crawl of the site is replaced: its keys are deleted, so the site can be crawled again.
A crawl still being worked on (requests queued or workers in it) is only replaced with ``force``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from crawler.scaleout import record
from crawler.scaleout.state import CrawlKeys, CrawlState, connect, current_key, new_crawl_id, prefix_of
from crawler.scaleout.worker import worker_settings
from crawler.scheduling import leases
from crawler.spiderloader import ProfileSpiderLoader
from crawler.storage.connection import database_config, open_database


class SeedError(RuntimeError):
    pass


@dataclass
class Seeded:
    crawl_id: str
    queued: int
    replaced: str | None


async def _start_requests(spider: Any) -> list[Any]:
    return [request async for request in spider.start()]


def seed(site: str, settings: Any, force: bool = False) -> Seeded:
    server = connect(settings)
    prefix = prefix_of(settings)
    previous = CrawlState.current(server, prefix, site)
    if previous is not None:
        # Only live workers count: a killed one left its name behind but refreshes no alive key.
        queued = previous.queued()
        workers = [w for w in previous.workers() if server.exists(previous.keys.alive(w))]
        if previous.meta().get("state") != "done" and (queued or workers) and not force:
            raise SeedError(
                f"crawl {previous.crawl_id} of {site} is still in progress ({queued} requests queued, "
                f"{len(workers)} workers in it); wait for it, or replace it with --force"
            )
        server.delete(*previous.keys.all())

    db = open_database(database_config(settings))
    lease = leases.get(db, site)
    if lease is not None and lease.live():
        raise SeedError(f"{site} is being crawled by run {lease.run_id or '?'} on {lease.host}; seed it after that")

    keys = CrawlKeys(prefix, new_crawl_id(site))
    state = CrawlState(server, keys)
    crawl_settings = settings.copy()
    crawl_settings.setdict(worker_settings(keys, settings), priority="cmdline")
    spidercls = ProfileSpiderLoader.from_settings(crawl_settings).load(site)
    crawler = Crawler(spidercls, crawl_settings)
    spider = spidercls.from_crawler(crawler)
    queue = PriorityQueue(server, spider, keys.queue)
    fingerprints = RFPDupeFilter(server, keys.dupefilter)

    seeded_at = datetime.now(UTC)
    server.hset(keys.meta, mapping={"site": site, "seeded_at": seeded_at.isoformat(), "state": "seeded"})
    queued = 0
    for request in asyncio.run(_start_requests(spider)):
        fingerprint = None if request.dont_filter else fingerprints.request_fingerprint(request)
        queued += state.enqueue(fingerprint, request.priority, queue._encode_request(request))
    server.hset(keys.meta, "start_requests", queued)
    record.open_crawl(db, keys.crawl_id, site, spider.profile, seeded_at, queued)
    # Last: a waiting worker picks the crawl up only once it is complete in Redis and in the database.
    server.set(current_key(prefix, site), keys.crawl_id)
    return Seeded(keys.crawl_id, queued, previous.crawl_id if previous else None)
