"""The base class of every platform-type spider.

A platform-type plugin subclasses :class:`ProfileSpider` to *navigate* its kind
of platform; it never parses listings itself but hands each page that holds
listings to :meth:`ProfileSpider.extract`, which runs the
``trawler_extract_listings`` hook. The spider loader makes one subclass per
site profile, with ``name`` and ``profile`` set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from crawler.plugins import TrawlerPluginManager, hook_error_stats, shared_plugin_manager
from crawler.profiles import SiteProfile


class ProfileSpider(scrapy.Spider):
    profile: ClassVar[SiteProfile]
    plugins: TrawlerPluginManager

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ProfileSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.plugins = shared_plugin_manager(crawler.settings)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.profile.start_urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def extract(self, response: Response, page_type: str) -> Iterator[dict[str, Any]]:
        """Run the extraction hook on ``response`` and yield the raw listings, counted."""
        stats = self.crawler.stats
        token = hook_error_stats.set(stats)
        try:
            found = self.plugins.hook.trawler_extract_listings(
                response=response, profile=self.profile, page_type=page_type
            )
        finally:
            hook_error_stats.reset(token)
        stats.inc_value(f"trawler/pages/{page_type}")
        if found is None:
            stats.inc_value("trawler/pages_unextracted")
            self.logger.warning("no extractor handled %s page %s", page_type, response.url)
            return
        for raw in found:
            raw.setdefault("site", self.profile.name)
            raw.setdefault("platform_type", self.profile.platform_type)
            raw.setdefault("url", response.url)
            stats.inc_value("trawler/listings_extracted")
            yield raw
