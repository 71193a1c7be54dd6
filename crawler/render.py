"""Downloader middleware: mark the requests of browser-rendered sites for scrapy-playwright."""

from __future__ import annotations

from typing import Any

from scrapy import Request

from crawler.browser import render_meta, wants_render
from crawler.profile_middleware import ProfileMiddleware

RENDER_FLAG = "trawler_render"  # set by a spider to render one request (render: auto)
_ADDED = "trawler_render_meta"  # this middleware added the Playwright meta: it can be derived again
# The keys crawler.browser.render_meta() sets.
_RENDER_KEYS = frozenset(("playwright", "playwright_page_goto_kwargs", "playwright_page_methods", _ADDED))


class BrowserRenderMiddleware(ProfileMiddleware):
    """Adds Playwright meta to the requests that need a browser: every matching URL of a
    ``render: browser`` profile, and requests flagged ``trawler_render`` (``render: auto`` retries)."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        profile = self.profile_of(spider)
        if profile is None or profile.render == "http" or "playwright" in request.meta:
            return
        if request.meta.get(RENDER_FLAG) or wants_render(profile, request.url):
            request.meta.update(render_meta(profile.browser), **{_ADDED: True})


def persistable_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` to store with a queued request (crawler/jobs/): without the Playwright meta this middleware
    added, which after a render holds live browser objects and is added again when the request is sent."""
    if not meta.get(_ADDED):
        return meta
    return {k: v for k, v in meta.items() if k not in _RENDER_KEYS}
