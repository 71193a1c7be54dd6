"""Downloader middleware: send a site's requests through the proxy its profile names."""

from __future__ import annotations

from typing import Any

from scrapy import Request


class ProfileProxyMiddleware:
    """Sets ``request.meta["proxy"]`` from the profile's ``proxy`` (a request's own proxy wins).

    Runs before Scrapy's HttpProxyMiddleware, which then applies it (credentials included).
    """

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProfileProxyMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        # Scrapy 2.19 no longer passes the spider to downloader middlewares.
        spider = spider or getattr(self.crawler, "spider", None)
        profile = getattr(spider, "profile", None)
        if profile is not None and profile.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = profile.proxy
