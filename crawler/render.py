"""Downloader middleware: mark the requests of browser-rendered sites for scrapy-playwright."""

from __future__ import annotations

from typing import Any

from scrapy import Request

from crawler.browser import render_meta, wants_render
from crawler.profile_middleware import ProfileMiddleware

RENDER_FLAG = "trawler_render"  # set by a spider to render one request (render: auto)


class BrowserRenderMiddleware(ProfileMiddleware):
    """Adds Playwright meta to the requests that need a browser: every matching URL of a
    ``render: browser`` profile, and requests flagged ``trawler_render`` (``render: auto`` retries)."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        profile = self.profile_of(spider)
        if profile is None or profile.render == "http" or "playwright" in request.meta:
            return
        if request.meta.get(RENDER_FLAG) or wants_render(profile, request.url):
            request.meta.update(render_meta(profile.browser))
