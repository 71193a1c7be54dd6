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

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse

from crawler.incremental import markers as incremental
from crawler.login import LoginFlow
from crawler.models import listing_id
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
        for request in incremental.due_requests(self):  # stored pages due by their revisit interval
            yield request

    def follow_next_pages(self, response: Response, css: str, callback: Any) -> Iterator[scrapy.Request]:
        """The next page(s) of a list: by the engine's selector when it finds any, else by
        :func:`crawler.navigation.next_page_urls` (rel=next, "next" labels, load-more, numbered pages)."""
        requests = list(response.follow_all(css=css, callback=callback)) if css else []
        if isinstance(response, TextResponse) and (not requests or incremental.one_page_at_a_time(self)):
            # An incremental recrawl walks a list one page at a time, so that it can stop at the first page
            # showing nothing new, instead of requesting every numbered page at once.
            requests = [response.follow(url, callback=callback) for url in next_page_urls(response)[:1]] or requests
        requests = incremental.next_pages(self, response, requests)
        if requests:
            self.crawler.stats.inc_value("trawler/next_pages", len(requests))
        yield from requests

    def list_items(self, response: Response, requests: Iterable[scrapy.Request], **rows: Any) -> list[scrapy.Request]:
        """The detail pages a list page links to, less those an incremental recrawl may skip
        (:func:`crawler.incremental.markers.sift`, which takes ``row``, ``marker`` and ``anchored``);
        call it before :meth:`follow_next_pages`."""
        return incremental.sift(self, response, requests, **rows)

    def extract(self, response: Response, page_type: str) -> Iterator[PageListings | scrapy.Request]:
        """Run the extraction hook on ``response``; yield its listings as one item (none if it has none)."""
        stats = self.crawler.stats
        if response.meta.get(incremental.NOT_MODIFIED):
            return  # a 304: the middleware confirmed this page's listings, nothing to extract
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
        if (page_states := getattr(self, "page_states", None)) is not None:
            ids = [listing_id(r["site"], str(r.get("kind")), r.get("native_id"), r["url"]) for r in found]
            page_states.page_listings(response.url, ids)
        if found:
            stats.inc_value("trawler/listings_extracted", len(found))
            yield PageListings(response.url, page_type, found, response)
