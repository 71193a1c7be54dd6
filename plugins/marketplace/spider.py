"""Navigation of classifieds marketplaces: category list -> result pages -> ad pages.

The spider only finds pages; :mod:`plugins.marketplace.extractors` reads them.
Links are found with CSS selectors a site profile may override through its
``selectors`` mapping (keys ``category_links``, ``ad_links``, ``page_links``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.spiders import ProfileSpider


class MarketplaceSpider(ProfileSpider):
    """Start page -> categories -> result pages (``rel="next"`` and numbered pages) -> ads.

    Page types handed to the extractors: ``ad``.
    """

    INCREMENTAL_ROW = ".listing-card, article.ad-card, li.result"  # a result card: its whole text is the marker

    NAVIGATION = {
        "category_links": "a.category-link",
        "ad_links": "a.listing-link",
        "page_links": 'a[rel~="next"], nav.pagination a',
    }

    def _links(self, response: Response, key: str, callback: Any) -> Iterator[scrapy.Request]:
        css = self.profile.selectors.get(key, self.NAVIGATION[key])
        yield from response.follow_all(css=css, callback=callback)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        """The start page: category links, and any ads it features."""
        if not hasattr(response, "css"):
            return
        yield from self._links(response, "category_links", self.parse_results)
        yield from self._links(response, "ad_links", self.parse_ad)
        # A start page that is itself a result list ("latest ads") has pages of its own.
        yield from self._links(response, "page_links", self.parse_results)

    def parse_results(self, response: Response) -> Iterator[scrapy.Request]:
        """A result page: its ads, the other result pages, and the other categories in its menu."""
        if not hasattr(response, "css"):
            return
        yield from self.list_items(response, self._links(response, "ad_links", self.parse_ad))
        css = self.profile.selectors.get("page_links", self.NAVIGATION["page_links"])
        yield from self.follow_next_pages(response, css, self.parse_results)
        yield from self._links(response, "category_links", self.parse_results)

    def parse_ad(self, response: Response) -> Iterator[dict[str, Any]]:
        yield from self.extract(response, "ad")
