"""Ad extraction for classifieds marketplaces: the extraction order, most specific first.

1. The site profile's ``selectors`` override single fields, whatever reads the rest of the page.
2. An engine preset (:mod:`plugins.marketplace.engines`): the one the profile's ``engine`` names, else
   the one :func:`~plugins.marketplace.detect.detect_engine` recognises. A page a preset reads never
   pays for layers 3-4.
3. Structured data (:mod:`plugins.marketplace.structured`) when no preset matches,
4. completed by the generic heuristics (:mod:`plugins.marketplace.generic`), which read the page alone
   when it has no structured data.

``engine: generic`` and ``engine: structured`` force layer 4 or layer 3 alone (to measure each).
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from crawler.extract import Node
from crawler.profiles import SiteProfile
from plugins.marketplace.detect import detect_engine
from plugins.marketplace.engines import ENGINES, ClassifiedsAdPage
from plugins.marketplace.generic import GenericAdPage, url_native_id
from plugins.marketplace.page import AdPage, parse_posted
from plugins.marketplace.structured import StructuredAdPage, merge

DEFAULT_ENGINE = ClassifiedsAdPage.name
GENERIC = GenericAdPage.name
STRUCTURED = StructuredAdPage.name
FALLBACK_ENGINES = frozenset({GENERIC, STRUCTURED})

__all__ = ["DEFAULT_ENGINE", "ENGINES", "ClassifiedsAdPage", "extract_listings", "parse_posted"]


class _OverridePage(AdPage):
    """The profile's own selectors and nothing else: layer 1 on top of layers 3-4."""

    name = "overrides"


# Selector name -> the listing fields it decides.
_OVERRIDDEN_FIELDS: dict[str, tuple[str, ...]] = {
    "native_id": ("native_id",),
    "title": ("title",),
    "description": ("body",),
    "price": ("price",),
    "location": ("location",),
    "seller": ("author",),
    "posted": ("posted_at", "posted_at_raw"),
    "breadcrumb": ("category",),
    "images": ("images",),
    "contacts": ("contacts",),
    "attribute_rows": ("extra",),
    "attribute_terms": ("extra",),
}


def apply_overrides(found: dict[str, Any] | None, response: Response, profile: SiteProfile) -> dict[str, Any] | None:
    """Replace the fields the profile has selectors for (presets merge them into their own selectors instead)."""
    keys = [key for key in _OVERRIDDEN_FIELDS if key in profile.selectors]
    if not keys:
        return found
    page = _OverridePage(response, profile)
    found = dict(found or {"kind": "ad", "url": response.url, "native_id": url_native_id(response.url)})
    values: dict[str, Any] = {
        "native_id": page.native_id,
        "title": page.title,
        "body": page.body,
        "price": page.price,
        "location": page.location,
        "author": page.author,
        "category": page.category,
        "images": page.images,
        "contacts": page.contacts,
        "extra": lambda: {**found.get("extra", {}), **page.extra()},
    }
    for key in keys:
        for field in _OVERRIDDEN_FIELDS[key]:
            if field == "posted_at":
                found["posted_at"], found["posted_at_raw"] = page.posted()
            elif field in values:
                found[field] = values[field]()
    return found if (found.get("title") or found.get("body")) else None


def fallback_listing(response: Response, profile: SiteProfile, engine: str | None) -> dict[str, Any] | None:
    """Layers 3-4: structured data completed by the heuristics, or one of them alone when forced."""
    if engine == GENERIC:
        return GenericAdPage(response, profile).listing()
    structured = StructuredAdPage(response, profile).listing()
    if engine == STRUCTURED:
        if structured is not None and not structured.get("native_id"):
            structured["native_id"] = GenericAdPage(response, profile).native_id()
        return structured
    page = GenericAdPage(response, profile).listing()
    return merge(structured, page) if structured is not None else page


def extract_listings(response: Response, profile: SiteProfile, page_type: str) -> list[dict[str, Any]] | None:
    """The listings on one marketplace page; ``None`` when the profile names an engine we do not know."""
    engine = profile.engine
    preset = ENGINES.get(engine) if engine else None
    if engine and preset is None and engine not in FALLBACK_ENGINES:
        return None
    if page_type != "ad" or not hasattr(response, "css") or not isinstance(response.selector.root, Node):
        return []
    if preset is not None:
        found = preset(response, profile).listing()
        return [found] if found else []
    if engine is None:
        preset = detect_engine(response.selector.root)
        if preset is not None:
            found = preset(response, profile).listing()
            if found:
                return [found]
    found = apply_overrides(fallback_listing(response, profile, engine), response, profile)
    return [found] if found else []
