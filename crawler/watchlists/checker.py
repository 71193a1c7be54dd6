"""The check: for each watchlist, the matching listings that are new or changed since its checkpoint.

A listing is a *hit* of a watchlist when it matches (a search watchlist: the saved search, through the
query layer; an entity watchlist: it mentions the entity) and its current version began at or after the
watchlist's checkpoint (``crawl.first_seen`` for a new listing, the replaced version's ``replaced_at`` for
a changed one). Hits are stored per listing version, so a check that runs twice records nothing the second
time, and a listing that changes again is a new hit.

The lower bound of a check is the checkpoint minus ``TRAWLER_WATCHLIST_OVERLAP`` seconds (never before the
watchlist was created): a listing's ``seen`` time is taken when the crawl accepts it and it is written a
few seconds later, so a listing being written while a check runs is looked at again by the next check
instead of being missed. Looking at it twice costs nothing (hits are idempotent). For the same reason the
checkpoint never passes the newest listing whose search terms are written (crawler/query/terms.py).

Which listings a check reads, narrowly on an index each time, is crawler/watchlists/candidates.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

from crawler.query.models import utc
from crawler.query.terms import checkpoint as terms_checkpoint
from crawler.watchlists import store
from crawler.watchlists.candidates import (
    RecentVersions,
    Start,
    entity_listings,
    search_listings,
    version_starts,
)
from crawler.watchlists.models import Kind, LastNotice, Watchlist
from crawler.watchlists.notify import send_notice

logger = logging.getLogger("trawler.watchlists")

DEFAULT_OVERLAP = timedelta(seconds=600)
TITLE_CHARS = 300


@dataclass
class CheckResult:
    watchlist: Watchlist
    new_hits: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "watchlist_id": self.watchlist.id,
            "owner": self.watchlist.owner,
            "name": self.watchlist.name,
            "new_hits": [h["listing_id"] for h in self.new_hits],
            "deliveries": self.deliveries,
            "error": self.error,
        }


def _hit_document(watchlist: Watchlist, doc: dict[str, Any], start: Start, now: datetime) -> dict[str, Any]:
    version, change, listed_at = start
    title = doc.get("title")
    return {
        "_id": store.hit_id(watchlist.id, doc["_id"], version),
        "watchlist_id": watchlist.id,
        "listing_id": doc["_id"],
        "version": version,
        "change": change.value,
        "found_at": now,
        "listed_at": listed_at,
        "seen": False,
        "site": str(doc.get("site") or ""),
        "kind": str(doc.get("kind") or ""),
        "title": title[:TITLE_CHARS] if isinstance(title, str) else None,
        "url": str(doc.get("url") or ""),
    }


def find_hits(
    db: Database,
    watchlist: Watchlist,
    since: datetime,
    now: datetime,
    recent: RecentVersions | None = None,
) -> list[dict[str, Any]]:
    """The hit documents of one watchlist for listing versions begun at or after ``since`` (not yet stored).

    ``recent``: the versions begun since a bound at or before ``since``, shared by the searches of one check
    (see crawler/watchlists/candidates.py); made here when not given.
    """
    if watchlist.kind is Kind.ENTITY:
        assert watchlist.entity is not None
        candidates = entity_listings(db, watchlist.entity, since)
    else:
        assert watchlist.search is not None
        if watchlist.search.contact is not None:  # read by the contact's listing ids
            candidates = list(search_listings(db, watchlist.search, since))
        else:
            candidates = (recent or RecentVersions(db, since)).matching(watchlist.search, since)
    starts = version_starts(db, candidates, since)
    return [_hit_document(watchlist, doc, starts[doc["_id"]], now) for doc in candidates if doc["_id"] in starts]


def lower_bound(watchlist: Watchlist, overlap: timedelta) -> datetime:
    return max(watchlist.created, watchlist.checkpoint - overlap)


def check_one(
    db: Database,
    watchlist: Watchlist,
    now: datetime,
    overlap: timedelta,
    settings: Any,
    backoff: float,
    recent: RecentVersions | None = None,
    checkpoint: datetime | None = None,
) -> CheckResult:
    """Check one watchlist; its checkpoint moves to ``checkpoint`` (default ``now``)."""
    result = CheckResult(watchlist)
    try:
        hits = find_hits(db, watchlist, lower_bound(watchlist, overlap), now, recent)
        result.new_hits = store.record_hits(db, hits)
    except Exception as exc:  # one broken watchlist must not cost the others their check
        logger.exception("watchlist %s (%s) could not be checked", watchlist.id, watchlist.name)
        result.error = f"{type(exc).__name__}: {exc}"
        store.advance(db, watchlist.id, watchlist.checkpoint, now, result.error)
        return result
    store.advance(db, watchlist.id, checkpoint or now, now, None)
    if result.new_hits and watchlist.notify:
        deliveries = send_notice(watchlist, result.new_hits, settings, backoff)
        result.deliveries = [d.as_dict() for d in deliveries]
        store.record_notice(
            db, watchlist.id, LastNotice(at=now, hits=len(result.new_hits), deliveries=result.deliveries)
        )
    return result


def _overlap(settings: Any) -> timedelta:
    seconds = settings.getfloat("TRAWLER_WATCHLIST_OVERLAP", DEFAULT_OVERLAP.total_seconds()) if settings else None
    return timedelta(seconds=max(0.0, seconds)) if seconds is not None else DEFAULT_OVERLAP


def check_watchlists(
    db: Database,
    settings: Any = None,
    *,
    now: datetime | None = None,
    only: Callable[[Watchlist], bool] | None = None,
    backoff: float = 1.0,
) -> list[CheckResult]:
    """Check every watchlist (or those ``only`` accepts): record new hits, advance checkpoints, send notices.

    ``settings``: Scrapy-like settings with the alert channels (crawler/monitoring/channels.py) and
    ``TRAWLER_WATCHLIST_OVERLAP``; without them no notice can be sent (each is recorded as failed).
    Never raises for one watchlist's failure: it is logged and kept in the watchlist's ``last_error``.
    """
    now = utc(now) or datetime.now(UTC)
    overlap = _overlap(settings)
    store.ensure_indexes(db)
    chosen = [w for w in store.list_all(db) if only is None or only(w)]
    # One read of the recent listing versions for every search, from the earliest bound among them.
    recent = RecentVersions(db, min(lower_bound(w, overlap) for w in chosen)) if chosen else None
    # Words are matched on the search terms, which are written after the listings (crawler/query/terms.py):
    # the checkpoint never passes the newest listing they cover, so a listing not searchable yet is looked
    # at again by the next check instead of being missed.
    searchable = utc(terms_checkpoint(db))
    checkpoint = min(now, searchable) if searchable else now
    return [check_one(db, w, now, overlap, settings, backoff, recent, checkpoint) for w in chosen]
