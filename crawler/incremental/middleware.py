"""The downloader middleware of incremental recrawls: conditional requests, 304s, and the page states.

On a request for a page whose state holds a validator, ``If-None-Match`` /
``If-Modified-Since`` are added. A 304 is turned back into the page as stored
(read from the database in a thread, never on the reactor), flagged
:data:`~crawler.incremental.markers.NOT_MODIFIED`: the spider navigates it as
usual, but extraction is skipped and the page's listings are confirmed instead.
Every fetch updates the page's state and its adaptive revisit interval.

Active for a site when its profile's ``incremental.enabled`` says so, else when
``TRAWLER_INCREMENTAL`` is on. ``TRAWLER_INCREMENTAL_FULL`` (``trawler crawl
--full``) fetches everything unconditionally but still records the states.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task, threads

from crawler.incremental.markers import HEAD, NOT_MODIFIED, ROW_MARKER, STAT
from crawler.incremental.schedule import RevisitPolicy
from crawler.incremental.state import PageStateStore, url_key
from crawler.render import RENDER_FLAG

UNCONDITIONAL = "trawler_unconditional"  # request meta: send no validators (the stored body went missing)
FLUSH_INTERVAL_S = 2.0


def enabled_for(spider: Spider, settings: Any) -> bool:
    profile = getattr(spider, "profile", None)
    choice = getattr(getattr(profile, "incremental", None), "enabled", None)
    return settings.getbool("TRAWLER_INCREMENTAL", False) if choice is None else bool(choice)


class IncrementalMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.policy = RevisitPolicy.from_settings(crawler.settings)
        self.full = crawler.settings.getbool("TRAWLER_INCREMENTAL_FULL", False)
        self.store: PageStateStore | None = None
        self.flusher: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> IncrementalMiddleware:
        return cls(crawler)

    async def spider_opened(self, spider: Spider) -> None:
        if not enabled_for(spider, self.crawler.settings) or not self.crawler.settings.getbool("TRAWLER_STORE", True):
            return
        from crawler.storage.connection import connect, database_config

        config = database_config(self.crawler.settings)
        store = PageStateStore(connect(config)[config.name], spider.name)
        loaded = await maybe_deferred_to_future(threads.deferToThread(store.load))
        self.stats.set_value(STAT + "states_loaded", loaded)
        self.stats.set_value(STAT + "mode", "full" if self.full else "incremental")
        self.store = store
        spider.page_states = store
        spider.incremental_full = self.full
        self.flusher = task.LoopingCall(store.flush)
        self.flusher.start(FLUSH_INTERVAL_S, now=False)

    async def spider_closed(self, spider: Spider) -> None:
        if self.store is None:
            return
        if self.flusher and self.flusher.running:
            self.flusher.stop()
        await maybe_deferred_to_future(threads.deferToThread(self.store.close))
        if self.store.write_errors:
            self.stats.set_value(STAT + "state_write_errors", self.store.write_errors)

    @staticmethod
    def _handled(request: Request) -> bool:
        return request.method == "GET" and not request.meta.get(RENDER_FLAG) and not request.meta.get("playwright")

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.store is None or self.full or not self._handled(request) or request.meta.get(UNCONDITIONAL):
            return None
        state = self.store.states.get(url_key(request.url))
        if state is None or not state.has_body:
            return None
        if state.etag:
            request.headers.setdefault(b"If-None-Match", state.etag.encode("latin-1"))
        if state.last_modified:
            request.headers.setdefault(b"If-Modified-Since", state.last_modified.encode("latin-1"))
        return None

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        store = self.store
        if store is None or not self._handled(request):
            return response
        key = url_key(request.url)
        state = store.states.get(key)
        now = datetime.now(UTC)
        marker, head = request.meta.get(ROW_MARKER), request.meta.get(HEAD)
        if response.status == 304 and state is not None:
            body = await maybe_deferred_to_future(threads.deferToThread(store.body, key))
            if body is None:  # the state lost its body: ask again, without validators
                return request.replace(meta={**request.meta, UNCONDITIONAL: True}, dont_filter=True)
            self.stats.inc_value(STAT + "pages_not_modified")
            interval = self.policy.next_interval(state.interval_s, changed=False)
            store.fetched(request.url, now=now, changed=False, interval_s=interval, etag=None, last_modified=None,
                          body=None, content_type=None, marker=marker, head=head)  # fmt: skip
            self.stats.inc_value(STAT + "listings_confirmed", store.confirm(state))
            request.meta[NOT_MODIFIED] = True
            headers = {"Content-Type": state.content_type} if state.content_type else {}
            cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
            return cls(url=request.url, status=200, headers=headers, body=body, request=request, flags=["cached"])
        if response.status in (404, 410) and state is not None and state.listing_ids:
            self.stats.inc_value(STAT + "listings_gone", store.gone(state))
            return response
        if response.status != 200:
            return response
        body = response.body if isinstance(response, TextResponse) else None
        digest = hashlib.sha1(response.body).hexdigest()
        changed = state is None or state.body_sha1 != digest
        self.stats.inc_value(STAT + ("pages_changed" if changed else "pages_unchanged"))
        interval = self.policy.next_interval(state.interval_s if state else None, changed=changed)
        store.fetched(
            request.url,
            now=now,
            changed=changed,
            interval_s=interval,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            body=body,
            content_type=_header(response, b"Content-Type"),
            marker=marker,
            head=head,
            callback=getattr(request.callback, "__name__", None),
        )
        return response


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
