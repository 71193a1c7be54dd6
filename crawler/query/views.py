"""Look-ups by id: a listing with its history and evidence, an entity with its timeline, pivots, clusters.

Every read here is a point read or an ``$in`` on ``_id`` or an indexed field
(``listing_versions.listing_id``), so each costs milliseconds however large
the database.
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from crawler.query.contacts import resolve_contact
from crawler.query.models import (
    EntityRef,
    EntityView,
    ListingView,
    PivotHit,
    PivotResult,
    Timeline,
    TimelineEvent,
    VersionSummary,
    utc,
)
from crawler.query.summary import summarise
from crawler.query.tokens import SEARCH_FIELD
from crawler.storage.byid import find_by_ids
from crawler.storage.entities import entities_of, entity_id
from crawler.storage.schema import ENTITIES, LISTINGS, SNAPSHOTS, VERSIONS

MAX_PIVOT = 5000  # listings reached by a pivot that are summarised; the rest are counted
_NO_SEARCH = {SEARCH_FIELD: 0}


class NotFound(LookupError):
    """No listing or entity with that id (or value)."""


def _ref(entity: dict[str, Any]) -> EntityRef:
    return EntityRef(
        id=entity["_id"],
        type=entity.get("type") or entity["_id"].split(":", 1)[0],
        value=entity.get("value") or entity["_id"].split(":", 1)[-1],
        listing_count=int(entity.get("listing_count") or len(entity.get("listings") or [])),
        site_count=int(entity.get("site_count") or len(entity.get("sites") or [])),
    )


def _entity_ids(doc: dict[str, Any]) -> list[str]:
    return sorted({entity_id(kind, value) for kind, value in entities_of(doc)})


def show_listing(db: Database, listing_id: str) -> ListingView:
    """A listing: every field, its entities, its earlier versions with their diffs, its snapshot."""
    doc = db[LISTINGS].find_one({"_id": str(listing_id)}, _NO_SEARCH)
    if doc is None:
        raise NotFound(f"no listing {listing_id!r}")
    ids = _entity_ids(doc)
    found = {e["_id"]: e for e in db[ENTITIES].find({"_id": {"$in": ids}}, {"listings": 0})}
    entities = [_ref(found.get(i) or {"_id": i}) for i in ids]
    versions = [
        VersionSummary(
            version=int(v.get("version") or 0),
            first_seen=utc(v.get("first_seen")),
            last_seen=utc(v.get("last_seen")),
            replaced_at=utc(v.get("replaced_at")),
            run_id=v.get("run_id"),
            snapshot_id=v.get("snapshot_id"),
            diff=v.get("diff") or {},
        )
        for v in db[VERSIONS].find({"listing_id": doc["_id"]}, {"content": 0}).sort("version", 1)
    ]
    crawl = doc.get("crawl") or {}
    snapshot_id = crawl.get("snapshot_id")
    snapshot = db[SNAPSHOTS].find_one({"_id": snapshot_id}, {"body": 0}) if snapshot_id else None
    return ListingView(
        listing=doc,
        summary=summarise(doc),
        entities=entities,
        versions=versions,
        version=int(crawl.get("version") or 1),
        snapshot_id=snapshot_id,
        snapshot_sha256=snapshot["_id"] if snapshot else None,  # a snapshot's id is its body's sha256
        snapshot_fetched_at=utc((snapshot or {}).get("fetched_at")),
    )


def find_entity(db: Database, id_or_value: str) -> tuple[dict[str, Any], str | None]:
    """The stored entity for an id ("phone:+40721234567") or a value in any written form ("0721 234 567")."""
    text = str(id_or_value).strip()
    direct = db[ENTITIES].find_one({"_id": text})
    if direct is not None:
        return direct, None
    candidates = resolve_contact(db, text)
    found = sorted(
        db[ENTITIES].find({"_id": {"$in": candidates}}), key=lambda e: (-len(e.get("listings") or []), e["_id"])
    )
    if not found:
        raise NotFound(f"no entity for {text!r}")
    return found[0], text


def _listings(db: Database, ids: list[str]) -> list[dict[str, Any]]:
    projection = {SEARCH_FIELD: 0, "text_sig": 0, "image_hashes": 0, "contacts.mentions": 0, "extra": 0}
    return list(find_by_ids(db[LISTINGS], ids, projection))


def _when(doc: dict[str, Any]) -> Any:
    return utc(doc.get("posted_at")) or utc((doc.get("crawl") or {}).get("first_seen"))


def timeline(db: Database, entity_id_: str) -> Timeline:
    """The listings of an entity across sites, by posted date (first seen without one), oldest first."""
    entity = db[ENTITIES].find_one({"_id": str(entity_id_)})
    if entity is None:
        raise NotFound(f"no entity {entity_id_!r}")
    docs = _listings(db, sorted(entity.get("listings") or []))
    docs.sort(key=lambda d: (_when(d) is None, _when(d) or 0, d["_id"]))
    events = [TimelineEvent(at=_when(d), listing=summarise(d)) for d in docs]
    return Timeline(entity_id=entity["_id"], events=events, sites=sorted({d["site"] for d in docs}))


def entity_view(db: Database, id_or_value: str) -> EntityView:
    """An entity (by id or any written form of its value) and its listings on a timeline."""
    entity, typed = find_entity(db, id_or_value)
    line = timeline(db, entity["_id"])
    return EntityView(
        entity=_ref(entity),
        first_seen=utc(entity.get("first_seen")),
        last_seen=utc(entity.get("last_seen")),
        sites=sorted(entity.get("sites") or []),
        platform_types=sorted(entity.get("platform_types") or []),
        listings=[e.listing for e in line.events],
        matched_from=typed,
    )


def pivot(db: Database, listing_id: str, hops: int = 1) -> PivotResult:
    """Listings sharing an entity with ``listing_id`` (1 hop) or with those (2 hops), grouped by site.

    ``via`` names the entities of the previous ring through which a listing was first reached.
    """
    if hops not in (1, 2):
        raise ValueError("hops must be 1 or 2")
    start = db[LISTINGS].find_one({"_id": str(listing_id)}, {"contacts": 1, "image_hashes": 1, "crawl": 1})
    if start is None:
        raise NotFound(f"no listing {listing_id!r}")
    distance: dict[str, int] = {start["_id"]: 0}
    via: dict[str, set[str]] = {}
    frontier_docs = [start]
    start_entities: list[EntityRef] = []
    for hop in range(1, hops + 1):
        ids = sorted({e for doc in frontier_docs for e in _entity_ids(doc)})
        entities = list(db[ENTITIES].find({"_id": {"$in": ids}}, {"listings": 1, "type": 1, "value": 1}))
        if hop == 1:
            start_entities = [_ref(e) for e in sorted(entities, key=lambda e: e["_id"])]
        reached: set[str] = set()
        for entity in entities:
            for other in entity.get("listings") or []:
                if other not in distance:
                    reached.add(other)
                    via.setdefault(other, set()).add(entity["_id"])
        for other in reached:
            distance[other] = hop
        if hop < hops and reached:
            projection = {"contacts": 1, "image_hashes": 1, "crawl.text_cluster": 1}
            frontier_docs = list(find_by_ids(db[LISTINGS], sorted(reached), projection))
    del distance[start["_id"]]
    ordered = sorted(distance, key=lambda i: (distance[i], i))
    shown = ordered[:MAX_PIVOT]
    docs = {d["_id"]: d for d in _listings(db, shown)}
    by_site: dict[str, list[PivotHit]] = {}
    for other in shown:
        if other in docs:
            hit = PivotHit(listing=summarise(docs[other]), hops=distance[other], via=sorted(via.get(other, ())))
            by_site.setdefault(hit.listing.site, []).append(hit)
    return PivotResult(
        start=start["_id"],
        hops=hops,
        entities=start_entities,
        by_site=dict(sorted(by_site.items())),
        total=len(distance),
        truncated=len(ordered) > MAX_PIVOT,
    )


def cluster_members(db: Database, listing_or_cluster: str) -> EntityView:
    """The members of a near-duplicate text cluster, from the cluster's entity id or one member's id."""
    text = str(listing_or_cluster)
    if not text.startswith("text_cluster:"):
        doc = db[LISTINGS].find_one({"_id": text}, {"crawl.text_cluster": 1})
        if doc is None:
            raise NotFound(f"no listing {text!r}")
        cluster = (doc.get("crawl") or {}).get("text_cluster")
        if not cluster:
            raise NotFound(f"listing {text!r} is in no near-duplicate cluster")
        text = entity_id("text_cluster", cluster)
    return entity_view(db, text)
