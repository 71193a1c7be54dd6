"""The Scrapy item pipeline: enrich, validate, quarantine, and store listings in batches off the crawl thread.

Per item, on the reactor thread, only cheap work happens: the enrichment hooks
(when any plugin implements them), validation, and appending to a buffer. Full
batches are written by one storage thread, so a slow database costs the crawl
little. When the database cannot be reached mid-crawl, batches go to a disk
spool and are written when it answers again: nothing collected is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pymongo.errors import ConnectionFailure, PyMongoError
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task, threads

from crawler import jobs
from crawler.incremental.markers import partial as incremental_partial
from crawler.jobs.durability import Watermark
from crawler.models import Listing
from crawler.monitoring.blocking import STAT_TOTAL as BLOCKED_PAGES_STAT
from crawler.monitoring.monitor import RunMonitor
from crawler.plugins import TrawlerPluginManager, hook_error_stats, shared_plugin_manager
from crawler.query.terms import catch_up as catch_up_terms
from crawler.spiders import PageListings
from crawler.storage import runs
from crawler.storage.clusters import DEFAULT_THRESHOLD as NEARDUP_THRESHOLD
from crawler.storage.clusters import assign as assign_text_clusters
from crawler.storage.connection import DatabaseConfig, connect, database_config
from crawler.storage.entities import upsert as upsert_entities
from crawler.storage.schema import RUNS, ensure_indexes
from crawler.storage.snapshots import PageSnapshot
from crawler.storage.snapshots import store as store_snapshots
from crawler.storage.spool import Spool
from crawler.storage.writer import ListingWriter, Pending
from crawler.watchlists.after_run import check_after_run

logger = logging.getLogger("trawler.storage")

RETRY_AFTER_OUTAGE_S = 5.0


class StorageUnavailable(RuntimeError):
    """The database cannot be reached when a crawl starts."""


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool | datetime):
        return value
    return repr(value)


class StoragePipeline:
    def __init__(self, crawler: Any, plugins: TrawlerPluginManager) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.plugins = plugins
        self.batch_size = settings.getint("TRAWLER_BATCH_SIZE", 500)
        self.min_batch = min(settings.getint("TRAWLER_MIN_BATCH", 50), self.batch_size)
        self.flush_interval = settings.getfloat("TRAWLER_FLUSH_INTERVAL", 2.0)
        self.max_pending = settings.getint("TRAWLER_MAX_PENDING_BATCHES", 4)
        self.config: DatabaseConfig | None = None
        self.run_id = ""
        self.buffer: list[Pending] = []
        self.quarantine: list[dict[str, Any]] = []
        self.snapshots: list[PageSnapshot] = []
        self.pending: list[Future[None]] = []
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trawler-storage")
        self.outage_since: float | None = None
        self.enrich = plugins.has_impls("trawler_enrich_listing")
        plugins.warm_up_enrichers()
        self.notify_stored = plugins.has_impls("trawler_listing_stored")
        self.neardup_threshold = settings.getfloat("TRAWLER_NEARDUP_THRESHOLD", NEARDUP_THRESHOLD)
        self.flusher: task.LoopingCall | None = None
        # Search terms are written off the crawl's path: every this many seconds, and when the crawl ends.
        self.terms_interval = settings.getfloat("TRAWLER_SEARCH_TERMS_INTERVAL", 300.0)
        self.terms_loop: task.LoopingCall | None = None
        self.monitor = RunMonitor(settings)  # field coverage, checks and alerts (crawler/monitoring/)
        self.watermark = Watermark()  # items stored so far, for the job scheduler (crawler/jobs/)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoragePipeline:
        if not crawler.settings.getbool("TRAWLER_STORE", True):
            raise NotConfigured("TRAWLER_STORE is off")
        return cls(crawler, shared_plugin_manager(crawler.settings))

    # -- lifecycle -------------------------------------------------------

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        self.config = database_config(self.crawler.settings)
        client = connect(self.config, timeout_ms=self.crawler.settings.getint("TRAWLER_DB_TIMEOUT_MS", 5000))
        self.db = client[self.config.name]
        try:
            client.admin.command("ping")
            ensure_indexes(self.db)
        except PyMongoError as exc:
            raise StorageUnavailable(
                f"cannot reach MongoDB at {self.config.safe_uri} ({type(exc).__name__}); start it, fix MONGO_URI, "
                "or unset MONGO_URI to use the embedded database"
            ) from exc
        self.writer = ListingWriter(self.db, index_terms=False)
        self.spool = Spool(Path(self.config.var_dir) / "spool" / self.config.name)
        replayed, _ = self.spool.replay(self.writer)
        if replayed:
            logger.info("wrote %d listings spooled by an earlier run", replayed)
        self.started_at = datetime.now(UTC)
        self.run_id = runs.new_run_id(spider.name)
        self.plugin_versions = {i.name: i.version or "" for i in self.plugins.plugin_infos()}
        self.stats.set_value("trawler/run_id", self.run_id)
        resumed = jobs.attach_run(self.crawler, self.run_id)
        if resumed:  # listings not seen since the interrupted crawl's start are the removed ones
            self.started_at = resumed.started_at
        runs.start(self.db, self.run_id, spider.name, getattr(spider, "profile", None), self.config,
                   self.crawler.settings)  # fmt: skip
        if resumed:
            runs.record_resume(self.db, self.run_id, resumed.run_ids)
        self.flusher = task.LoopingCall(self._flush_buffer)
        self.flusher.start(self.flush_interval, now=False)
        if self.terms_interval > 0:
            self.terms_loop = task.LoopingCall(lambda: self.pending.append(self.executor.submit(self._catch_up_terms)))
            self.terms_loop.start(self.terms_interval, now=False)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        """Enrich, validate and buffer the listings of a page (or one listing a spider yielded alone)."""
        raws = item.listings if isinstance(item, PageListings) else [dict(item)]
        self.watermark.take()
        profile = getattr(self.crawler.spider, "profile", None)
        now = datetime.now(UTC)
        if isinstance(item, PageListings) and item.response is not None:
            snapshot = PageSnapshot.from_response(item.response, item.page_type, self.crawler.spider.name, now)
            item.response = None  # the bytes live on in the snapshot only
            self.snapshots.append(snapshot)
            for raw in raws:
                raw.setdefault("crawl", {})["snapshot_id"] = snapshot.sha256
        for raw in raws:
            self._accept(raw, profile, now)
        waiting = len(self.buffer) + len(self.quarantine)
        # Write when a batch is full, or earlier when the storage thread is idle: the writes then spread
        # over the crawl instead of leaving a large last batch to wait for at the end.
        if waiting >= self.batch_size or (waiting >= self.min_batch and self._writer_idle()):
            self._flush_buffer()
            if len(self.pending) > self.max_pending:
                # Back-pressure: the database is slower than the crawl; wait for the oldest batch.
                return threads.deferToThread(self.pending[0].result).addCallback(lambda _: item)
        return item

    def _accept(self, raw: dict[str, Any], profile: Any, now: datetime) -> None:
        if self.enrich:
            token = hook_error_stats.set(self.stats)
            try:
                self.plugins.hook.trawler_enrich_listing(listing=raw, profile=profile)
            finally:
                hook_error_stats.reset(token)
        try:
            listing = Listing.model_validate(raw)
        except ValidationError as exc:
            self._quarantine(raw, exc, now)
        else:
            self.buffer.append(Pending(listing, now, self.run_id))
            self.monitor.count(listing)
            self.stats.inc_value("trawler/listings_valid")

    async def close_spider(self, spider: Spider | None = None) -> None:
        for loop in (self.flusher, self.terms_loop):
            if loop and loop.running:
                loop.stop()
        self._flush_buffer()
        await maybe_deferred_to_future(threads.deferToThread(self._drain))

    def spider_closed(self, spider: Spider, reason: str) -> Any:
        if not self.run_id:
            return None
        self._sync_stats()
        spooled_left = self.spool.pending_count()
        self.stats.set_value("trawler/spooled_left", spooled_left)
        self._mark_removed(spider, reason, spooled_left)
        run = runs.finish(self.db, self.run_id, self.stats.get_stats(), reason, spooled_left)
        run = self.monitor.review(self.db, run, self.stats.get_stats(), getattr(spider, "profile", None))
        if spooled_left:
            logger.error(
                "%d items are spooled in %s because the database was unreachable; the next crawl writes them "
                "(or run `trawler db replay`)",
                spooled_left,
                self.spool.directory,
            )
        token = hook_error_stats.set(self.stats)
        try:
            self.plugins.hook.trawler_crawl_finished(run=run)
        finally:
            hook_error_stats.reset(token)
        # After the run's record (its elapsed time is the crawl's), off the reactor and awaited by Scrapy: the
        # search terms, then the alert channels, then the watchlists (which search what was just stored).
        indexed = threads.deferToThread(self._catch_up_terms, final=True)
        indexed.addCallback(lambda _: self.monitor.deliver(self.db, run))
        return check_after_run(self.db, self.crawler.settings, run, indexed)

    def _catch_up_terms(self, final: bool = False) -> None:
        started = time.perf_counter()
        try:
            written = catch_up_terms(self.db)
            seconds = time.perf_counter() - started
            if final:  # on the run's record, after its elapsed time: what making it searchable took
                self.db[RUNS].update_one(
                    {"_id": self.run_id}, {"$set": {"search_terms": {"written": written, "seconds": seconds}}}
                )
        except PyMongoError as exc:  # the next pass (or `trawler index`) catches up
            logger.warning("could not write search terms (%s); `trawler index` catches up", exc)
            self.stats.inc_value("trawler/search_terms_errors")
            return
        except Exception:  # a bug must not cost the crawl its listings: they are stored, only not yet searchable
            logger.exception("writing search terms failed; `trawler index` catches up")
            self.stats.inc_value("trawler/search_terms_errors")
            return
        self.stats.inc_value("trawler/search_terms_written", written)
        logger.info("search terms written for %d listings in %.1f s", written, seconds)

    def _mark_removed(self, spider: Spider, reason: str, spooled_left: int) -> None:
        """A listing that a complete, clean crawl no longer found was taken down: mark it, never delete it.

        Only after a crawl that finished without errors or spooled items, since a page that failed to load
        would otherwise make its listings look removed.
        """
        if not self.crawler.settings.getbool("TRAWLER_MARK_REMOVED", True):
            return
        if reason != "finished" or spooled_left or runs.counts_from_stats(self.stats.get_stats())["errors"]:
            return
        if incremental_partial(self.stats.get_stats()):
            return  # pages left out are no sign of removal; 404/410 pages mark theirs (docs/incremental.md)
        if self.stats.get_value(BLOCKED_PAGES_STAT):
            return  # a page the site refused (403, 429, captcha) is no sign that its listings were removed
        try:
            removed = self.writer.mark_removed(spider.name, self.started_at, datetime.now(UTC))
        except PyMongoError as exc:
            logger.warning("could not mark removed listings: %s", exc)
            return
        self.stats.set_value("trawler/listings_removed", removed)

    # -- buffering -------------------------------------------------------

    def _quarantine(self, raw: dict[str, Any], exc: ValidationError, now: datetime) -> None:
        reasons = [f"{'.'.join(str(p) for p in e['loc']) or '(item)'}: {e['msg']}" for e in exc.errors()]
        self.quarantine.append(
            {
                "_id": uuid.uuid4().hex,
                "site": raw.get("site"),
                "url": raw.get("url"),
                "run_id": self.run_id,
                "at": now,
                "reason": "; ".join(reasons),
                "errors": reasons,
                "raw": _json_safe(raw),
            }
        )
        self.stats.inc_value("trawler/listings_quarantined")
        logger.warning("quarantined an invalid item from %s: %s", raw.get("url"), "; ".join(reasons))

    def _writer_idle(self) -> bool:
        return all(f.done() for f in self.pending)

    def _flush_buffer(self) -> None:
        self._sync_stats()
        self.pending = [f for f in self.pending if not f.done()]
        if not (self.buffer or self.quarantine):
            if not self.pending:
                self.watermark.stored(self.watermark.accepted)
            return
        batch, quarantined = self.buffer, self.quarantine
        snapshots = self.snapshots
        self.buffer, self.quarantine, self.snapshots = [], [], []
        future = self.executor.submit(self._write, batch, quarantined, snapshots)
        future.add_done_callback(lambda _, mark=self.watermark.accepted: self.watermark.stored(mark))
        self.pending.append(future)

    def _drain(self) -> None:
        started = time.monotonic()
        self.executor.shutdown(wait=True)
        logger.info("storage drained in %.2f s after the last page", time.monotonic() - started)
        if self.spool.files():
            try:
                self.spool.replay(self.writer)
            except PyMongoError as exc:
                logger.warning("database still unreachable at the end of the crawl: %s", exc)

    # -- the storage thread ---------------------------------------------

    def _write(self, batch: list[Pending], quarantined: list[dict[str, Any]], pages: list[PageSnapshot]) -> None:
        snapshots = [page.document(self.run_id, self.plugin_versions) for page in pages]  # compressed off the reactor
        now = datetime.now(UTC).timestamp()
        if self.outage_since is not None and now - self.outage_since < RETRY_AFTER_OUTAGE_S:
            self._to_spool(batch, quarantined, snapshots, "database unreachable")
            return
        try:
            if self.spool.files():
                self.spool.replay(self.writer)
            store_snapshots(self.db, snapshots)  # evidence first: a stored listing never points at nothing
            result = self.writer.write(batch)
            self.writer.quarantine_many(quarantined)
            upsert_entities(self.db, (doc for doc, _ in result.stored))
            assign_text_clusters(self.db, result.stored, self.neardup_threshold)
        except ConnectionFailure as exc:
            self.outage_since = now
            self._to_spool(batch, quarantined, snapshots, f"{type(exc).__name__}: {exc}")
            return
        except Exception:
            # Not an outage: a write the server refused. Keep the batch and say why.
            self._to_spool(batch, quarantined, snapshots, traceback.format_exc(limit=3))
            with self.lock:
                self.counts["storage_errors"] += 1
            return
        self.outage_since = None
        with self.lock:
            self.counts["listings_new"] += result.new
            self.counts["listings_updated"] += result.updated
            self.counts["listings_unchanged"] += result.unchanged
            self.counts["listings_stored"] += result.new + result.updated + result.unchanged
            self.counts["quarantine_stored"] += len(quarantined)
            self.counts["snapshots_stored"] += len(snapshots)
        if self.notify_stored:
            token = hook_error_stats.set(self.stats)
            try:
                for doc, change in result.stored:
                    self.plugins.hook.trawler_listing_stored(listing=doc, change=change)
            finally:
                hook_error_stats.reset(token)

    def _to_spool(
        self, batch: list[Pending], quarantined: list[dict[str, Any]], snapshots: list[dict[str, Any]], why: str
    ) -> None:
        path = self.spool.append(batch, quarantined, snapshots)
        with self.lock:
            self.counts["spooled"] += len(batch) + len(quarantined)
            self.counts["spool_batches"] += 1
        logger.warning("spooled %d items to %s: %s", len(batch) + len(quarantined), path, why.strip())

    def _sync_stats(self) -> None:
        with self.lock:
            counts = dict(self.counts)
        for key, value in counts.items():
            self.stats.set_value(f"trawler/{key}", value)
        self.monitor.sync(self.stats)
