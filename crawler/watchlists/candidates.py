"""Which listings a watchlist check looks at, each read narrowly on an index, and which of them are new.

The embedded database evaluates every document a query matches, even under a limit, so each way in is a
narrow predicate:

- an **entity** watchlist reads the entity's listings by ``_id`` (nothing when the entity was not seen
  since the bound);
- a search by **contact** runs as the search page runs it, through ``iter_search``: its base is the
  contact's listings, by ``_id``;
- **any other search** goes the other way round. Run as a search, it would read every listing of its base
  (every ``kind=ad`` listing, every listing with a common word; the "seen since" bound is no index range)
  only to keep the few seen since the bound: 130 s for ``site=X`` over 20,000 listings, measured. Instead,
  the listing versions begun since the bound are read once per check for all these watchlists (per site,
  on the ``(site, crawl.last_seen)`` index: what the crawls since then touched, with only their ``crawl``
  field), and each saved search is evaluated on just those with the query layer's own matcher (its
  filters, words and phrases, :class:`crawler.query.search.Reader`) over an ``_id`` base: 0.1 s for the
  same watchlist.

Either way a listing counts only if its current version began at or after the bound: ``crawl.first_seen``
for a new listing, the replaced version's ``replaced_at`` for a changed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.database import Database

from crawler.query import counters, iter_search
from crawler.query.models import QueryPlan, SearchParams, utc
from crawler.query.search import Base, Reader, parse_text
from crawler.storage.schema import ENTITIES, LISTINGS, VERSIONS
from crawler.watchlists.models import Change

# What a hit keeps of its listing, for the watchlist page and the notice (the listing page has the rest).
LISTING_FIELDS = {"site": 1, "kind": 1, "title": 1, "url": 1, "crawl": 1}
Start = tuple[int, Change, datetime]  # (version, new or changed, when that version was first seen)


def version_starts(db: Database, docs: Sequence[dict[str, Any]], since: datetime) -> dict[str, Start]:
    """``{listing id: (version, new|changed, when that version was first seen)}`` for the versions begun at or
    after ``since``; the other listings are left out."""
    found: dict[str, Start] = {}
    older: dict[str, tuple[int, str]] = {}  # listing id -> (version, id of the version it replaced)
    for doc in docs:
        crawl = doc.get("crawl") or {}
        version = int(crawl.get("version") or 1)
        first_seen = utc(crawl.get("first_seen"))
        if first_seen is not None and first_seen >= since:
            found[doc["_id"]] = (version, Change.NEW, first_seen)
        elif version > 1:
            older[doc["_id"]] = (version, f"{doc['_id']}@v{version - 1}")
    if older:
        by_version = {v: k for k, (_, v) in older.items()}
        for replaced in db[VERSIONS].find({"_id": {"$in": sorted(by_version)}}, {"replaced_at": 1}):
            started = utc(replaced.get("replaced_at"))
            listing_id = by_version[replaced["_id"]]
            if started is not None and started >= since:
                found[listing_id] = (older[listing_id][0], Change.CHANGED, started)
    return found


def entity_listings(db: Database, entity_id: str, since: datetime) -> list[dict[str, Any]]:
    entity = db[ENTITIES].find_one({"_id": entity_id}, {"listings": 1, "last_seen": 1})
    if entity is None:
        return []
    last_seen = utc(entity.get("last_seen"))
    if last_seen is not None and last_seen < since:
        return []  # none of its listings was seen since the bound
    ids = sorted(entity.get("listings") or [])
    return list(db[LISTINGS].find({"_id": {"$in": ids}, "crawl.last_seen": {"$gte": since}}, LISTING_FIELDS))


def search_listings(db: Database, params: SearchParams, since: datetime) -> Iterable[dict[str, Any]]:
    """The search's matches seen since ``since`` (a version begun since was seen since), through the search."""
    bound = max(params.seen_since, since) if params.seen_since else since
    return iter_search(db, params.model_copy(update={"seen_since": bound}))


@dataclass
class RecentVersions:
    """The listing versions begun since ``since``, read once per check and shared by its searches (all but those
    by contact)."""

    db: Database
    since: datetime
    starts: dict[str, Start] = field(default_factory=dict)
    loaded: bool = False

    def load(self) -> None:
        sites = [counters.value_of(k) for k, n in (counters.stats(self.db).get("site") or {}).items() if n]
        for site in sorted(sites):
            # (site, crawl.last_seen): only what this and later crawls touched, never the whole site's past.
            touched = self.db[LISTINGS].find({"site": site, "crawl.last_seen": {"$gte": self.since}}, {"crawl": 1})
            self.starts.update(version_starts(self.db, list(touched), self.since))
        self.loaded = True

    def matching(self, params: SearchParams, since: datetime) -> list[dict[str, Any]]:
        """The listings among those begun since ``since`` (at or after this cache's bound) that match."""
        if not self.loaded:
            self.load()
        ids = sorted(i for i, (_, _, started) in self.starts.items() if started >= since)
        if not ids:
            return []
        # The query layer's own matcher (filters, words, phrases) over an _id base we choose.
        base = Base({"_id": {"$in": ids}}, "_id_", len(ids), ids)
        plan = QueryPlan(strategy="candidates")
        reader = Reader(self.db, params, parse_text(params.text), base, counters.stats(self.db), None, plan)
        matched = [doc["_id"] for doc in reader.all_matches()]
        return list(self.db[LISTINGS].find({"_id": {"$in": matched}}, LISTING_FIELDS)) if matched else []
