"""The search terms of listings (``listing_terms``), written off the crawl's path and caught up from a checkpoint.

Word and filter search runs on a multikey index over each listing's tokens
(:func:`crawler.query.tokens.terms_document`: ~40 index entries a listing). The
embedded server pays ~0.05 ms per index entry on insert, so writing them with
the listing cost the crawl more than everything else it stores
(docs/benchmarks.md). The crawl's writer therefore only stamps each listing it
inserts or replaces with ``crawl.written_at``, and :func:`catch_up` writes the
terms of every listing written since its checkpoint: at the end of each crawl,
every ``SEARCH_TERMS_INTERVAL`` seconds during a long one, from ``trawler
serve`` and ``trawler index``. Until then a new listing is found by its id,
contacts and pivots, but not by word search.

The checkpoint is the newest ``written_at`` caught up; each pass re-reads
:data:`OVERLAP` before it, so a batch committed while the previous pass ran
(or stamped by a machine whose clock runs a little behind) is still picked up.
Re-reading costs a read, never a write: a listing whose terms are unchanged
(same ``sig``) is skipped. Clocks of crawling machines must agree within the
overlap (NTP); ``trawler reindex`` rebuilds everything whatever happened.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReplaceOne
from pymongo.database import Database
from pymongo.errors import PyMongoError

from crawler.query.counters import FACETS
from crawler.query.tokens import SEARCH_FIELD, terms_document
from crawler.storage.byid import find_by_ids
from crawler.storage.schema import LISTINGS, TERMS

logger = logging.getLogger(__name__)

CHECKPOINT = "terms_checkpoint"  # its document in the query layer's bookkeeping collection (FACETS)
OVERLAP = timedelta(seconds=120)
BATCH = 500
WRITTEN_AT = "crawl.written_at"
# What a listing's terms are computed from (crawler/query/tokens.py).
SOURCE = {
    name: 1
    for name in (
        "title", "body", "author.name", "location.raw", "location.city", "location.country", "category",
        "contacts.phones", "contacts.emails", "contacts.handles", "site", "platform_type", "kind", "language",
        "indicators.id", "indicators.category", "posted_at", "crawl.first_seen", WRITTEN_AT, f"{SEARCH_FIELD}.ts",
    )
}  # fmt: skip


def write_terms(db: Database, listings: Iterable[dict[str, Any]]) -> int:
    """Write the terms of ``listings`` (stored listing documents) whose terms changed; returns how many."""
    fresh = [terms_document(doc) for doc in listings]
    if not fresh:
        return 0
    ids = [doc["_id"] for doc in fresh]
    stored = {doc["_id"]: doc.get("sig") for doc in find_by_ids(db[TERMS], ids, {"sig": 1})}
    ops = [ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in fresh if stored.get(doc["_id"]) != doc["sig"]]
    if ops:
        db[TERMS].bulk_write(ops, ordered=False)
    return len(ops)


def batches(docs: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    """``docs`` (a stream, e.g. a cursor) in lists of ``size``."""
    batch: list[dict[str, Any]] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def checkpoint(db: Database) -> datetime | None:
    """The newest ``written_at`` whose listings' terms are written (None before the first pass)."""
    state = db[FACETS].find_one({"_id": CHECKPOINT}) or {}
    return state.get("written_at")


def _pending_query(since: datetime | None) -> dict[str, Any]:
    # Without a checkpoint every listing is read once: those stored before written_at existed are covered too.
    return {WRITTEN_AT: {"$gte": since - OVERLAP}} if since else {}


def catch_up(db: Database, progress: Callable[[int], None] | None = None) -> int:
    """Write the terms of the listings written since the checkpoint, move it; returns how many terms were written.

    One query read as a stream (the embedded server evaluates every match of a query anyway), written back in
    batches. Safe to run from several processes at once: each write is a whole-document replace of derived data.
    """
    since = checkpoint(db)
    newest = since
    written = read = 0
    for batch in batches(db[LISTINGS].find(_pending_query(since), SOURCE).batch_size(BATCH)):
        written += write_terms(db, batch)
        read += len(batch)
        stamps = [stamp for doc in batch if isinstance(stamp := (doc.get("crawl") or {}).get("written_at"), datetime)]
        if stamps and (newest is None or max(stamps) > newest):
            newest = max(stamps)
        if progress:
            progress(read)
    if newest is not None and newest != since:
        # $max: two passes finishing out of order never move the checkpoint back.
        db[FACETS].update_one({"_id": CHECKPOINT}, {"$max": {"written_at": newest}}, upsert=True)
    return written


def keep_caught_up(db: Database, interval: float, stop: threading.Event) -> None:
    """:func:`catch_up` every ``interval`` seconds until ``stop`` is set: ``trawler serve`` runs it in a thread, so
    listings stored by ``scrapy crawl`` or distributed workers become searchable without anyone asking."""
    while not stop.wait(interval):
        try:
            catch_up(db)
        except PyMongoError as exc:  # the database may be restarting: try again next time
            logger.warning("could not catch up the search terms: %s", exc)
