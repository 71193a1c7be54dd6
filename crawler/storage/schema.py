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
LEASES = "leases"  # one document per site being crawled (crawler/scheduling/leases.py)
SCHEDULES = "schedules"  # next and last scheduled run per site (crawler/scheduling/scheduler.py)
# Accounts of the analyst web page and API (crawler/accounts/).
USERS = "users"
SESSIONS = "sessions"
API_TOKENS = "api_tokens"
LOGIN_ATTEMPTS = "login_attempts"
AUDIT_LOG = "audit_log"  # append-only: the code only ever inserts

INDEXES: dict[str, list[list[tuple[str, int]]]] = {
    LISTINGS: [
        [("site", ASCENDING), ("kind", ASCENDING)],
        [("site", ASCENDING), ("crawl.last_seen", DESCENDING)],
        [("parent_id", ASCENDING)],
        [("contacts.phones", ASCENDING)],
        [("contacts.emails", ASCENDING)],
        [("contacts.handles", ASCENDING)],
        [("text_sig.bands", ASCENDING)],  # near-duplicate candidates (crawler/storage/clusters.py)
        [("author.id", ASCENDING)],
        [("posted_at", DESCENDING)],
        # The query layer (crawler/query/search.py): a word or a filter value ("kind:ad") then a window of the
        # date; or a window of the date, or of risk-then-date. One multikey index only: each costs the writer
        # an entry per token of every listing (docs/query.md).
        [("search.tokens", ASCENDING), ("search.ts", DESCENDING)],
        [("search.ts", DESCENDING)],
        [("search.rank", DESCENDING)],
        [("crawl.removed_at", ASCENDING)],  # the removed listings (a range above the epoch)
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
    SESSIONS: [[("username", ASCENDING)]],
    API_TOKENS: [[("username", ASCENDING)], [("token_id", ASCENDING)]],
    LOGIN_ATTEMPTS: [[("key", ASCENDING), ("at", DESCENDING)]],
    AUDIT_LOG: [[("actor", ASCENDING), ("_id", DESCENDING)], [("action", ASCENDING), ("_id", DESCENDING)]],
}


def ensure_indexes(db: Database) -> None:
    for collection, indexes in INDEXES.items():
        for keys in indexes:
            db[collection].create_index(keys)
