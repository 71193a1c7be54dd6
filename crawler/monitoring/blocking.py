"""Downloader middleware: count the responses that say the site is refusing or challenging the crawler.

A response is *blocked* when its status is one of the site's ``block_statuses``
(403, 429, 503 by default) or when it is an HTML page that holds one of the
``block_markers`` (challenge and ban pages served with status 200). It sits
between the retry middleware (550) and the decompression middleware (590), so
it sees every attempt of a retried request, with its body already decompressed.
It only counts: what happens to the response is left to the other middlewares.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, signals

from crawler.monitoring.config import Thresholds, resolve
from crawler.profile_middleware import ProfileMiddleware

logger = logging.getLogger("trawler.monitoring")

STAT_PREFIX = "trawler/blocked/"
STAT_TOTAL = "trawler/blocked_pages"
CAPTCHA = "captcha"
# Challenge markers sit near the top of a small page; a huge page is not scanned to its end.
SCAN_BYTES = 262_144


class BlockedPagesMiddleware(ProfileMiddleware):
    def __init__(self, crawler: Any = None) -> None:
        super().__init__(crawler)
        self.statuses: frozenset[int] = frozenset()
        self.markers: tuple[bytes, ...] = ()
        self.warned = False
        if crawler is not None:
            crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
            self.configure(resolve(crawler.settings))

    def configure(self, thresholds: Thresholds) -> None:
        self.statuses = frozenset(thresholds.block_statuses)
        self.markers = tuple(m.lower().encode("utf-8") for m in thresholds.block_markers if m)

    def spider_opened(self, spider: Any) -> None:
        self.configure(resolve(self.crawler.settings, getattr(spider, "profile", None)))

    def process_response(self, request: Request, response: Any, spider: Any = None) -> Any:
        why = self.blocked_because(response)
        if why is not None:
            stats = self.crawler.stats
            stats.inc_value(STAT_TOTAL)
            stats.inc_value(STAT_PREFIX + why)
            if not self.warned:
                self.warned = True
                logger.warning("blocked page (%s) at %s; counting them for the run record", why, request.url)
        return response

    def blocked_because(self, response: Any) -> str | None:
        """``"403"``, ``"429"``... for a blocking status, ``"captcha"`` for a challenge page, else ``None``."""
        if response.status in self.statuses:
            return str(response.status)
        if not self.markers or b"html" not in (response.headers.get(b"Content-Type") or b"").lower():
            return None
        head = response.body[:SCAN_BYTES].lower()
        return CAPTCHA if any(m in head for m in self.markers) else None


def blocked_from_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """The run record's ``blocked_pages``, ``blocked_by`` ({status or captcha: n}), ``responses``, ``ban_rate``."""
    by = {key[len(STAT_PREFIX) :]: int(v or 0) for key, v in stats.items() if key.startswith(STAT_PREFIX)}
    total = int(stats.get(STAT_TOTAL, 0) or 0)
    responses = int(stats.get("downloader/response_count", 0) or 0)
    return {
        "blocked_pages": total,
        "blocked_by": dict(sorted(by.items())),
        "responses": responses,
        "ban_rate": round(total / responses, 4) if responses else 0.0,
    }
