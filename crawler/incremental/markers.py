"""List pages: the marker of each item, which detail pages to skip, and when to stop paginating.

A list page (a board, a category, a business list) shows one row per item, and
the row shows what changes when the item changes: the last post and the number
of replies of a thread, the "updated" date of an ad. The marker of a row is a
hash of that text (``incremental.marker`` inside ``incremental.row``, the
platform type's defaults otherwise). A detail page whose row marker is the one
recorded when it was last fetched, and that is not due by its revisit interval,
is not requested; its listings are confirmed (their ``last_seen`` moves) since
the list page has just shown the item is still there. A list page on which every
item is known and unchanged is the end of the news on a list sorted by activity:
its next page is not followed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from crawler.incremental.state import url_key

ROW_MARKER = "trawler_row_marker"  # request meta: the marker of the list row that linked to this page
HEAD = "trawler_head"  # request meta: the state key of the first page of a paginated detail
LIST_UNCHANGED = "trawler_list_unchanged"  # response meta: every item of this list page is unchanged
NOT_MODIFIED = "trawler_not_modified"  # response meta: the server answered 304; this is the stored body

STAT = "trawler/incremental/"


def _text(nodes: Any) -> str:
    return " ".join(" ".join(nodes.xpath(".//text()").getall()).split())


def row_markers(response: TextResponse, row_css: str, marker_css: str | None) -> dict[str, str]:
    """``{absolute URL: marker}`` for every link inside a row of the list page."""
    markers: dict[str, str] = {}
    for row in response.css(row_css):
        text = _text(row.css(marker_css)) if marker_css else _text(row)
        marker = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        for href in row.css("a::attr(href)").getall():
            markers.setdefault(response.urljoin(href.strip()), marker)
    return markers


def sift(spider: Any, response: Response, requests: Iterable[scrapy.Request]) -> list[scrapy.Request]:
    """The detail requests of a list page worth making; marks the page when all its items are unchanged."""
    requests = list(requests)
    store = getattr(spider, "page_states", None)
    if store is None or not isinstance(response, TextResponse):
        return requests
    options = spider.profile.incremental
    row_css = options.row or getattr(spider, "INCREMENTAL_ROW", None)
    if not row_css:
        return requests
    marker_css = options.marker or getattr(spider, "INCREMENTAL_MARKER", None)
    markers = row_markers(response, row_css, marker_css)
    stats = spider.crawler.stats
    full = getattr(spider, "incremental_full", False)
    now = datetime.now(UTC)
    kept: list[scrapy.Request] = []
    known = unchanged = 0
    for request in requests:
        marker = markers.get(request.url)
        if marker is None:
            kept.append(request)
            continue
        request.meta[ROW_MARKER] = marker
        known += 1
        state = store.get(request.url)
        if state is not None and state.fetched_this_run:  # already fetched through another link of this run
            if state.marker == marker:
                unchanged += 1
            else:
                store.set_marker(state, marker)
            kept.append(request)  # a duplicate: the dupe filter drops it
            continue
        if full or state is None or state.marker != marker or not state.listing_ids:
            kept.append(request)
            continue
        unchanged += 1
        if options.skip_unchanged and not state.due(now):
            stats.inc_value(STAT + "pages_skipped")
            stats.inc_value(STAT + "listings_confirmed", store.confirm(state, with_children=True))
            continue
        kept.append(request)  # due by its revisit interval: fetched (conditionally) all the same
    if known and unchanged == known and options.stop_pagination and not full:
        response.meta[LIST_UNCHANGED] = True
    return kept


def next_pages(spider: Any, response: Response, requests: list[scrapy.Request]) -> list[scrapy.Request]:
    """A list page's next pages, unless it showed only unchanged items; later pages of a paginated detail
    remember its first page, so that skipping the first confirms them too."""
    if getattr(spider, "page_states", None) is None:
        return requests
    if response.meta.get(LIST_UNCHANGED):
        if requests:
            spider.crawler.stats.inc_value(STAT + "pagination_stopped")
        return []
    head = response.meta.get(HEAD) or url_key(response.url)
    for request in requests:
        request.meta.setdefault(HEAD, head)
    return requests


def due_requests(spider: Any) -> Iterator[scrapy.Request]:
    """Requests for the stored detail pages whose revisit interval has elapsed, as Nutch generates its fetch
    list from the crawl db: an edit a list cannot show is found, and a page taken down answers 404/410."""
    store = getattr(spider, "page_states", None)
    if store is None or getattr(spider, "incremental_full", False):
        return
    now = datetime.now(UTC)
    for state in list(store.states.values()):
        callback = getattr(spider, state.callback, None) if state.callback else None
        if state.listing_ids and not state.head and callback is not None and state.due(now):
            spider.crawler.stats.inc_value(STAT + "pages_due")
            yield scrapy.Request(state.url, callback=callback)


def one_page_at_a_time(spider: Any) -> bool:
    """Whether list pagination must be walked one "next" page at a time (to be able to stop early)."""
    return getattr(spider, "page_states", None) is not None and not getattr(spider, "incremental_full", False)


def partial(stats: dict[str, Any]) -> bool:
    """Whether this run left pages out (skipped, stopped, or not re-read after a 304): then not seeing a
    listing is no sign it was removed."""
    return any(stats.get(STAT + name) for name in ("pages_skipped", "pagination_stopped", "pages_not_modified"))
