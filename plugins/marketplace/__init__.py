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

Extraction order (see the package README): the profile's ``selectors``; an
engine preset (``classifieds``, ``craigslist``, ``osclass``, ``woocommerce``),
named by the profile's ``engine`` or detected from the page; else schema.org
data merged with generic heuristics (``engine: structured`` / ``engine:
generic`` run one of them alone). The fixture corpus in ``fixtures/`` is
registered with ``trawler_register_fixtures``.
"""

from __future__ import annotations

from pathlib import Path
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
def trawler_register_fixtures() -> list[str]:
    """Saved ad pages of each engine, of schema.org-only sites and of sites only the heuristics read."""
    return [str(Path(__file__).parent / "fixtures")]


@hookimpl
def trawler_extract_listings(response: Response, profile: SiteProfile, page_type: str) -> list[dict[str, Any]] | None:
    if profile.platform_type != PLATFORM_TYPE:
        return None
    return extract_listings(response, profile, page_type)
