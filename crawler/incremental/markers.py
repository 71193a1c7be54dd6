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

Some lists point *inside* pages: a review site's "latest reviews" feed links each
row to ``/biz/x?page=3#review-123``, the review on its business's third page.
Such rows (``anchored=True``) are markers of one item of the page, kept per
anchor in the page's state: a changed or new row refetches that one page (and
not the pages after it), an unchanged row costs nothing. Anchored rows never
lead to a page the crawl has not stored yet: a first or full crawl reaches every
page through the site's structure, which also keeps a page's position in its
pagination (its ``head``) right.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag

import scrapy
from scrapy.http import Response, TextResponse

from crawler.incremental.state import PageStateStore, anchor_key, url_key

ROW_MARKER = "trawler_row_marker"  # request meta: the marker of the list row that linked to this page
HEAD = "trawler_head"  # request meta: the state key of the first page of a paginated detail
LIST_UNCHANGED = "trawler_list_unchanged"  # response meta: every item of this list page is unchanged
NOT_MODIFIED = "trawler_not_modified"  # response meta: the server answered 304; this is the stored body
ANCHORED = "trawler_anchored"  # request meta: refetched for an anchored row; its pagination is not walked

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


def sift(
    spider: Any,
    response: Response,
    requests: Iterable[scrapy.Request],
    row: str | None = None,
    marker: str | None = None,
    anchored: bool = False,
) -> list[scrapy.Request]:
    """The detail requests of a list page worth making; marks the page when all its items are unchanged.

    ``row`` / ``marker``: the CSS of this list's rows and of their marker, when the spider knows them better
    than the profile's or the platform's defaults (a feed beside the business lists). ``anchored``: the rows
    link to anchors inside pages (``#review-123``), see the module docstring."""
    requests = list(requests)
    store = getattr(spider, "page_states", None)
    if store is None or not isinstance(response, TextResponse):
        return requests
    options = spider.profile.incremental
    row_css = row or options.row or getattr(spider, "INCREMENTAL_ROW", None)
    if not row_css:
        return requests
    marker_css = marker if row else options.marker or getattr(spider, "INCREMENTAL_MARKER", None)
    markers = row_markers(response, row_css, marker_css)
    if anchored:
        return _sift_anchored(spider, store, response, requests, markers)
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
            store.expect_marker(request.url, marker)
            kept.append(request)
            continue
        unchanged += 1
        if options.skip_unchanged and not state.due(now):
            stats.inc_value(STAT + "pages_skipped")
            stats.inc_value(STAT + "listings_confirmed", store.confirm(state, with_children=True))
            continue
        store.expect_marker(request.url, marker)
        kept.append(request)  # due by its revisit interval: fetched (conditionally) all the same
    if known and unchanged == known and options.stop_pagination and not full:
        response.meta[LIST_UNCHANGED] = True
    return kept


def duplicate_dropped(spider: Any, request: scrapy.Request) -> None:
    """A row's request the scheduler dropped as already seen: keep the row's marker for its page anyway.

    In one process :func:`sift` sees that the page was fetched (or will be) through another link and keeps the
    marker itself. With workers sharing a Redis queue the page may be fetched by another worker, whose memory
    holds no marker for it, so the worker that saw the row writes it to the page's stored state directly.
    """
    store = getattr(spider, "page_states", None)
    marker = request.meta.get(ROW_MARKER)
    if store is None or marker is None:
        return
    state = store.get(request.url)
    if state is None or state.marker != marker:
        store.record_marker(request.url, marker)


def _sift_anchored(
    spider: Any, store: PageStateStore, response: Response, requests: list[scrapy.Request], markers: dict[str, str]
) -> list[scrapy.Request]:
    """Rows pointing at anchors inside pages: refetch (once, alone) the stored pages whose row changed."""
    options = spider.profile.incremental
    full = getattr(spider, "incremental_full", False)
    stats = spider.crawler.stats
    kept: list[scrapy.Request] = []
    known = unchanged = 0
    for request in requests:
        marker = markers.get(request.url)
        page_url, fragment = urldefrag(request.url)
        if marker is None or not fragment:
            kept.append(request)
            continue
        known += 1
        state = store.get(page_url)
        if state is not None and state.anchors.get(anchor_key(fragment)) == marker:
            unchanged += 1
            stats.inc_value(STAT + "anchors_unchanged")
            continue
        if state is not None and state.fetched_this_run:
            store.set_anchor(state, fragment, marker)  # read in this run already: it shows the row's news
            continue
        store.expect_anchor(page_url, fragment, marker)
        if full or state is None or not state.listing_ids or not options.skip_unchanged:
            continue  # reached through the site's structure instead (module docstring)
        stats.inc_value(STAT + "anchors_changed")
        # Without the fragment: the listings read from the page keep the page's URL.
        kept.append(request.replace(url=page_url, meta={**request.meta, ANCHORED: True}))
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
    if response.meta.get(ANCHORED):
        return []  # one page refreshed for a row that points into it: the pages after it did not change
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
