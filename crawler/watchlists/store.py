"""Where watchlists live: ``watchlists`` (one document each) and ``watchlist_hits`` (one per matching listing
version), and every read and write of them.

Queries are narrow on an index (the embedded server evaluates every document a query matches, even under
a limit): a user's watchlists on ``(owner, created)``, a watchlist's hits on ``(watchlist_id, found_at)``,
its unseen hits on ``(watchlist_id, seen)``. Hit ids are ``<watchlist id>|<listing id>@v<version>``, so
recording the same hit twice inserts nothing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from crawler.query.models import utc
from crawler.watchlists.models import Hit, LastNotice, Watchlist

logger = logging.getLogger("trawler.watchlists")

WATCHLISTS = "watchlists"
HITS = "watchlist_hits"
INDEXES: dict[str, list[list[tuple[str, int]]]] = {
    WATCHLISTS: [[("owner", ASCENDING), ("created", DESCENDING)]],
    HITS: [
        [("watchlist_id", ASCENDING), ("found_at", DESCENDING)],
        [("watchlist_id", ASCENDING), ("seen", ASCENDING)],
    ],
}
DUPLICATE_KEY = 11000
MAX_HITS_PAGE = 500


class WatchlistExists(ValueError):
    """The owner already has a watchlist of that name."""


def ensure_indexes(db: Database) -> None:
    for collection, indexes in INDEXES.items():
        for keys in indexes:
            db[collection].create_index(keys)


def new_id() -> str:
    return secrets.token_hex(8)


def hit_id(watchlist_id: str, listing_id: str, version: int) -> str:
    return f"{watchlist_id}|{listing_id}@v{version}"


def insert(db: Database, watchlist: Watchlist) -> None:
    """Store a new watchlist; raises :class:`WatchlistExists` when its owner has one of that name."""
    ensure_indexes(db)
    # Names are unique per owner; checked here rather than with a unique index, which the embedded server
    # would have to keep on every insert for a rule this small.
    if db[WATCHLISTS].find_one({"owner": watchlist.owner, "name": watchlist.name}, {"_id": 1}) is not None:
        raise WatchlistExists(f"{watchlist.owner} already has a watchlist named {watchlist.name!r}")
    try:
        db[WATCHLISTS].insert_one(watchlist.document())
    except DuplicateKeyError as exc:  # 64 random bits: only if the id generator were broken
        raise WatchlistExists(f"watchlist id {watchlist.id} exists") from exc


def get(db: Database, watchlist_id: str, owner: str | None = None) -> Watchlist | None:
    """One watchlist by id; with ``owner``, only if it is theirs (another user's is as good as absent)."""
    query: dict[str, Any] = {"_id": str(watchlist_id)}
    if owner is not None:
        query["owner"] = str(owner)
    found = _valid([doc] if (doc := db[WATCHLISTS].find_one(query)) else [])
    return found[0] if found else None


def list_for(db: Database, owner: str) -> list[Watchlist]:
    """A user's watchlists, newest first."""
    return _valid(db[WATCHLISTS].find({"owner": str(owner)}).sort([("created", DESCENDING), ("_id", ASCENDING)]))


def list_all(db: Database) -> list[Watchlist]:
    """Every watchlist (the checker's and the CLI's view; the collection holds a few per analyst)."""
    return _valid(db[WATCHLISTS].find({}).sort("_id", ASCENDING))


def _valid(docs: Iterable[dict[str, Any]]) -> list[Watchlist]:
    """The documents as watchlists; one that no longer validates (edited by hand, or written by a newer
    version) is logged and left out, so it can neither break a page nor reach a query. `remove` still works."""
    found = []
    for doc in docs:
        try:
            found.append(Watchlist.from_doc(doc))
        except ValidationError as exc:
            logger.error("watchlist %s is not valid and is skipped: %s", doc.get("_id"), exc.errors()[0]["msg"])
    return found


def delete(db: Database, watchlist_id: str, owner: str | None = None) -> bool:
    """Delete a watchlist and its hits; False when there is none (of ``owner``'s) with that id."""
    query: dict[str, Any] = {"_id": str(watchlist_id)}
    if owner is not None:
        query["owner"] = str(owner)
    if db[WATCHLISTS].delete_one(query).deleted_count == 0:
        return False
    db[HITS].delete_many({"watchlist_id": str(watchlist_id)})
    return True


def record_hits(db: Database, hits: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert hit documents whose ``_id`` may be stored already; returns the ones that are new."""
    docs = list(hits)
    if not docs:
        return []
    ids = [doc["_id"] for doc in docs]
    known = {doc["_id"] for doc in db[HITS].find({"_id": {"$in": ids}}, {"_id": 1})}
    fresh = [doc for doc in docs if doc["_id"] not in known]
    if not fresh:
        return []
    try:
        db[HITS].insert_many(fresh, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        # Another checker (a crawl finishing at the same time) recorded these first: they are its news.
        raced = {e["index"] for e in errors}
        fresh = [doc for n, doc in enumerate(fresh) if n not in raced]
    return fresh


def advance(db: Database, watchlist_id: str, checkpoint: datetime, checked_at: datetime, error: str | None) -> None:
    # $max: two checkers finishing out of order never move a checkpoint back.
    db[WATCHLISTS].update_one(
        {"_id": watchlist_id},
        {"$max": {"checkpoint": checkpoint}, "$set": {"last_check": checked_at, "last_error": error}},
    )


def record_notice(db: Database, watchlist_id: str, notice: LastNotice) -> None:
    db[WATCHLISTS].update_one({"_id": watchlist_id}, {"$set": {"last_notice": notice.model_dump()}})


def hits_page(
    db: Database,
    watchlist_id: str,
    limit: int = 100,
    before: tuple[datetime, str] | None = None,
    unseen_only: bool = False,
) -> tuple[list[Hit], tuple[datetime, str] | None]:
    """A watchlist's hits, newest first, below the keyset ``before`` = (found_at, id); and the next page's key."""
    limit = max(1, min(limit, MAX_HITS_PAGE))
    query: dict[str, Any] = {"watchlist_id": str(watchlist_id)}
    if unseen_only:
        query["seen"] = False
    if before is not None:
        at, last_id = before
        query["$or"] = [{"found_at": {"$lt": at}}, {"found_at": at, "_id": {"$lt": last_id}}]
    found = list(db[HITS].find(query).sort([("found_at", DESCENDING), ("_id", DESCENDING)]).limit(limit + 1))
    hits = [Hit.from_doc(doc) for doc in found[:limit]]
    more = len(found) > limit and hits
    return hits, ((utc(found[limit - 1]["found_at"]) or datetime.now(UTC), hits[-1].id) if more else None)


def unseen_count(db: Database, watchlist_id: str) -> int:
    return db[HITS].count_documents({"watchlist_id": str(watchlist_id), "seen": False})


def hit_count(db: Database, watchlist_id: str) -> int:
    return db[HITS].count_documents({"watchlist_id": str(watchlist_id)})


def mark_seen(db: Database, watchlist_id: str) -> int:
    """Mark every unseen hit of a watchlist seen; returns how many were unseen."""
    result = db[HITS].update_many({"watchlist_id": str(watchlist_id), "seen": False}, {"$set": {"seen": True}})
    return result.modified_count
