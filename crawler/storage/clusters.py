"""Near-duplicate text clusters, assigned as listings are stored.

The ``neardup`` plugin gives each listing with enough text a ``text_sig``: MinHash signatures of its text units and
their LSH band keys. After each stored batch, :func:`assign` finds the stored listings that share a band key with
a listing of the batch (one ``$in`` query per chunk of keys, on the multikey index ``text_sig.bands``), verifies
each candidate pair (estimated Jaccard similarity of the best-matching units at least the threshold,
``TRAWLER_NEARDUP_THRESHOLD``) and groups the verified pairs with union-find semantics:

- a listing joins the cluster of the listings it matches;
- a listing that matches two clusters merges them: the cluster with the smaller id keeps its id and takes the
  other's members, the other entity is deleted;
- a new cluster's id is a hash of its first member's listing id, so replaying a batch (after an outage) or
  crawling again changes nothing.

A cluster is an entity (``type: "text_cluster"``) in the ``entities`` collection, of the same shape as the phone
and e-mail entities (listings, sites, platform types, first/last seen, counts), and each member records it in
``crawl.text_cluster``, so pivots (:func:`crawler.storage.entities.listings_sharing`) follow text clusters too.
Membership only grows: a listing edited so that it no longer matches stays in the cluster it was found in.

A listing is never paired with its own parent or child (a forum thread and its first post carry the same text).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
from pymongo import ASCENDING, UpdateOne
from pymongo.database import Database

from crawler.storage.schema import ENTITIES, LISTINGS

DEFAULT_THRESHOLD = 0.6
ENTITY_TYPE = "text_cluster"
# Values per $in: the embedded server evaluates each document an $in matches against the whole list, so one $in
# of 1,000 band keys that match 1,000 documents costs 35 times as much as 100 of 10 (measured). The band keys of
# a batch are sent listing by listing (each matches its own, just written, document), about three a query.
KEYS_PER_QUERY = 30
IDS_PER_QUERY = 20
# One crawl process runs several spiders, each with its own storage thread: clustering one batch reads the
# clusters the others write, so batches are clustered one at a time.
_LOCK = threading.Lock()

_CANDIDATE_FIELDS = {
    "site": 1,
    "platform_type": 1,
    "parent_id": 1,
    "text_sig": 1,
    "crawl.first_seen": 1,
    "crawl.last_seen": 1,
    "crawl.text_cluster": 1,
}


def cluster_id(founder: str) -> str:
    """A new cluster's id, from the listing id of its first member."""
    return hashlib.sha1(founder.encode("utf-8")).hexdigest()[:16]


def entity_key(cluster: str) -> str:
    return f"{ENTITY_TYPE}:{cluster}"


def _sketches(listing: dict[str, Any]) -> np.ndarray:
    """The listing's unit signatures as a (units, permutations) uint32 array."""
    return np.stack([np.frombuffer(base64.b64decode(value), dtype="<u4") for value in listing["text_sig"]["minhash"]])


def similarity(left: np.ndarray, right: np.ndarray) -> float:
    """Estimated Jaccard similarity of the best-matching pair of units (share of equal MinHash values)."""
    if left.shape[1] != right.shape[1]:
        return 0.0
    return float((left[:, None, :] == right[None, :, :]).mean(axis=2).max())


def _related(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("parent_id") == b["_id"] or b.get("parent_id") == a["_id"]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        root = self.parent.setdefault(node, node)
        while root != self.parent[root]:
            root = self.parent[root]
        while node != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def _signed(listing: dict[str, Any]) -> bool:
    sig = listing.get("text_sig") or {}
    return bool(sig.get("bands") and sig.get("minhash"))


_indexed: set[tuple[int, str]] = set()


def _ensure_indexes(db: Database) -> None:
    """The multikey indexes clustering looks up (band keys, an entity's listings), created once it is in use: in a
    database that does not cluster, every insert would pay entries for them (crawler/storage/schema.py)."""
    key = (id(db.client), db.name)
    if key not in _indexed:
        db[LISTINGS].create_index([("text_sig.bands", ASCENDING)])
        db[ENTITIES].create_index([("listings", ASCENDING)])
        _indexed.add(key)


def _candidates(db: Database, keys: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        for doc in db[LISTINGS].find({"text_sig.bands": {"$in": chunk}}, _CANDIDATE_FIELDS):
            found[doc["_id"]] = doc
    return found


def _match(
    batch: dict[str, dict[str, Any]], stored: dict[str, dict[str, Any]], threshold: float, groups: _UnionFind
) -> None:
    """Join in ``groups`` each listing of the batch with the stored listings sharing a band and similar enough.

    A candidate already connected to the listing (through a cluster or an earlier pair) is not compared again, so
    a text reposted a hundred times costs one comparison per new copy, not a hundred.
    """
    by_band: dict[str, list[str]] = defaultdict(list)
    for listing_id, doc in stored.items():
        if _signed(doc):
            for key in doc["text_sig"]["bands"]:
                by_band[key].append(listing_id)
    sketches: dict[str, np.ndarray] = {}

    def sketch(listing_id: str, doc: dict[str, Any]) -> np.ndarray:
        if listing_id not in sketches:
            sketches[listing_id] = _sketches(doc)
        return sketches[listing_id]

    for listing_id, doc in batch.items():
        version = doc["text_sig"].get("version")
        others = {other for key in doc["text_sig"]["bands"] for other in by_band.get(key, ())}
        for other in sorted(others - {listing_id}):
            candidate = stored[other]
            if candidate["text_sig"].get("version") != version or _related(doc, candidate):
                continue
            if groups.find(listing_id) == groups.find(other):
                continue
            if similarity(sketch(listing_id, doc), sketch(other, candidate)) >= threshold:
                groups.union(listing_id, other)


def _current_clusters(db: Database, docs: Iterable[dict[str, Any]]) -> dict[str, str]:
    """The cluster each listing is in now: from the document, or (for a replaced document) from the entities."""
    clusters: dict[str, str] = {}
    unknown = []
    for doc in docs:
        cluster = (doc.get("crawl") or {}).get("text_cluster")
        if cluster:
            clusters[doc["_id"]] = cluster
        else:
            unknown.append(doc["_id"])
    for start in range(0, len(unknown), IDS_PER_QUERY):
        chunk = unknown[start : start + IDS_PER_QUERY]
        for entity in db[ENTITIES].find({"listings": {"$in": chunk}, "type": ENTITY_TYPE}, {"value": 1, "listings": 1}):
            for member in set(entity["listings"]).intersection(chunk):
                clusters[member] = entity["value"]
    return clusters


def assign(db: Database, stored: Iterable[tuple[dict[str, Any], str]], threshold: float = DEFAULT_THRESHOLD) -> int:
    """Cluster freshly stored listings with the near-duplicates already stored; returns the clusters touched.

    ``stored`` is the writer's ``(document, change)`` list. Unchanged listings are skipped: their pairs were found
    when they were new or last changed (a later listing finds them through its own band keys), so a re-crawl or
    a replayed batch costs no look-ups and changes nothing.
    """
    docs: dict[str, dict[str, Any]] = {}
    replaced: set[str] = set()
    for doc, change in stored:
        if change != "unchanged":
            docs[doc["_id"]] = doc
        if change == "updated":
            replaced.add(doc["_id"])
    if not docs:
        return 0
    with _LOCK:
        _ensure_indexes(db)
        return _assign(db, docs, replaced, threshold)


def _assign(db: Database, docs: dict[str, dict[str, Any]], replaced: set[str], threshold: float) -> int:
    batch = {listing_id: doc for listing_id, doc in docs.items() if _signed(doc)}
    keys = list(dict.fromkeys(key for doc in batch.values() for key in doc["text_sig"]["bands"]))
    known = _candidates(db, keys) if keys else {}
    known.update(docs)  # the batch as it is now, even where a replayed batch is older than what is stored
    # A replaced document lost its cluster pointer (even if its text is now too short to sign); a new one is in
    # a cluster only if another spider's batch matched it after it was written.
    current = _current_clusters(db, [doc for i, doc in docs.items() if i in batch or i in replaced])
    for listing_id, doc in known.items():
        cluster = (doc.get("crawl") or {}).get("text_cluster")
        if cluster and listing_id not in docs:
            current[listing_id] = cluster
    groups = _UnionFind()
    for listing_id, cluster in current.items():
        groups.union(listing_id, f"cluster:{cluster}")
    _match(batch, known, threshold, groups)
    components: dict[str, set[str]] = defaultdict(set)
    for node in list(groups.parent):
        components[groups.find(node)].add(node)
    writes = _Writes()
    for nodes in components.values():
        if not nodes.isdisjoint(docs):  # groups of stored listings alone are as they were
            _plan_cluster(db, nodes, known, writes)
    return writes.apply(db)


class _Writes:
    """The entity and listing updates of one batch, sent in three bulk commands."""

    def __init__(self) -> None:
        self.entities: list[UpdateOne] = []
        self.touched: list[str] = []
        self.absorbed: list[str] = []
        self.pointers: list[UpdateOne] = []

    def apply(self, db: Database) -> int:
        if self.entities:
            db[ENTITIES].bulk_write(self.entities, ordered=False)
        if self.absorbed:
            db[ENTITIES].delete_many({"_id": {"$in": self.absorbed}})
        if self.pointers:
            db[LISTINGS].bulk_write(self.pointers, ordered=False)
        touched = sorted(self.touched)
        if touched:
            db[ENTITIES].update_many(
                {"_id": {"$in": touched}},
                [{"$set": {"listing_count": {"$size": "$listings"}, "site_count": {"$size": "$sites"}}}],
            )
        return len(touched)


def _plan_cluster(db: Database, nodes: set[str], known: dict[str, dict[str, Any]], writes: _Writes) -> None:
    """One connected group: the surviving cluster with the members of those it absorbs, and every member's pointer."""
    existing = sorted(node.removeprefix("cluster:") for node in nodes if node.startswith("cluster:"))
    members = {node for node in nodes if not node.startswith("cluster:")}
    if not existing and len(members) < 2:
        return
    target = existing[0] if existing else cluster_id(min(members))
    absorbed = [entity_key(cluster) for cluster in existing[1:]]
    # Members whose document does not name the target yet (the batch's, those of merged clusters...); the others
    # are in the target's entity already.
    stale = sorted(i for i in members if (known[i].get("crawl") or {}).get("text_cluster") != target)
    seen: list[dict[str, Any]] = []
    for listing_id in stale:
        doc = known[listing_id]
        crawl = doc.get("crawl") or {}
        seen.append(
            {
                "listings": [listing_id],
                "sites": [doc["site"]],
                "platform_types": [doc["platform_type"]],
                "first_seen": crawl.get("first_seen"),
                "last_seen": crawl.get("last_seen"),
            }
        )
    if absorbed:
        seen += list(db[ENTITIES].find({"_id": {"$in": absorbed}}))
    pointers = set(stale) | {i for part in seen[len(stale) :] for i in part.get("listings", [])}
    update: dict[str, Any] = {
        "$setOnInsert": {"type": ENTITY_TYPE, "value": target},
        "$addToSet": {
            field: {"$each": sorted({v for part in seen for v in part.get(field, [])})}
            for field in ("listings", "sites", "platform_types")
        },
    }
    firsts = [part["first_seen"] for part in seen if part.get("first_seen")]
    lasts = [part["last_seen"] for part in seen if part.get("last_seen")]
    if firsts:
        update["$min"] = {"first_seen": min(firsts)}
    if lasts:
        update["$max"] = {"last_seen": max(lasts)}
    writes.entities.append(UpdateOne({"_id": entity_key(target)}, update, upsert=True))
    writes.touched.append(entity_key(target))
    writes.absorbed += absorbed
    # One update per listing: the embedded server runs ten single-document updates faster than one update_many.
    writes.pointers += [UpdateOne({"_id": i}, {"$set": {"crawl.text_cluster": target}}) for i in sorted(pointers)]
