"""Built-in enrichment plugin: a near-duplicate signature of each listing's text, to find reposted text.

Recruiters repost the same text with small edits (another phone number, city or price) from other accounts and
on other platforms. This plugin records on each listing ``text_sig``: the MinHash signature of each unit of its
normalised text (:mod:`plugins.neardup.text`, :mod:`plugins.neardup.signature`) and the LSH band keys of those
signatures. The storage layer (:mod:`crawler.storage.clusters`) looks up stored listings sharing a band key,
verifies their estimated Jaccard similarity against ``TRAWLER_NEARDUP_THRESHOLD`` and groups near-duplicates into
``text_cluster`` entities, across sites.

Opt-in (``OPT_IN``): load it with ``TRAWLER_ENABLE_PLUGINS=neardup``. Clustering at store time costs the embedded
database a band look-up per batch and an update per clustered listing: on the demo marketplace it halved the crawl's
pages/s (195 to 89 at scale 10, docs/benchmarks.md). A real MongoDB pays far less; turn it on where linking reposted
text matters more than crawl speed.

The work per listing is small and in-process (about 34 µs of CPU on average on the demo's listings, 51 µs for one
that gets a signature: tokenising, CRC-32 per token, one datasketch update per unit); texts too short to mean
anything get no signature. The store-time cost is in docs/enrichment-accuracy.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from crawler.plugins import hookimpl
from crawler.storage.clusters import DEFAULT_THRESHOLD
from plugins.neardup.signature import text_signature
from plugins.neardup.text import units

if TYPE_CHECKING:
    from crawler.profiles import SiteProfile


OPT_IN = True  # not loaded unless TRAWLER_ENABLE_PLUGINS names it (see crawler/plugins.py)


class NearDupSettings(BaseModel):
    TRAWLER_NEARDUP_THRESHOLD: float = Field(
        DEFAULT_THRESHOLD,
        ge=0.5,
        le=1.0,
        description="estimated Jaccard similarity of two text units (word 3-shingles) above which listings are "
        "near-duplicates; below 0.5 the LSH bands miss too many pairs",
    )


@hookimpl
def trawler_register_settings() -> type[BaseModel]:
    return NearDupSettings


@hookimpl
def trawler_enrich_listing(listing: dict[str, Any], profile: SiteProfile | None) -> None:
    title, body = listing.get("title"), listing.get("body")
    signature = text_signature(
        units(title if isinstance(title, str) else None, body if isinstance(body, str) else None)
    )
    if signature is not None:
        listing["text_sig"] = signature
