"""The base class of every platform-type spider.

A platform-type plugin subclasses :class:`ProfileSpider` to *navigate* its kind
of platform; it never parses listings itself but hands each page that holds
listings to :meth:`ProfileSpider.extract`, which runs the
``trawler_extract_listings`` hook. The spider loader makes one subclass per
site profile, with ``name`` and ``profile`` set.

The Scrapy item is one :class:`PageListings` per page, not one per listing: a
forum page holds ten posts, and Scrapy's per-item machinery (a task, the spider
middlewares, signals) costs as much as extracting a post. A page is also the
unit of evidence: the listings and the response they were read from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse

from crawler.login import LoginFlow
from crawler.navigation import next_page_urls
from crawler.plugins import TrawlerPluginManager, hook_error_stats, shared_plugin_manager
from crawler.profiles import SiteProfile
from crawler.render import RENDER_FLAG


@dataclass
class PageListings:
    """The listings extracted from one page (the Scrapy item Trawler's spiders yield)."""

    url: str
    page_type: str
    listings: list[dict[str, Any]] = field(default_factory=list)
    # The page itself, kept as evidence by the storage pipeline (feed exports show it as "<HtmlResponse 200 url>").
    response: Any = field(default=None, repr=False)


class ProfileSpider(LoginFlow, scrapy.Spider):
    profile: ClassVar[SiteProfile]
    plugins: TrawlerPluginManager

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ProfileSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.plugins = shared_plugin_manager(crawler.settings)
        spider.login_waiting = []
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.profile.login:
            yield self.login_request()  # the start URLs follow once logged in
            return
        for url in self.profile.start_urls:
            # Filtered like any other request, so a page linking back to the start page does not fetch it again.
            yield scrapy.Request(url, callback=self.parse)

    def follow_next_pages(self, response: Response, css: str, callback: Any) -> Iterator[scrapy.Request]:
        """The next page(s) of a list: by the engine's selector when it finds any, else by
        :func:`crawler.navigation.next_page_urls` (rel=next, "next" labels, load-more, numbered pages)."""
        requests = list(response.follow_all(css=css, callback=callback)) if css else []
        if not requests and isinstance(response, TextResponse):
            requests = [response.follow(url, callback=callback) for url in next_page_urls(response)]
        if requests:
            self.crawler.stats.inc_value("trawler/next_pages", len(requests))
        yield from requests

    def extract(self, response: Response, page_type: str) -> Iterator[PageListings | scrapy.Request]:
        """Run the extraction hook on ``response``; yield its listings as one item (none if it has none)."""
        stats = self.crawler.stats
        token = hook_error_stats.set(stats)
        try:
            found = self.plugins.hook.trawler_extract_listings(
                response=response, profile=self.profile, page_type=page_type
            )
        finally:
            hook_error_stats.reset(token)
        stats.inc_value(f"trawler/pages/{page_type}")
        if not found and self.profile.render == "auto" and not response.meta.get("playwright"):
            # Nothing in the plain HTML: the content is probably drawn by JavaScript. Render this page.
            stats.inc_value("trawler/pages_rerendered")
            yield response.request.replace(meta={**response.request.meta, RENDER_FLAG: True}, dont_filter=True)
            return
        if found is None:
            stats.inc_value("trawler/pages_unextracted")
            self.logger.warning("no extractor handled %s page %s", page_type, response.url)
            return
        for raw in found:
            raw.setdefault("site", self.profile.name)
            raw.setdefault("platform_type", self.profile.platform_type)
            raw.setdefault("url", response.url)
        if found:
            stats.inc_value("trawler/listings_extracted", len(found))
            yield PageListings(response.url, page_type, found, response)
