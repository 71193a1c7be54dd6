"""Field coverage: how many listings of each kind have each field an analyst relies on.

Counted per valid listing on the crawl's hot path, so :meth:`FieldCoverage.add`
does only attribute reads and dictionary increments (about 3 µs a listing, measured).
The counts go into the crawl's stats (``trawler/coverage/<kind>/<field>``,
``trawler/coverage/<kind>/_total``), and from there into the run record as fractions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crawler.models import Listing

STAT_PREFIX = "trawler/coverage/"
TOTAL = "_total"


def _contacts(listing: Listing) -> bool:
    c = listing.contacts
    return bool(c.phones or c.emails or c.handles or c.links or c.raw)


# A field counts as found when the listing has a value for it; 0 is a value (a free item, a zero rating).
FIELDS: dict[str, Callable[[Listing], Any]] = {
    "title": lambda x: x.title,
    "body": lambda x: x.body,
    "posted_at": lambda x: x.posted_at is not None,
    "author": lambda x: x.author.name or x.author.id,
    "price": lambda x: x.price.amount is not None or x.price.raw,
    "location": lambda x: x.location.raw or x.location.country or x.location.city,
    "rating": lambda x: x.rating.value is not None,
    "contacts": _contacts,
    "images": lambda x: x.images,
    "category": lambda x: x.category,
    "language": lambda x: x.language,
    "native_id": lambda x: x.native_id,
    "parent_id": lambda x: x.parent_id,
}


class FieldCoverage:
    """Per-kind counters of listings with each field. Not thread-safe: fed from the reactor thread only."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}

    def add(self, listing: Listing) -> None:
        counts = self.counts.get(listing.kind)
        if counts is None:
            counts = self.counts[listing.kind] = dict.fromkeys((TOTAL, *FIELDS), 0)
        counts[TOTAL] += 1
        for name, found in FIELDS.items():
            if found(listing):
                counts[name] += 1

    def sync(self, stats: Any) -> None:
        """Copy the counts into the crawl's stats (cheap: a few dozen keys)."""
        for kind, counts in self.counts.items():
            for name, value in counts.items():
                stats.set_value(f"{STAT_PREFIX}{kind}/{name}", value)


def coverage_from_stats(stats: dict[str, Any]) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """``({kind: {field: fraction}}, {kind: listings})`` from a crawl's stats; fractions rounded to 4 places."""
    counts: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if key.startswith(STAT_PREFIX):
            kind, _, name = key[len(STAT_PREFIX) :].rpartition("/")
            counts.setdefault(kind, {})[name] = int(value or 0)
    totals = {kind: c.pop(TOTAL, 0) for kind, c in counts.items()}
    coverage = {
        kind: {name: round(n / totals[kind], 4) if totals[kind] else 0.0 for name, n in sorted(c.items())}
        for kind, c in sorted(counts.items())
    }
    return coverage, {kind: totals[kind] for kind in sorted(totals)}
