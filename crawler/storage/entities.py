"""The ``entities`` collection: one document per value that links listings (a phone, an e-mail, a handle...).

Investigators pivot on these: the same phone number on a forum post, two
classified ads and a review. Each entity keeps the listings, sites and platform
types it appears on and when it was first and last seen. Updated with every
stored batch, idempotently (set unions, ``$min``, ``$max``, in one pipeline update per entity), so a
replayed or repeated batch changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from crawler.storage.byid import find_by_ids
from crawler.storage.schema import ENTITIES, LISTINGS

# Listing fields whose values are entities, and the entity type of each.
ENTITY_FIELDS = (("contacts.phones", "phone"), ("contacts.emails", "email"), ("contacts.handles", "handle"))


def entity_id(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def entities_of(listing: dict[str, Any]) -> list[tuple[str, str]]:
    """``(type, value)`` of every entity a stored listing document mentions."""
    found: list[tuple[str, str]] = []
    for path, kind in ENTITY_FIELDS:
        section, name = path.split(".")
        for value in (listing.get(section) or {}).get(name) or []:
            found.append((kind, value))
    # A photograph: copies of one photo (re-encoded, resized) share its key, see plugins/imagehash/hashing.py.
    found.extend(("image", photo) for photo in dict.fromkeys(h["photo"] for h in listing.get("image_hashes") or []))
    # Its near-duplicate text cluster (crawler/storage/clusters.py keeps the entity).
    if cluster := (listing.get("crawl") or {}).get("text_cluster"):
        found.append(("text_cluster", cluster))
    return found


def _merge(group: dict[str, Any], seen: tuple[datetime, datetime] | None) -> list[dict[str, Any]]:
    """One update (a pipeline) that merges a batch's mentions of an entity into its document, creating it if
    needed, and keeps its counts: sets are unions (idempotent), dates are the extremes. The counts are stored so
    that "seen on several sites" and "most connected" are index look-ups, not aggregations over every entity
    (the embedded server evaluates every matching document). One write per entity: a second pass for the
    counts cost the embedded server as much again."""

    def union(field: str, values: set[str]) -> dict[str, Any]:
        return {"$setUnion": [{"$ifNull": [f"${field}", []]}, {"$literal": sorted(values)}]}

    merged: dict[str, Any] = {
        "type": {"$ifNull": ["$type", {"$literal": group["kind"]}]},
        "value": {"$ifNull": ["$value", {"$literal": group["value"]}]},
        "listings": union("listings", group["ids"]),
        "sites": union("sites", group["sites"]),
        "platform_types": union("platform_types", group["types"]),
    }
    if seen is not None:  # $min and $max ignore a missing field: a new entity takes the batch's dates
        merged["first_seen"] = {"$min": ["$first_seen", seen[0]]}
        merged["last_seen"] = {"$max": ["$last_seen", seen[1]]}
    return [{"$set": merged}, {"$set": {"listing_count": {"$size": "$listings"}, "site_count": {"$size": "$sites"}}}]


def upsert(db: Database, listings: Iterable[dict[str, Any]]) -> int:
    """Record the entities of freshly stored listings; returns how many entity documents were touched."""
    grouped: dict[str, dict[str, Any]] = defaultdict(lambda: {"ids": set(), "sites": set(), "types": set()})
    seen: dict[str, tuple[datetime, datetime]] = {}
    for listing in listings:
        crawl = listing.get("crawl") or {}
        first, last = crawl.get("first_seen"), crawl.get("last_seen")
        for kind, value in entities_of(listing):
            key = entity_id(kind, value)
            group = grouped[key]
            group.update(kind=kind, value=value)
            group["ids"].add(listing["_id"])
            group["sites"].add(listing["site"])
            group["types"].add(listing["platform_type"])
            if first and last:
                low, high = seen.get(key, (first, last))
                seen[key] = (min(low, first), max(high, last))
    ops = [UpdateOne({"_id": key}, _merge(group, seen.get(key)), upsert=True) for key, group in grouped.items()]
    if ops:
        db[ENTITIES].bulk_write(ops, ordered=False)
    return len(ops)


def listings_sharing(db: Database, listing_id: str, hops: int = 1) -> dict[str, int]:
    """Every listing linked to ``listing_id`` through shared entities, with its distance (1 or 2 hops)."""
    distance: dict[str, int] = {listing_id: 0}
    frontier = {listing_id}
    for hop in range(1, hops + 1):
        entity_ids: set[str] = set()
        for doc in find_by_ids(db[LISTINGS], sorted(frontier)):
            entity_ids |= {entity_id(kind, value) for kind, value in entities_of(doc)}
        reached: set[str] = set()
        for entity in find_by_ids(db[ENTITIES], sorted(entity_ids), {"listings": 1}):
            reached |= set(entity["listings"])
        frontier = reached - set(distance)
        for found in frontier:
            distance[found] = hop
    del distance[listing_id]
    return distance


def cross_site_entities(db: Database) -> list[dict[str, Any]]:
    """Entities seen on more than one site."""
    return list(db[ENTITIES].find({"site_count": {"$gte": 2}}).sort("_id", 1))


def most_connected(db: Database, since: datetime, until: datetime, limit: int = 20) -> list[dict[str, Any]]:
    """The entities seen in ``[since, until]`` that link the most listings, most first."""
    found = list(db[ENTITIES].find({"last_seen": {"$gte": since}, "first_seen": {"$lte": until}}))
    found.sort(key=lambda e: (-e.get("listing_count", 0), -e.get("site_count", 0), e["_id"]))
    return found[:limit]
