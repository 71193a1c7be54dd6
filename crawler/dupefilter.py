"""A duplicate-request filter whose seen set lives on disk, with a bounded cache in memory.

Scrapy's ``RFPDupeFilter`` keeps every request fingerprint of a crawl in a
Python set (about 100 bytes each), so its memory grows with the crawl and a
months-long crawl of a large platform would hold millions of them.
:class:`SeenSet` keeps them in an SQLite table (WAL journal, commits in
batches) and only the most recently used ones in an LRU cache of
``TRAWLER_DUPEFILTER_CACHE_SIZE`` entries. Most duplicates on a site are links
that every page repeats (the board index, the categories, the next page), so
the cache answers most look-ups; a new URL costs one indexed ``INSERT OR
IGNORE`` (a few microseconds, see ``docs/operations.md``).

With :class:`crawler.jobs.scheduler.JobScheduler` (Trawler's default) the seen
set is part of the site's job directory and committed with the request queue,
so a crawl killed and started again does not fetch the pages it already has.
Used alone with Scrapy's own scheduler, the filter keeps its file in ``JOBDIR``
when one is set, else in a temporary directory removed at the end of the crawl.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from scrapy.dupefilters import BaseDupeFilter
from scrapy.http import Request
from scrapy.utils.job import job_dir
from scrapy.utils.request import RequestFingerprinter, RequestFingerprinterProtocol, referer_str

logger = logging.getLogger("trawler.dupefilter")

SEEN_FILE = "seen.sqlite"
DEFAULT_CACHE_SIZE = 10_000


def open_sqlite(path: Path, fsync: bool = False) -> sqlite3.Connection:
    """An SQLite connection tuned for a crawl's state: WAL, commits in batches by the caller.

    In WAL mode a commit is a write to the WAL file, which survives the process being killed (SIGKILL, a
    crash); ``fsync`` also syncs it to disk, so it survives an operating-system crash or power loss too. The
    page cache is SQLite's default 2 MB per connection, so memory stays bounded whatever the size of the file.
    """
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
    return db


class SeenSet:
    """A set of request fingerprints in SQLite, the ``cache_size`` most recently used also in memory."""

    def __init__(self, path: Path, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.path = path
        self.cache_size = max(0, cache_size)
        self.cache: OrderedDict[bytes, None] = OrderedDict()
        self.uncommitted = 0
        self.db = open_sqlite(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS seen (fp BLOB PRIMARY KEY) WITHOUT ROWID")
        self.db.commit()

    def add(self, fingerprint: bytes) -> bool:
        """Add ``fingerprint``; True when it was not in the set yet."""
        cache = self.cache
        if fingerprint in cache:
            cache.move_to_end(fingerprint)
            return False
        added = self.db.execute("INSERT OR IGNORE INTO seen (fp) VALUES (?)", (fingerprint,)).rowcount == 1
        self._remember(fingerprint)
        if added:
            self.uncommitted += 1
        return added

    def __contains__(self, fingerprint: bytes) -> bool:
        if fingerprint in self.cache:
            return True
        return self.db.execute("SELECT 1 FROM seen WHERE fp = ?", (fingerprint,)).fetchone() is not None

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM seen").fetchone()[0])

    def _remember(self, fingerprint: bytes) -> None:
        if not self.cache_size:
            return
        self.cache[fingerprint] = None
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

    def commit(self) -> None:
        self.db.commit()
        self.uncommitted = 0

    def close(self) -> None:
        self.commit()
        self.db.close()
        self.cache.clear()


class DiskDupeFilter(BaseDupeFilter):
    """``DUPEFILTER_CLASS``: Scrapy's request fingerprints, kept in a :class:`SeenSet` on disk."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        fingerprinter: RequestFingerprinterProtocol | None = None,
        debug: bool = False,
        commit_every: int = 1000,
    ) -> None:
        self.directory = directory
        self.cache_size = cache_size
        self.fingerprinter = fingerprinter or RequestFingerprinter()
        self.debug = debug
        # 0: the owner (the job scheduler) commits, after its own request queue.
        self.commit_every = commit_every
        self.logdupes = True
        self.seen: SeenSet | None = None
        self._temporary: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> DiskDupeFilter:
        jobdir = job_dir(crawler.settings)
        return cls.for_directory(crawler, Path(jobdir) if jobdir else None)

    @classmethod
    def for_directory(cls, crawler: Any, directory: Path | None, commit_every: int = 1000) -> DiskDupeFilter:
        return cls(
            directory,
            cache_size=crawler.settings.getint("TRAWLER_DUPEFILTER_CACHE_SIZE", DEFAULT_CACHE_SIZE),
            fingerprinter=crawler.request_fingerprinter,
            debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
            commit_every=commit_every,
        )

    def open(self) -> None:
        if self.seen is not None:
            return
        directory = self.directory
        if directory is None:
            directory = self._temporary = Path(tempfile.mkdtemp(prefix="trawler-seen-"))
        directory.mkdir(parents=True, exist_ok=True)
        self.seen = SeenSet(directory / SEEN_FILE, self.cache_size)

    def request_seen(self, request: Request) -> bool:
        if self.seen is None:
            self.open()
        assert self.seen is not None
        added = self.seen.add(self.fingerprinter.fingerprint(request))
        if added and self.commit_every and self.seen.uncommitted >= self.commit_every:
            self.seen.commit()
        return not added

    def commit(self) -> None:
        if self.seen is not None:
            self.seen.commit()

    def close(self, reason: str) -> None:
        if self.seen is not None:
            self.seen.close()
            self.seen = None
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None

    def log(self, request: Request, spider: Any) -> None:
        if self.debug:
            logger.debug("Filtered duplicate request: %s (referer: %s)", request, referer_str(request))
        elif self.logdupes:
            logger.debug(
                "Filtered duplicate request: %s - no more duplicates will be shown (see DUPEFILTER_DEBUG)", request
            )
            self.logdupes = False
        spider.crawler.stats.inc_value("dupefilter/filtered")
