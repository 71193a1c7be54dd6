"""Extraction of businesses and reviews from review-site business pages: which layer reads a page.

The extraction order, most specific first:

1. the site profile's ``selectors`` (override any named selector of the layer below),
2. an engine preset (``engines/``): the profile's ``engine`` forces one, otherwise it is detected
   from the page (:mod:`plugins.review.detect`),
3. schema.org structured data (:mod:`plugins.review.structured`) when no preset matches,
4. generic heuristics (:mod:`plugins.review.generic`) for markup never seen before.

``engine: structured`` and ``engine: generic`` force layer 3 or 4 alone (for scoring each layer);
layers 3-4 never run on a page a preset reads, so the presets' path stays as fast as it was.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Response, TextResponse

from crawler.extract import Node
from crawler.profiles import SiteProfile
from plugins.review.detect import detect_engine, has_structured_reviews
from plugins.review.engines import ENGINES
from plugins.review.engines.yelpish import YelpishBusinessPage
from plugins.review.generic import GenericBusinessPage
from plugins.review.page import BusinessPage
from plugins.review.parsing import parse_out_of
from plugins.review.structured import StructuredBusinessPage

DEFAULT_ENGINE = "yelpish"
LAYERS: dict[str, type[BusinessPage]] = {
    StructuredBusinessPage.engine: StructuredBusinessPage,
    GenericBusinessPage.engine: GenericBusinessPage,
}

__all__ = ["ENGINES", "LAYERS", "BusinessPage", "YelpishBusinessPage", "extract_business_page", "parse_out_of"]


def extract_business_page(response: Response, profile: SiteProfile) -> list[dict[str, Any]] | None:
    """Listings of one business page; ``None`` when the profile names an engine this plugin does not have."""
    forced = profile.engine
    page_class = ENGINES.get(forced) or LAYERS.get(forced) if forced else None
    if forced and page_class is None:
        return None
    if not isinstance(response, TextResponse) or not response.body:
        return []
    root = response.selector.root
    if not isinstance(root, Node):
        return []
    if page_class is None:
        detected = detect_engine(root)
        if detected is None:
            return _unknown_markup(response, profile, root)
        page_class = ENGINES[detected]
    return page_class(response, profile).listings()


def _unknown_markup(response: TextResponse, profile: SiteProfile, root: Node) -> list[dict[str, Any]]:
    """Layers 3 and 4: structured data when it holds the reviews; heuristics for what it lacks."""
    structured: list[dict[str, Any]] = []
    if has_structured_reviews(root):
        structured = StructuredBusinessPage(response, profile).listings()
        if any(item["kind"] == "review" for item in structured):
            return structured
    found = GenericBusinessPage(response, profile).listings()
    business = [item for item in structured if item["kind"] == "business"]
    if business:
        # The data describes the business more reliably than the heuristics; the reviews only they found.
        found = business + [item for item in found if item["kind"] != "business"]
    return found
