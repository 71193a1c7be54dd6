"""Navigation of review sites: home -> category directory -> business lists -> business pages.

The spider only walks; the business pages (every review page of a business)
go to the ``trawler_extract_listings`` hook with page type ``business``.

During incremental recrawls (``docs/incremental.md``) it also reads the site's
latest-activity feed ("latest reviews", newest posted or edited first), whose
rows link to the reviews on their business pages: an edited review is found
there, and only its page is refetched. An edit changes nothing on the
business lists (rating, review count and latest review stay), so without the
feed it would wait until its page is due. A plain crawl does not read the feed:
the business lists reach every review.

Links are found with named CSS selectors (the ``yelpish`` markup by default);
a site profile's ``selectors`` table overrides any of them by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from scrapy.http import Response, TextResponse

from crawler.spiders import ProfileSpider

PAGE_TYPES = ("business",)


class ReviewSpider(ProfileSpider):
    """Walks a review site; each business page (and each of its review pages) is extracted as ``business``."""

    INCREMENTAL_ROW = ".biz-card, li.business, article.business"  # a business card: rating, count, "updated"

    navigation: ClassVar[dict[str, str]] = {
        "directory_link": "a.nav-categories::attr(href), a.all-categories::attr(href)",
        "category_link": "a.category-link::attr(href)",
        "business_link": "a.biz-link::attr(href)",
        "next_page": "a[rel~=next]::attr(href), link[rel~=next]::attr(href)",
        "business_page": "h1.biz-name",
        "feed_link": "a.latest-reviews::attr(href)",
        "feed_row": "li.feed-item",
        "feed_review_link": "a.feed-review::attr(href)",
    }

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """A start page: usually the home page, but an analyst may start from a business or a category."""
        if isinstance(response, TextResponse) and response.css(self._selector("business_page")):
            yield from self.parse_business(response)
            return
        yield from self._follow(response, "directory_link", self.parse_directory)
        yield from self._follow(response, "category_link", self.parse_business_list)
        yield from self._follow(response, "business_link", self.parse_business)
        if getattr(self, "page_states", None) is not None:  # incremental: the feed tells what was edited
            yield from self._follow(response, "feed_link", self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """A page of the latest-activity feed: each row points at a review inside a business page."""
        reviews = self._follow(response, "feed_review_link", self.parse_business)
        yield from self.list_items(response, reviews, row=self._selector("feed_row"), anchored=True)
        yield from self._next(response, self.parse_feed)

    def parse_directory(self, response: Response) -> Iterator[Any]:
        yield from self._follow(response, "category_link", self.parse_business_list)

    def parse_business_list(self, response: Response) -> Iterator[Any]:
        """One page of business cards in a category; the next page through "Next ›" / rel=next."""
        yield from self.list_items(response, self._follow(response, "business_link", self.parse_business))
        yield from self._next(response, self.parse_business_list)

    def parse_business(self, response: Response) -> Iterator[Any]:
        """A business page: extract it, then walk its review pages (``?page=N``) through rel=next."""
        yield from self.extract(response, "business")
        yield from self._next(response, self.parse_business)

    def _next(self, response: Response, callback: Callable[[Response], Iterator[Any]]) -> Iterator[Any]:
        if isinstance(response, TextResponse):
            yield from self.follow_next_pages(response, self._selector("next_page"), callback)

    def _selector(self, key: str) -> str:
        return self.profile.selectors.get(key) or self.navigation[key]

    def _follow(self, response: Response, key: str, callback: Callable[[Response], Iterator[Any]]) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        for href in dict.fromkeys(response.css(self._selector(key)).getall()):
            yield response.follow(href.strip(), callback=callback)
