"""Built-in platform-type plugin: review sites (Yelp, Trustpilot, TripAdvisor and the like).

Crawl: home -> category directory -> paginated business lists -> business
pages, whose reviews are paginated (``?page=N``). One page type reaches the
extraction hook:

- ``business``: a business page (any of its review pages). The first review
  page gives the business itself (kind ``business``: name, description,
  address, category, aggregate rating normalised to 0-5, review count, the
  contact box as shown); every page gives its reviews (kind ``review``:
  title, text, author, rating normalised to 0-5 with the raw value and scale,
  date, language, the owner's response in ``extra.owner_response``, and the
  business as ``parent_id``).

Markup is read in layers, most specific first (``extractors.py``): the
profile's ``selectors``, an engine preset (``engines/``: forced by the
profile's ``engine`` or detected from the page), schema.org structured data,
then generic heuristics. Saved pages with their expected listings live in
``fixtures/`` (checked by ``tests/test_fixtures.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.http import Response

from crawler.platform import PlatformTypeSpec
from crawler.plugins import hookimpl
from crawler.profiles import SiteProfile
from plugins.review.extractors import extract_business_page
from plugins.review.spider import PAGE_TYPES, ReviewSpider

PLATFORM_TYPE = "review"


@hookimpl
def trawler_register_platform_types() -> list[PlatformTypeSpec]:
    return [
        PlatformTypeSpec(
            name=PLATFORM_TYPE,
            spider=ReviewSpider,
            description="Review sites: businesses and their paginated reviews",
            page_types=PAGE_TYPES,
        )
    ]


@hookimpl
def trawler_register_fixtures() -> list[str]:
    return [str(Path(__file__).parent / "fixtures")]


@hookimpl
def trawler_extract_listings(response: Response, profile: SiteProfile, page_type: str) -> list[dict[str, Any]] | None:
    if profile.platform_type != PLATFORM_TYPE or page_type not in PAGE_TYPES:
        return None
    return extract_business_page(response, profile)
