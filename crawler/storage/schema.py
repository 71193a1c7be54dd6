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
TERMS = "listing_terms"  # the search tokens of each listing, written off the crawl's path (crawler/query/terms.py)
LEASES = "leases"  # one document per site being crawled (crawler/scheduling/leases.py)
SCHEDULES = "schedules"  # next and last scheduled run per site (crawler/scheduling/scheduler.py)
# Accounts of the analyst web page and API (crawler/accounts/).
USERS = "users"
SESSIONS = "sessions"
API_TOKENS = "api_tokens"
LOGIN_ATTEMPTS = "login_attempts"
AUDIT_LOG = "audit_log"  # append-only: the code only ever inserts

INDEXES: dict[str, list[list[tuple[str, int]]]] = {
    # Only what a query needs: every index costs each insert (~0.035 ms an entry on the embedded server).
    # Contacts are looked up in ENTITIES; the near-duplicate band index is created by clusters.py when enabled.
    LISTINGS: [
        [("site", ASCENDING), ("kind", ASCENDING)],
        [("site", ASCENDING), ("crawl.last_seen", DESCENDING)],  # marking removed listings
        # The query layer (crawler/query/search.py): windows of the date, or of risk-then-date. Word and filter
        # tokens are in TERMS, not here: an index entry per token would cost the crawl more than the listing.
        [("search.ts", DESCENDING)],
        [("search.rank", DESCENDING)],
        [("crawl.removed_at", ASCENDING)],  # the removed listings (a range above the epoch)
        [("crawl.written_at", ASCENDING)],  # what the search terms indexer has not caught up with yet
    ],
    # A word or a filter value ("kind:ad") then a window of the date (crawler/query/search.py, docs/query.md).
    TERMS: [[("tokens", ASCENDING), ("ts", DESCENDING)]],
    VERSIONS: [[("listing_id", ASCENDING), ("version", ASCENDING)], [("run_id", ASCENDING)]],
    QUARANTINE: [[("run_id", ASCENDING)], [("site", ASCENDING), ("at", DESCENDING)]],
    RUNS: [[("site", ASCENDING), ("started_at", DESCENDING)], [("status", ASCENDING)]],
    # (listings) is created by clusters.py when near-duplicate clustering is on: only it looks entities up that way.
    ENTITIES: [
        [("site_count", DESCENDING)],
        [("last_seen", DESCENDING)],
        [("type", ASCENDING), ("last_seen", DESCENDING)],
    ],
    SNAPSHOTS: [[("site", ASCENDING), ("fetched_at", DESCENDING)], [("url", ASCENDING)]],
    SESSIONS: [[("username", ASCENDING)]],
    API_TOKENS: [[("username", ASCENDING)], [("token_id", ASCENDING)]],
    LOGIN_ATTEMPTS: [[("key", ASCENDING), ("at", DESCENDING)]],
    AUDIT_LOG: [[("actor", ASCENDING), ("_id", DESCENDING)], [("action", ASCENDING), ("_id", DESCENDING)]],
}


# Indexes earlier versions created that nothing uses any more: each still costs every write an entry.
RETIRED: dict[str, list[str]] = {
    LISTINGS: [
        "search.tokens_1_search.ts_-1",
        "parent_id_1",
        "contacts.phones_1",
        "contacts.emails_1",
        "contacts.handles_1",
        "author.id_1",
        "posted_at_-1",
    ]
}


def ensure_indexes(db: Database) -> None:
    for collection, indexes in INDEXES.items():
        for keys in indexes:
            db[collection].create_index(keys)
    for collection, names in RETIRED.items():
        existing = set(db[collection].index_information())
        for name in names:
            if name in existing:
                db[collection].drop_index(name)
