"""The base of Trawler's downloader middlewares that act on the crawl's site profile."""

from __future__ import annotations

from typing import Any, Self


class ProfileMiddleware:
    """Built with the crawler, so it finds the spider (and its profile) itself: Scrapy 2.19 no longer passes
    the spider to downloader middlewares."""

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        return cls(crawler)

    def spider_of(self, spider: Any = None) -> Any:
        return spider or getattr(self.crawler, "spider", None)

    def profile_of(self, spider: Any = None) -> Any:
        return getattr(self.spider_of(spider), "profile", None)
