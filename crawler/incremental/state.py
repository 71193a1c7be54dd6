"""The crawl state of every page, in the ``page_states`` collection.

One document per page (``_id``: a hash of the canonical URL): its validators
(ETag, Last-Modified), the body as last fetched (zlib, kept only when the server
sent a validator, since only then can it answer 304 and the page be needed
again without fetching it), the list-row marker it was reached with, the
markers of the rows elsewhere that point at an anchor inside it (a "latest
reviews" feed row linking to ``?page=3#review-123``: ``anchors``), the ids of
the listings it produced, and its revisit schedule.

At spider open the states of the site are read once, without bodies (about 200
bytes each); a body is read, off the reactor, only when a 304 needs it. Every
change is queued and written by one thread of this store's own in batches, as
the storage pipeline writes listings, so the crawl never waits for the database.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import Binary
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import PyMongoError
from w3lib.url import canonicalize_url

from crawler.storage.byid import update_by_ids
from crawler.storage.schema import LISTINGS

logger = logging.getLogger("trawler.incremental")

PAGE_STATES = "page_states"
FLUSH_AT = 200  # queued writes that make a batch


def anchor_key(fragment: str) -> str:
    """A fragment as a field name: hashed, since scraped fragments may hold the "." and "$" field names cannot."""
    return hashlib.sha1(fragment.encode("utf-8")).hexdigest()[:16]


def url_key(url: str) -> str:
    """The ``_id`` of a page's state: the same for every spelling of the URL Scrapy treats as one."""
    return hashlib.sha1(canonicalize_url(url).encode("utf-8")).hexdigest()[:24]


@dataclass
class PageState:
    key: str
    url: str = ""
    etag: str | None = None
    last_modified: str | None = None
    body_sha1: str | None = None
    has_body: bool = False
    marker: str | None = None
    head: str | None = None  # the first page of a paginated detail (a topic's page 1 for its page 3)
    listing_ids: list[str] = field(default_factory=list)
    interval_s: float | None = None
    next_due: datetime | None = None
    content_type: str | None = None
    fetched_this_run: bool = False
    callback: str | None = None  # the spider method that parsed it (to request it again when it is due)
    anchors: dict[str, str] = field(default_factory=dict)  # anchor_key(fragment) -> marker of the row linking there

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> PageState:
        return cls(
            key=doc["_id"],
            url=doc.get("url", ""),
            etag=doc.get("etag"),
            last_modified=doc.get("last_modified"),
            body_sha1=doc.get("body_sha1"),
            has_body=bool(doc.get("has_body")),
            marker=doc.get("marker"),
            head=doc.get("head"),
            listing_ids=list(doc.get("listing_ids") or []),
            interval_s=doc.get("interval_s"),
            next_due=doc.get("next_due"),
            content_type=doc.get("content_type"),
            callback=doc.get("callback"),
            anchors=dict(doc.get("anchors") or {}),
        )

    def due(self, now: datetime) -> bool:
        return self.next_due is None or self.next_due <= now


class PageStateStore:
    """The states of one site's pages: read at open, updated in memory, written in batches by a thread."""

    def __init__(self, db: Database, site: str) -> None:
        self.collection = db[PAGE_STATES]
        self.listings = db[LISTINGS]
        self.site = site
        self.states: dict[str, PageState] = {}
        self.children: dict[str, list[str]] = {}
        # Row markers of anchors inside pages not fetched yet in this run: recorded when the page is fetched
        # (200 or 304), never before, so that a failed fetch leaves the row looking changed next time.
        self.expected_anchors: dict[str, dict[str, str]] = {}
        # The same for list-row markers: the request carrying the marker may be dropped as a duplicate of one
        # made through a link outside any row (a "featured" box), which then fetches the page without it.
        self.expected_markers: dict[str, str] = {}
        self.ops: list[tuple[str, dict[str, Any]]] = []  # (_id, fields to set)
        self.touch: list[str] = []
        self.removed: list[str] = []
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trawler-page-states")
        self.pending: list[Future[None]] = []
        self.write_errors = 0

    # -- reading ---------------------------------------------------------

    def load(self) -> int:
        """Read every state of the site (no bodies). Called once, in a thread, when the spider opens."""
        self.collection.create_index([("site", 1)])
        for doc in self.collection.find({"site": self.site}, {"body": 0}):
            state = PageState.from_document(doc)
            self.states[state.key] = state
            if state.head:
                self.children.setdefault(state.head, []).append(state.key)
        return len(self.states)

    def get(self, url: str) -> PageState | None:
        return self.states.get(url_key(url))

    def body(self, key: str) -> bytes | None:
        """The stored body of a page (blocking: call it from a thread)."""
        doc = self.collection.find_one({"_id": key}, {"body": 1})
        if not doc or doc.get("body") is None:
            return None
        return zlib.decompress(doc["body"])

    # -- changes (on the reactor thread: memory only) --------------------

    def fetched(
        self,
        url: str,
        *,
        now: datetime,
        changed: bool,
        interval_s: float,
        etag: str | None,
        last_modified: str | None,
        body: bytes | None,
        content_type: str | None,
        marker: str | None,
        head: str | None,
        callback: str | None = None,
    ) -> PageState:
        """Record a fetch (200 or 304) of ``url``."""
        key = url_key(url)
        state = self.states.get(key) or PageState(key, url)
        self.states[key] = state
        state.url, state.interval_s, state.fetched_this_run = url, interval_s, True
        state.next_due = now.replace(microsecond=0) + timedelta(seconds=interval_s)
        fields: dict[str, Any] = {
            "site": self.site,
            "url": url,
            "last_fetched": now,
            "interval_s": interval_s,
            "next_due": state.next_due,
        }
        if changed:
            fields["last_changed"] = now
        expected_marker = self.expected_markers.pop(key, None)
        marker = marker if marker is not None else expected_marker
        if marker is not None and marker != state.marker:
            state.marker = fields["marker"] = marker
        if callback is not None and callback != state.callback:
            state.callback = fields["callback"] = callback
        if head is not None and head != key and state.head is None:
            state.head = fields["head"] = head
            self.children.setdefault(head, []).append(key)
        if expected := self.expected_anchors.pop(key, None):
            state.anchors.update(expected)
            fields["anchors"] = dict(state.anchors)
        if body is not None:
            digest = hashlib.sha1(body).hexdigest()
            state.etag, state.last_modified, state.content_type = etag, last_modified, content_type
            fields |= {"etag": etag, "last_modified": last_modified, "content_type": content_type}
            state.body_sha1 = fields["body_sha1"] = digest
            state.has_body = fields["has_body"] = bool(etag or last_modified)
            # The body itself is compressed on the writer thread (see _write).
            fields["body"] = body if state.has_body else None
        self._queue(key, fields)
        return state

    def set_marker(self, state: PageState, marker: str) -> None:
        """The row marker of a page fetched in this run through a link outside any row (a "latest ads" box)
        whose row request was then filtered as a duplicate: the row seen in the same run describes it."""
        state.marker = marker
        self._queue(state.key, {"site": self.site, "marker": marker})

    def record_marker(self, url: str, marker: str) -> None:
        """The row marker of ``url``, whichever process fetches the page (workers sharing a Redis queue)."""
        key = url_key(url)
        state = self.states.get(key) or PageState(key, url)
        self.states[key] = state
        state.marker = marker
        self._queue(key, {"site": self.site, "url": url, "marker": marker})

    def expect_marker(self, url: str, marker: str) -> None:
        """A list row showed ``url`` with ``marker``: recorded when the page is fetched in this run, by
        whichever request fetches it."""
        self.expected_markers[url_key(url)] = marker

    def expect_anchor(self, url: str, fragment: str, marker: str) -> None:
        """A row points at ``fragment`` inside ``url`` with ``marker``: recorded once the page is fetched."""
        self.expected_anchors.setdefault(url_key(url), {})[anchor_key(fragment)] = marker

    def set_anchor(self, state: PageState, fragment: str, marker: str) -> None:
        """The row marker of an anchor inside a page already fetched in this run."""
        key = anchor_key(fragment)
        if state.anchors.get(key) != marker:
            state.anchors[key] = marker
            self._queue(state.key, {"site": self.site, "anchors": dict(state.anchors)})

    def page_listings(self, url: str, listing_ids: list[str]) -> None:
        """The listings a page produced, so that a later 304 or skip can confirm them without extracting."""
        key = url_key(url)
        state = self.states.get(key) or PageState(key, url)
        self.states[key] = state
        if state.listing_ids != listing_ids:
            state.listing_ids = listing_ids
            self._queue(key, {"site": self.site, "url": url, "listing_ids": listing_ids})

    def confirm(self, state: PageState, with_children: bool = False) -> int:
        """The page's listings are still there (a 304, or a list row showing the item unchanged): move their
        ``last_seen``. With ``with_children``, also the listings of its further pages (a topic's pages 2..n)."""
        ids = list(state.listing_ids)
        if with_children:
            for child in self.children.get(state.key, ()):
                if child_state := self.states.get(child):
                    ids += child_state.listing_ids
        with self.lock:
            self.touch += ids
        return len(ids)

    def gone(self, state: PageState) -> int:
        """The page answered 404/410: its listings were taken down."""
        with self.lock:
            self.removed += state.listing_ids
        return len(state.listing_ids)

    def _queue(self, key: str, fields: dict[str, Any]) -> None:
        with self.lock:
            self.ops.append((key, fields))
            full = len(self.ops) >= FLUSH_AT
        if full:
            self.flush()

    # -- writing (the store's thread) -------------------------------------

    def flush(self) -> None:
        with self.lock:
            ops, touch, removed = self.ops, self.touch, self.removed
            self.ops, self.touch, self.removed = [], [], []
        self.pending = [f for f in self.pending if not f.done()]
        if ops or touch or removed:
            self.pending.append(self.executor.submit(self._write, ops, touch, removed, datetime.now(UTC)))

    def _write(
        self, ops: list[tuple[str, dict[str, Any]]], touch: list[str], removed: list[str], now: datetime
    ) -> None:
        try:
            updates = []
            for key, fields in ops:
                if isinstance(fields.get("body"), bytes):
                    fields = {**fields, "body": Binary(zlib.compress(fields["body"], 1))}
                updates.append(UpdateOne({"_id": key}, {"$set": fields}, upsert=True))
            if updates:
                self.collection.bulk_write(updates, ordered=True)
            if touch:
                # The guard keeps an older write from moving last_seen back.
                update_by_ids(
                    self.listings, touch, {"$set": {"crawl.last_seen": now}}, where={"crawl.last_seen": {"$lt": now}}
                )
            if removed:
                update_by_ids(
                    self.listings, removed, {"$set": {"crawl.removed_at": now}}, where={"crawl.removed_at": None}
                )
        except PyMongoError as exc:
            # Losing page states costs only efficiency on the next crawl (those pages are fetched again).
            self.write_errors += 1
            logger.warning("could not write %d page states: %s", len(ops), exc)

    def close(self) -> None:
        """Write everything queued and wait for it (blocking: call it from a thread)."""
        self.flush()
        self.executor.shutdown(wait=True)
