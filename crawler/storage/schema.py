"""Collection names and the indexes Trawler needs, created at start (idempotently).

Every query the product makes must be narrow on one of these indexes: the
embedded server evaluates every matching document even under a limit.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

LISTINGS = "listings"
VERSIONS = "listing_versions"
QUARANTINE = "quarantine"
RUNS = "crawl_runs"
SNAPSHOTS = "snapshots"
ENTITIES = "entities"

INDEXES: dict[str, list[list[tuple[str, int]]]] = {
    LISTINGS: [
        [("site", ASCENDING), ("kind", ASCENDING)],
        [("site", ASCENDING), ("crawl.last_seen", DESCENDING)],
        [("parent_id", ASCENDING)],
        [("contacts.phones", ASCENDING)],
        [("contacts.emails", ASCENDING)],
        [("contacts.handles", ASCENDING)],
        [("author.id", ASCENDING)],
        [("posted_at", DESCENDING)],
    ],
    VERSIONS: [[("listing_id", ASCENDING), ("version", ASCENDING)], [("run_id", ASCENDING)]],
    QUARANTINE: [[("run_id", ASCENDING)], [("site", ASCENDING), ("at", DESCENDING)]],
    RUNS: [[("site", ASCENDING), ("started_at", DESCENDING)], [("status", ASCENDING)]],
    ENTITIES: [
        [("listings", ASCENDING)],
        [("site_count", DESCENDING)],
        [("last_seen", DESCENDING)],
        [("type", ASCENDING), ("last_seen", DESCENDING)],
    ],
    SNAPSHOTS: [[("site", ASCENDING), ("fetched_at", DESCENDING)], [("url", ASCENDING)]],
}


def ensure_indexes(db: Database) -> None:
    for collection, indexes in INDEXES.items():
        for keys in indexes:
            db[collection].create_index(keys)
