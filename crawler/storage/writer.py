"""Writes batches of validated listings: new ones inserted, changed ones versioned, unchanged ones touched.

Idempotent by construction: a listing whose content hash is already stored
only gets its ``last_seen`` moved, and a version document's ``_id`` is
``<listing id>@v<n>``, so replaying a batch (after a database outage) never
creates a second version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import InsertOne, ReplaceOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from crawler.models import DERIVED_FIELDS, Listing, document_hash
from crawler.query.counters import record as record_counters
from crawler.query.terms import write_terms
from crawler.query.tokens import SEARCH_FIELD, search_document
from crawler.storage.byid import find_by_ids, update_by_ids
from crawler.storage.schema import LISTINGS, QUARANTINE, VERSIONS

DUPLICATE_KEY = 11000


@dataclass
class Pending:
    """A validated listing waiting to be written, with when and by which run it was seen."""

    listing: Listing
    seen_at: datetime
    run_id: str


@dataclass
class BatchResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (document, change)


def _flatten(content: dict[str, Any]) -> dict[str, Any]:
    """One level of nesting flattened (``price.amount``), so diffs name the sub-field that changed."""
    flat: dict[str, Any] = {}
    for key, value in content.items():
        if isinstance(value, dict) and value:
            for sub, sub_value in value.items():
                flat[f"{key}.{sub}"] = sub_value
        else:
            flat[key] = value
    return flat


def field_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"old": ..., "new": ...}}`` for every field whose value differs."""
    before, after = _flatten(old), _flatten(new)
    return {
        name: {"old": before.get(name), "new": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


class ListingWriter:
    """``index_terms``: write the search terms of what it stores at once (tools, tests, small imports). A crawl
    leaves them to :func:`crawler.query.terms.catch_up`, off its path (their index entries cost more than the rest).
    """

    def __init__(self, db: Database, *, index_terms: bool = True) -> None:
        self.db = db
        self.index_terms = index_terms
        self.listings = db[LISTINGS]
        self.versions = db[VERSIONS]
        self.quarantine = db[QUARANTINE]

    def write(self, batch: Iterable[Pending]) -> BatchResult:
        latest: dict[str, Pending] = {}
        for pending in batch:
            latest[pending.listing.id] = pending  # the same listing twice in one batch: the last one wins
        result = BatchResult()
        if not latest:
            return result
        documents = {pid: p.listing.to_document() for pid, p in latest.items()}
        hashes = {pid: document_hash(doc) for pid, doc in documents.items()}
        known = {doc["_id"]: doc for doc in find_by_ids(self.listings, latest, {"crawl": 1})}
        changed_ids = [pid for pid, doc in known.items() if doc.get("crawl", {}).get("content_hash") != hashes[pid]]
        previous = {doc["_id"]: doc for doc in find_by_ids(self.listings, changed_ids)}

        # New listings are inserted, not upserted: an insert costs the embedded server half as much.
        listing_ops: list[tuple[str, InsertOne | ReplaceOne]] = []
        version_docs: list[dict[str, Any]] = []
        unchanged_by_seen: dict[tuple[datetime, str], list[str]] = {}
        for pid, pending in latest.items():
            stored = known.get(pid)
            if stored is None:
                doc = self._document(documents[pid], hashes[pid], pending, first_seen=pending.seen_at, version=1)
                listing_ops.append((pid, InsertOne(doc)))
                result.new += 1
                result.stored.append((doc, "new"))
            elif pid in previous:
                old = previous[pid]
                old_meta = old.get("crawl", {})
                old_version = int(old_meta.get("version", 1))
                old_content = {k: v for k, v in old.items() if k not in ("_id", "crawl", *DERIVED_FIELDS)}
                new_content = {k: v for k, v in documents[pid].items() if k not in ("_id", "crawl", *DERIVED_FIELDS)}
                version_docs.append(
                    {
                        "_id": f"{pid}@v{old_version}",
                        "listing_id": pid,
                        "version": old_version,
                        "content": old_content,
                        "content_hash": old_meta.get("content_hash"),
                        "snapshot_id": old_meta.get("snapshot_id"),
                        "first_seen": old_meta.get("first_seen"),
                        "last_seen": old_meta.get("last_seen"),
                        "replaced_at": pending.seen_at,
                        "run_id": pending.run_id,
                        "diff": field_diff(old_content, new_content),
                    }
                )
                doc = self._document(
                    documents[pid],
                    hashes[pid],
                    pending,
                    first_seen=old_meta.get("first_seen") or pending.seen_at,
                    version=old_version + 1,
                )
                listing_ops.append((pid, ReplaceOne({"_id": pid}, doc, upsert=True)))
                result.updated += 1
                result.stored.append((doc, "updated"))
            else:
                unchanged_by_seen.setdefault((pending.seen_at, pending.run_id), []).append(pid)
                result.unchanged += 1
                meta = stored.get("crawl", {})
                seen = max(meta.get("last_seen") or pending.seen_at, pending.seen_at)
                result.stored.append(({**documents[pid], "crawl": {**meta, "last_seen": seen}}, "unchanged"))

        if version_docs:
            insert_ignoring_duplicates(self.versions, version_docs)
        if listing_ops:
            raced = self._bulk_write(listing_ops)
            # Facet counters (crawler/query/counters.py): what was written in, what it replaced out.
            written = [doc for doc, change in result.stored if change != "unchanged" and doc["_id"] not in raced]
            record_counters(self.db, written, previous.values())
            if self.index_terms:
                write_terms(self.db, written)
            if raced:
                # Another crawl stored these between our read and our insert: write them again as known listings.
                result.new -= len(raced)
                result.stored = [(doc, change) for doc, change in result.stored if doc["_id"] not in raced]
                again = self.write([latest[pid] for pid in sorted(raced)])
                result.new += again.new
                result.updated += again.updated
                result.unchanged += again.unchanged
                result.stored += again.stored
        for (seen_at, run_id), ids in unchanged_by_seen.items():
            # One command for the whole group; the guard keeps a replayed old batch from moving last_seen back.
            update_by_ids(
                self.listings,
                ids,
                {"$set": {"crawl.last_seen": seen_at, "crawl.run_id": run_id, "crawl.removed_at": None}},
                where={"crawl.last_seen": {"$lt": seen_at}},
            )
        return result

    def _bulk_write(self, ops: list[tuple[str, InsertOne | ReplaceOne]]) -> set[str]:
        """Write ``(listing id, op)`` pairs; return the ids of inserts that failed because the listing exists by now."""
        try:
            self.listings.bulk_write([op for _, op in ops], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY or not isinstance(ops[e["index"]][1], InsertOne) for e in errors):
                raise
            return {ops[e["index"]][0] for e in errors}
        return set()

    @staticmethod
    def _document(doc: dict[str, Any], content_hash: str, pending: Pending, first_seen: datetime, version: int) -> dict:
        doc["crawl"] = {
            "written_at": datetime.now(UTC),  # the search terms indexer's checkpoint (crawler/query/terms.py)
            "first_seen": first_seen,
            "last_seen": pending.seen_at,
            "content_hash": content_hash,
            "version": version,
            "run_id": pending.run_id,
            "snapshot_id": pending.listing.crawl.snapshot_id,
            "removed_at": None,
        }
        doc[SEARCH_FIELD] = search_document(doc)  # derived: outside the content hash and the version diff
        return doc

    def mark_removed(self, site: str, not_seen_since: datetime, now: datetime) -> int:
        """Mark the listings of ``site`` that a complete crawl started at ``not_seen_since`` did not see."""
        result = self.listings.update_many(
            {"site": site, "crawl.last_seen": {"$lt": not_seen_since}, "crawl.removed_at": None},
            {"$set": {"crawl.removed_at": now}},
        )
        return result.modified_count

    def quarantine_many(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            insert_ignoring_duplicates(self.quarantine, docs)


def insert_ignoring_duplicates(collection: Collection, docs: list[dict[str, Any]]) -> None:
    """Insert documents whose ``_id`` may already be stored (a replayed batch): those are skipped."""
    try:
        collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise
