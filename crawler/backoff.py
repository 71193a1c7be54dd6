"""Downloader middleware: retry 429 and 503 answers after the wait the site asks for, and wait on the whole site.

Scrapy's ``RetryMiddleware`` retries a 429 or 503 at once, which is exactly what a rate-limiting site punishes.
This one replaces it (same settings: ``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_PRIORITY_ADJUST``; the other
codes and the network errors are retried as Scrapy does). For a 429 or 503 it:

- waits ``Retry-After`` (seconds, or an HTTP date) when the answer has one, else backs off exponentially:
  ``TRAWLER_BACKOFF_BASE`` × 2^(retries so far), at most ``TRAWLER_BACKOFF_MAX`` seconds;
- holds *every* request to that host (its download slot) until the wait is over, not just the retried one: the
  site asked the crawler to slow down, so nothing more is sent meanwhile;
- gives up (keeps the answer, which the blocked-pages monitor counts) when the site asks for more than
  ``TRAWLER_RETRY_AFTER_MAX`` seconds: a crawl should not sleep for hours on one site's word.

The stats ``trawler/backoff/waits``, ``trawler/backoff/seconds`` and ``trawler/backoff/gave_up`` go into the run
record's counts.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater

logger = logging.getLogger("trawler.backoff")

BACKOFF_STATUSES = frozenset({429, 503})
STAT_PREFIX = "trawler/backoff/"


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; ``None`` when absent or unreadable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("TRAWLER_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("TRAWLER_BACKOFF_MAX", 60.0)
        self.longest = settings.getfloat("TRAWLER_RETRY_AFTER_MAX", 600.0)
        self.resume_at: dict[str, float] = {}  # slot (host) -> time.monotonic() when it may send again

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    @staticmethod
    def slot_of(request: Request) -> str:
        return str(request.meta.get("download_slot") or urlparse_cached(request).hostname or "")

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Hold the request while its host is backing off (before it enters Scrapy's download slot)."""
        wait = self.resume_at.get(self.slot_of(request), 0.0) - time.monotonic()
        if wait > 0:
            await maybe_deferred_to_future(deferLater(reactor, wait))

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if response.status not in BACKOFF_STATUSES or request.meta.get("dont_retry", False):
            return super().process_response(request, response)
        if response.status not in self.retry_http_codes:
            return response
        retries = int(request.meta.get("retry_times", 0))
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if asked is not None and asked > self.longest:
            self._inc("gave_up")
            logger.warning(
                "%s answered %d asking to wait %.0f s, more than TRAWLER_RETRY_AFTER_MAX (%.0f s): not retried",
                request.url, response.status, asked, self.longest,
            )  # fmt: skip
            return response
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=response_status_message(response.status),
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=request.meta.get("give_up_log_level", self.give_up_log_level),
        )
        if retry is None:
            return response  # retries used up (logged and counted by Scrapy)
        wait = asked if asked is not None else min(self.cap, self.base * 2**retries)
        slot = self.slot_of(request)
        self.resume_at[slot] = max(self.resume_at.get(slot, 0.0), time.monotonic() + wait)
        self._inc("waits")
        self._inc("seconds", round(wait, 3))
        logger.info("%s answered %d: %s waits %.1f s before sending more", request.url, response.status, slot, wait)
        return retry

    def _inc(self, name: str, value: float = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(STAT_PREFIX + name, value)
