"""Built-in platform-type plugin: ``marketplace`` (classifieds sites, OLX/Gumtree/Craigslist-like).

Navigation (:mod:`plugins.marketplace.spider`): start page -> category links
-> result pages (``rel="next"`` and numbered pages) -> ad pages.

Page types passed to ``trawler_extract_listings``:

- ``ad``: one classified ad. Extracted (:mod:`plugins.marketplace.extractors`)
  as one listing of kind ``ad``: native id, title, body (paragraphs as lines),
  price (amount, ISO currency, text as shown), location (as shown), author
  (the seller: name, id, profile URL), posted_at (+ the date as shown),
  category (from the breadcrumb), images (absolute URLs), contacts.raw (each
  contact line as shown) and ``extra.attributes`` (the attribute table).

Engine presets (the profile's ``engine``): ``classifieds`` (the default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.platform import PlatformTypeSpec
from crawler.plugins import hookimpl
from plugins.marketplace.extractors import extract_listings
from plugins.marketplace.spider import MarketplaceSpider

if TYPE_CHECKING:
    from scrapy.http import Response

    from crawler.profiles import SiteProfile

PLATFORM_TYPE = "marketplace"


@hookimpl
def trawler_register_platform_types() -> list[PlatformTypeSpec]:
    return [
        PlatformTypeSpec(
            name=PLATFORM_TYPE,
            spider=MarketplaceSpider,
            description="Classifieds marketplaces: categories -> result pages -> ads",
            page_types=("ad",),
        )
    ]


@hookimpl
def trawler_extract_listings(response: Response, profile: SiteProfile, page_type: str) -> list[dict[str, Any]] | None:
    if profile.platform_type != PLATFORM_TYPE:
        return None
    return extract_listings(response, profile, page_type)
