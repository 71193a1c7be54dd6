"""The site lease of a distributed crawl: one lease for the whole crawl, kept alive by its workers.

A plain crawl holds its site's lease (:mod:`crawler.scheduling.leases`) from one process. A distributed
crawl has no such process, so its lease is held in the *crawl's* name: holder ``crawl:<crawl id>``,
``run_id`` the crawl id, ``pid`` 0 (no single process: only its expiry frees it, never a dead pid).

- ``seed`` takes it, atomically, before it queues anything: a site whose lease a plain crawl holds is not
  seeded, and a plain crawl started after the seed finds the site busy.
- Every worker in the crawl takes it again when it joins (the lease may have lapsed while no worker was
  running) and renews it every ``TRAWLER_LEASE_TTL / 3`` seconds while it works. A worker that cannot
  (a plain crawl took the site after the lease lapsed) refuses the crawl, or stops with ``lease_lost``.
- The worker that completes the crawl, or the last one to leave an unfinished crawl, releases it. If
  every worker dies, nobody renews it and it expires after ``TRAWLER_LEASE_TTL`` seconds.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError

from crawler.scheduling import leases
from crawler.storage.connection import connect, database_config

logger = logging.getLogger("trawler.scaleout")

HOLDER_PREFIX = "crawl:"


def holder_of(crawl_id: str) -> str:
    return HOLDER_PREFIX + crawl_id


def take(db: Database, site: str, crawl_id: str, ttl: float) -> leases.Lease | None:
    """Take (or extend) ``site``'s lease for crawl ``crawl_id``; ``None`` when another crawl holds it."""
    return leases.acquire(db, site, holder_of(crawl_id), ttl, run_id=crawl_id, pid=0)


def busy_with_other(db: Database, site: str, crawl_id: str) -> leases.Lease | None:
    """The live lease of another crawl on ``site``, if there is one."""
    current = leases.get(db, site)
    if current is not None and current.holder != holder_of(crawl_id) and current.live():
        return current
    return None


class CrawlLease:
    """One worker's hold on its crawl's lease (its own database client: renewals run on a thread)."""

    def __init__(self, settings: Any, site: str, crawl_id: str) -> None:
        config = database_config(settings)
        self.client = connect(config, settings.getint("TRAWLER_DB_TIMEOUT_MS", 5000))
        self.db = self.client[config.name]
        self.site = site
        self.crawl_id = crawl_id
        self.ttl = settings.getfloat("TRAWLER_LEASE_TTL", 60.0)

    @property
    def interval(self) -> float:
        return max(0.2, self.ttl / 3)

    def take(self) -> leases.Lease | None:
        return take(self.db, self.site, self.crawl_id, self.ttl)

    def holder_message(self) -> str:
        current = leases.get(self.db, self.site)
        who = current.describe() if current else "another crawl"
        return f"site {self.site!r} is already being crawled by {who}; crawl {self.crawl_id} waits for it"

    def keep(self) -> bool:
        """Renew; take it again if it lapsed and is free. ``False``: another crawl holds the site now.
        A database error counts as kept: the next renewal tries again, and the TTL covers a short outage."""
        try:
            if leases.renew(self.db, self.site, holder_of(self.crawl_id), self.ttl):
                return True
            return self.take() is not None
        except PyMongoError as exc:
            logger.warning("could not renew the lease of %s for crawl %s: %s", self.site, self.crawl_id, exc)
            return True

    def release(self) -> None:
        try:
            leases.release(self.db, self.site, holder_of(self.crawl_id))
        except PyMongoError as exc:
            logger.warning("could not release the lease of %s (it expires on its own): %s", self.site, exc)

    def close(self) -> None:
        self.client.close()
