"""An entity's link graph: the entity, its listings, and the other entities of those listings.

Two reads, both ``$in`` on ``_id``: the shown listings (projected to their entity fields) and the other
entities (without their listing lists). The graph is capped so it stays readable and cheap: at most
``max_listings`` listings (the first ones of the timeline given) and ``max_entities`` other entities (those
linking the most shown listings first); the answer says what was left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field
from pymongo.database import Database

from crawler.query.models import EntityRef, ListingSummary
from crawler.storage.byid import find_by_ids
from crawler.storage.entities import entities_of, entity_id
from crawler.storage.schema import ENTITIES, LISTINGS

MAX_LISTINGS = 16
MAX_ENTITIES = 24
_ENTITY_FIELDS = {
    "contacts.phones": 1,
    "contacts.emails": 1,
    "contacts.handles": 1,
    "image_hashes.photo": 1,
    "crawl.text_cluster": 1,
}


class GraphListing(BaseModel):
    id: str
    site: str
    label: str


class EntityGraph(BaseModel):
    center: EntityRef
    listings: list[GraphListing] = Field(description="the listings shown, in timeline order")
    entities: list[EntityRef] = Field(description="the other entities shown, most connected first")
    edges: list[tuple[str, str]] = Field(description="(listing id, entity id) for every shown link")
    listings_total: int
    entities_total: int = Field(description="other entities of the shown listings, shown or not")

    @property
    def capped(self) -> bool:
        return len(self.listings) < self.listings_total or len(self.entities) < self.entities_total


def _label(summary: ListingSummary) -> str:
    return summary.title or summary.snippet[:60] or summary.id


def entity_graph(
    db: Database,
    center: EntityRef,
    listings: Sequence[ListingSummary],
    max_listings: int = MAX_LISTINGS,
    max_entities: int = MAX_ENTITIES,
) -> EntityGraph:
    """The graph around ``center``, whose listings (timeline order) are ``listings``."""
    shown = list(listings[:max_listings])
    ids = [s.id for s in shown]
    links: dict[str, list[str]] = {}
    for doc in find_by_ids(db[LISTINGS], ids, _ENTITY_FIELDS):
        others = {entity_id(kind, value) for kind, value in entities_of(doc)} - {center.id}
        links[doc["_id"]] = sorted(others)
    reach = Counter(other for others in links.values() for other in others)
    ranked = sorted(reach, key=lambda e: (-reach[e], e))
    kept = ranked[:max_entities]
    stored = {e["_id"]: e for e in db[ENTITIES].find({"_id": {"$in": kept}}, {"listings": 0})}
    entities = []
    for key in kept:
        doc = stored.get(key) or {}
        kind, _, value = key.partition(":")
        entities.append(
            EntityRef(
                id=key,
                type=doc.get("type") or kind,
                value=doc.get("value") or value,
                listing_count=int(doc.get("listing_count") or 0),
                site_count=int(doc.get("site_count") or 0),
            )
        )
    keep = set(kept)
    edges = [(i, other) for i in ids for other in links.get(i, []) if other in keep]
    return EntityGraph(
        center=center,
        listings=[GraphListing(id=s.id, site=s.site, label=_label(s)) for s in shown],
        entities=entities,
        edges=edges,
        listings_total=len(listings),
        entities_total=len(ranked),
    )
