"""MyBB 1.8 (``showthread.php``, default theme and its children, linear mode).

Detected by the ``jscripts/general.js`` script every MyBB page loads in its
``<head>`` (themes do not move it), or the ``#posts > div.post`` container.
Posts: ``div.post`` with ``id="post_N"``; the author in
``.post_author .largetext`` (a link for members, plain text for guests); the
date in ``span.post_date``, in the board's format (default ``m-d-Y, h:i A``)
and relative for recent posts ("Yesterday, 09:15 PM", "2 hours ago") with the
absolute date in a ``title``; the text ``div.post_body``; quotes
``blockquote.mycode_quote`` with a ``<cite>`` line; signatures ``div.signature``;
pages ``&page=N``. The post subject only shows as a tooltip, so posts have no
title.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from scrapy.http import Response

from crawler.extract import Node, clean
from crawler.profiles import SiteProfile
from plugins.forum import ids
from plugins.forum.dates import numeric_date, parse_shown
from plugins.forum.engines.base import ForumEngine
from plugins.forum.text import render_text


class MyBB(ForumEngine):
    """MyBB 1.8 thread pages."""

    name: ClassVar[str] = "mybb"
    DAY_FIRST: ClassVar[bool | None] = False  # MyBB's default date format is m-d-Y
    DETECT: ClassVar[tuple[str, ...]] = ("/html/head/script[contains(@src, '/jscripts/general.js')]",)
    DETECT_DEEP: ClassVar[tuple[str, ...]] = ("//div[@id='posts']/div[starts-with(@id, 'post_')]",)
    SELECTORS: ClassVar[dict[str, str]] = {
        # navigation
        "forum_links": "a[href*='forumdisplay.php']",
        "topic_links": "span[id^='tid_'] > a",
        "next_page": "a.pagination_next",
        # topic page
        "topic_title": "td.thead div:not(.float_right) > strong",
        "board": "div.navigation > a",
        "post": "#posts > div.post",
        # inside one post
        "author": ".post_author .largetext",
        "author_link": "a",
        "time": "span.post_date",
        "time_skip": "span.post_edit",
        "relative_time": "span[title]",
        "permalink": ".post_head .float_right a",
        "number": ".post_head .float_right a",
        "content": "div.post_body",
        "quote": "blockquote.mycode_quote",
        "quote_skip": "cite",
        "signature": "div.signature",
    }

    def topic_url(self, response: Response) -> str:
        topic = ids.topic_id_from_url(response.url)
        return response.urljoin(f"showthread.php?tid={topic}") if topic else response.url.split("#")[0]

    def author(self, post: Node, response: Response) -> dict[str, str | None]:
        node = self.one(post, "author")
        if node is None:
            return {"name": None, "id": None, "url": None}
        link = self.one(node, "author_link")
        href = link.get("href") if link is not None else None
        url = response.urljoin(href) if href else None
        return {"name": render_text(node), "id": ids.user_id_from_url(url), "url": url}

    def date(self, post: Node) -> tuple[str | None, str | None]:
        """``(the absolute date, the date as shown)``; both in the board's text format."""
        node = self.one(post, "time")
        if node is None:
            return None, None
        shown = render_text(node, set(self.sel(node, "time_skip")))
        relative = self.one(node, "relative_time")
        if relative is None:
            return None, shown
        absolute = relative.get("title") or ""
        if ":" not in absolute:  # "Yesterday, 09:15 PM": the title has the date, the clock time follows the span
            absolute = f"{absolute}, {clean(relative.tail) or ''}".strip(", ")
        return absolute, shown

    def posted_at(
        self, machine: str | None, shown: str | None, now: Callable[[], datetime], profile: SiteProfile
    ) -> datetime | None:
        if machine:
            found = numeric_date(machine, profile.timezone, self.DAY_FIRST)
            if found is not None:
                return found
        return parse_shown(machine or shown, now(), profile.timezone, self.DAY_FIRST)
