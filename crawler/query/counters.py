"""Counters kept at write time: listings per facet value, and the range of the sort keys.

The embedded server evaluates every document a query matches, so "how many
listings per site" cannot be asked of it live over 100,000 listings. The
storage writer calls :func:`record` once per batch with the listings it
inserted or replaced (and the documents they replaced), and one document moves
with one ``$inc``/``$min``/``$max`` update per batch:
``facet_counts`` ``{"_id": "listings", "total": n, "site": {...}, "kind": {...}, ...,
"ts_min", "ts_max", "rank_min", "rank_max"}`` (the sort-key bounds tell the
search where its windows end).

Documents per search token are not counted: a batch of 500 listings holds
thousands of distinct words, and thousands of ``$inc`` fields per batch cost
the embedded server about as much as the listings themselves. The query
planner estimates how common a word is with a narrow count over the most
recent listings instead (:mod:`crawler.query.search`).

Idempotency: the writer only reports listings it actually inserted or whose
content changed; a replayed batch (spool, overtaken crawl) finds them stored
with the same hash and reports nothing, so nothing is counted twice. A crash
between the listing write and the ``$inc`` leaves the counters short by that
batch; they label facets and size search windows, never decide which listings
match, and ``trawler reindex`` rebuilds them from the listings exactly.

Whether a listing is removed is not counted here (``mark_removed`` flips many
listings in one command, and a relisted one flips back): the search counts the
removed ones on the ``crawl.removed_at`` index, which only they are in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

from crawler.query.tokens import SEARCH_FIELD

FACETS = "facet_counts"
FACET_DOC = "listings"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # every removal time is after it: a range on the removed_at index

# Risk bands: (name, lowest score in it). A listing without a risk score is in "none".
RISK_BANDS = (("high", 5.0), ("medium", 2.0), ("low", 0.01), ("none", 0.0))
FACET_DIMENSIONS = (
    "site",
    "platform_type",
    "kind",
    "language",
    "country",
    "category",
    "indicator",
    "indicator_category",
    "risk_band",
    "has_contacts",
)
NONE = "(none)"  # the facet value of a listing without that field


def risk_band(score: float | None) -> str:
    score = score or 0.0
    return next(name for name, low in RISK_BANDS if score >= low)


def has_contacts(doc: dict[str, Any]) -> bool:
    contacts = doc.get("contacts") or {}
    return bool(contacts.get("phones") or contacts.get("emails") or contacts.get("handles"))


def facet_values(doc: dict[str, Any]) -> dict[str, list[str]]:
    """The value(s) of each facet for one listing document (indicators can be several)."""
    indicators = [m for m in doc.get("indicators") or [] if isinstance(m, dict)]
    return {
        "site": [doc.get("site") or NONE],
        "platform_type": [doc.get("platform_type") or NONE],
        "kind": [doc.get("kind") or NONE],
        "language": [doc.get("language") or NONE],
        "country": [(doc.get("location") or {}).get("country") or NONE],
        "category": [doc.get("category") or NONE],
        "indicator": sorted({m["id"] for m in indicators if m.get("id")}),
        "indicator_category": sorted({m["category"] for m in indicators if m.get("category")}),
        "risk_band": [risk_band((doc.get("risk") or {}).get("score"))],
        "has_contacts": ["yes" if has_contacts(doc) else "no"],
    }


def field_key(value: str) -> str:
    """A value as a MongoDB field name: no dots, no leading ``$``, no NUL (percent-encoded, reversibly)."""
    return value.replace("%", "%25").replace(".", "%2E").replace("$", "%24").replace("\x00", "%00")


def value_of(key: str) -> str:
    return key.replace("%00", "\x00").replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def record(db: Database, added: Iterable[dict[str, Any]], replaced: Iterable[dict[str, Any]] = ()) -> None:
    """Count ``added`` listing documents in and the ``replaced`` (previous) ones out: one update."""
    added = list(added)
    facets: Counter[str] = Counter()
    for sign, docs in ((1, added), (-1, replaced)):
        for doc in docs:
            for dimension, values in facet_values(doc).items():
                for value in values:
                    facets[f"{dimension}.{field_key(value)}"] += sign
            facets["total"] += sign
    update: dict[str, Any] = _bounds(added)
    incs = {key: delta for key, delta in facets.items() if delta}
    if incs:
        update["$inc"] = incs
    if update:
        db[FACETS].update_one({"_id": FACET_DOC}, update, upsert=True)


def _bounds(docs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """``$min``/``$max`` of the sort keys (``search.ts``, ``search.rank``) over ``docs``."""
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for doc in docs:
        search = doc.get(SEARCH_FIELD) or {}
        for key in ("ts", "rank"):
            value = search.get(key)
            if isinstance(value, int | float):
                low[key] = min(low.get(key, value), value)
                high[key] = max(high.get(key, value), value)
    if not low:
        return {}
    return {"$min": {f"{k}_min": v for k, v in low.items()}, "$max": {f"{k}_max": v for k, v in high.items()}}


def stats(db: Database) -> dict[str, Any]:
    """The raw counter document: ``total``, ``ts_min``/``ts_max``, ``rank_min``/``rank_max``, per-facet counts."""
    return db[FACETS].find_one({"_id": FACET_DOC}) or {}


def stored_facets(db: Database) -> dict[str, dict[str, int]]:
    """The write-time facet counts of all listings: ``{dimension: {value: listings}}`` plus ``total``."""
    doc = stats(db)
    out: dict[str, dict[str, int]] = {}
    for dimension in FACET_DIMENSIONS:
        values = doc.get(dimension) or {}
        out[dimension] = {value_of(k): int(v) for k, v in values.items() if v}
    out["total"] = {"listings": int(doc.get("total") or 0)}
    return out


def rebuild(db: Database, listings: Iterable[dict[str, Any]]) -> None:
    """Recount everything from ``listings`` (all stored listings), replacing the counters."""
    db[FACETS].delete_many({})
    batch: list[dict[str, Any]] = []
    for doc in listings:
        batch.append(doc)
        if len(batch) >= 1000:
            record(db, batch)
            batch = []
    record(db, batch)
