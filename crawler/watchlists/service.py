"""Creating watchlists and reading them with their hit counts: what the CLI, the API and the page share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo.database import Database

from crawler.query import NotFound, find_entity
from crawler.query.models import utc
from crawler.watchlists import store
from crawler.watchlists.models import Kind, Watchlist, WatchlistSpec


class UnknownEntity(ValueError):
    """The entity to watch is not in the database (no listing has mentioned it yet)."""


@dataclass(frozen=True)
class WatchlistSummary:
    watchlist: Watchlist
    unseen: int
    hits: int


def create(db: Database, owner: str, spec: WatchlistSpec, now: datetime | None = None) -> Watchlist:
    """Store a new watchlist of ``owner``; its checkpoint is now, so only what comes after it is a hit.

    Raises :class:`UnknownEntity`, or :class:`crawler.watchlists.store.WatchlistExists` for a taken name.
    """
    now = utc(now) or datetime.now(UTC)
    entity_id = None
    if spec.kind is Kind.ENTITY:
        assert spec.entity is not None
        try:
            entity, _ = find_entity(db, spec.entity)  # an id, or a phone/e-mail/handle in any written form
        except NotFound as exc:
            raise UnknownEntity(f"no entity {spec.entity!r} in the database") from exc
        entity_id = entity["_id"]
    watchlist = Watchlist(
        id=store.new_id(),
        owner=owner,
        name=spec.name,
        kind=spec.kind,
        search=spec.search,
        entity=entity_id,
        notify=spec.notify,
        created=now,
        checkpoint=now,
    )
    store.insert(db, watchlist)
    return watchlist


def summaries(db: Database, owner: str) -> list[WatchlistSummary]:
    """A user's watchlists, newest first, each with its unseen and total hit counts."""
    return [summary(db, w) for w in store.list_for(db, owner)]


def summary(db: Database, watchlist: Watchlist) -> WatchlistSummary:
    return WatchlistSummary(watchlist, store.unseen_count(db, watchlist.id), store.hit_count(db, watchlist.id))
