"""Downloader middleware: mark the requests of browser-rendered sites for scrapy-playwright."""

from __future__ import annotations

from typing import Any

from scrapy import Request

from crawler.browser import render_meta, wants_render

RENDER_FLAG = "trawler_render"  # set by a spider to render one request (render: auto)


class BrowserRenderMiddleware:
    """Adds Playwright meta to the requests that need a browser: every matching URL of a
    ``render: browser`` profile, and requests flagged ``trawler_render`` (``render: auto`` retries)."""

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> BrowserRenderMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        # Scrapy 2.19 no longer passes the spider to downloader middlewares.
        spider = spider or getattr(self.crawler, "spider", None)
        profile = getattr(spider, "profile", None)
        if profile is None or profile.render == "http" or "playwright" in request.meta:
            return
        if request.meta.get(RENDER_FLAG) or wants_render(profile, request.url):
            request.meta.update(render_meta(profile.browser))
