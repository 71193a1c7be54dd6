"""Browser rendering for JavaScript sites: scrapy-playwright driving the system Chromium.

Rendering costs about forty plain requests (``../shared/MEASURED.md``), so
Trawler renders only what needs it and stops waiting as soon as the page holds
what the extractor needs:

- only profiles with ``render: browser`` (or ``auto``) get the Playwright
  download handler; within them, ``browser.render_urls`` patterns can limit
  rendering to some URLs;
- images, fonts and media are aborted (``browser.block_resources``);
- navigation returns at DOMContentLoaded, then waits for
  ``browser.wait_for`` (a CSS selector) instead of the full ``load`` event;
- bounded infinite scroll: scroll until no new ``browser.scroll.items`` appear,
  at most ``browser.scroll.max_times``;
- at most ``browser.max_pages`` pages are open at once, and they are reused
  from one request to the next (opening a page costs more than rendering a
  small one); each is closed after ``TRAWLER_BROWSER_PAGE_USES`` renders or
  any error, so memory stays bounded (:mod:`crawler.browser_pool`).

Chromium is the system one (Debian's ``chromium``): Playwright's own browser download is
never needed. ``TRAWLER_CHROMIUM`` overrides the path.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import TYPE_CHECKING, Any

from crawler.proxy import browser_proxy

if TYPE_CHECKING:
    from crawler.profiles import BrowserOptions, SiteProfile

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--mute-audio",
]
PLAYWRIGHT_HANDLER = "crawler.browser_pool.PooledPlaywrightDownloadHandler"


class BrowserUnavailable(RuntimeError):
    pass


def chromium_path() -> str:
    """The Chromium executable: ``TRAWLER_CHROMIUM``, else the first known name on PATH."""
    configured = os.environ.get("TRAWLER_CHROMIUM")
    if configured:
        if not os.access(configured, os.X_OK):
            raise BrowserUnavailable(f"TRAWLER_CHROMIUM={configured} is not an executable file")
        return configured
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(
        "render: browser needs Chromium: install the system package (apt-get install chromium) "
        "or set TRAWLER_CHROMIUM to its path"
    )


class ResourceBlocker:
    """``PLAYWRIGHT_ABORT_REQUEST``: abort the resource types (images, fonts, media) extractors never read."""

    def __init__(self, resource_types: list[str]) -> None:
        self.resource_types = frozenset(resource_types)

    def __call__(self, request: Any) -> bool:
        return request.resource_type in self.resource_types


def playwright_settings(options: BrowserOptions, proxy: str | None = None) -> dict[str, Any]:
    """Scrapy settings that route this site's rendered requests through Playwright (and its ``proxy``)."""
    launch: dict[str, Any] = {"executable_path": chromium_path(), "headless": True, "args": CHROMIUM_ARGS}
    if proxy:
        launch["proxy"] = browser_proxy(proxy)
    return {
        "DOWNLOAD_HANDLERS": {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
        "PLAYWRIGHT_ABORT_REQUEST": ResourceBlocker(options.block_resources) if options.block_resources else None,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": options.max_pages,
        # More open pages than cores only makes them wait for each other's CPU; plain requests of the
        # same site (render: auto, render_urls) keep the site's own concurrency.
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": options.timeout_ms,
    }


_SCROLL_SCRIPT = """async ([selector, maxTimes, pauseMs]) => {
  let previous = -1;
  for (let i = 0; i < maxTimes; i++) {
    const count = document.querySelectorAll(selector).length;
    if (count === previous) break;
    previous = count;
    window.scrollTo(0, document.body.scrollHeight);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return previous;
}"""


def wants_render(profile: SiteProfile, url: str) -> bool:
    if profile.render != "browser" or url.endswith("/robots.txt"):
        return False
    patterns = profile.browser.render_urls
    return not patterns or any(re.search(p, url) for p in patterns)


def render_meta(options: BrowserOptions) -> dict[str, Any]:
    """Request meta that renders a page and waits only for what the extractor needs."""
    from scrapy_playwright.page import PageMethod

    methods = []
    if options.wait_for:
        methods.append(PageMethod("wait_for_selector", options.wait_for, state="attached"))
    if options.scroll.max_times and options.scroll.items:
        methods.append(
            PageMethod(
                "evaluate", _SCROLL_SCRIPT, [options.scroll.items, options.scroll.max_times, options.scroll.pause_ms]
            )
        )
    return {
        "playwright": True,
        "playwright_page_goto_kwargs": {"wait_until": options.wait_until},
        "playwright_page_methods": methods,
    }
