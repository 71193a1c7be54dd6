"""XenForo 2 (``thread_view``, default style and its children).

Detected by ``<html id="XF">`` (XenForo 2 sets it on every page) or, on
heavily customised styles, by ``article.message`` post containers carrying
``data-author``. Posts: ``article.message--post``; the author in
``h4.message-name``; the date in ``time.u-dt`` whose ``data-time`` is a Unix
timestamp (the visible text is relative: "Yesterday at 9:12 PM"); the text in
``.message-userContent .bbWrapper``; quotes are ``blockquote.bbCodeBlock--quote``
with a "NAME said:" title and a "Click to expand..." link that are not quoted
text; signatures ``aside.message-signature``; pages ``/page-N``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from scrapy.http import Response

from crawler.extract import Node, element_text
from plugins.forum import ids
from plugins.forum.engines.base import NO_AUTHOR, ForumEngine
from plugins.forum.schema_items import json_ld_items, topic_counts
from plugins.forum.text import render_text


class XenForo(ForumEngine):
    """XenForo 2.x thread pages."""

    name: ClassVar[str] = "xenforo"
    DETECT: ClassVar[tuple[str, ...]] = ("/html[@id='XF']",)
    DETECT_DEEP: ClassVar[tuple[str, ...]] = ("//article[contains(@class, 'message--post')][@data-author]",)
    SELECTORS: ClassVar[dict[str, str]] = {
        # navigation
        "forum_links": "h3.node-title a, ol.node-subNodeFlatList a.subNodeLink",
        "topic_links": ".structItem-title a[data-tp-primary]",
        "next_page": "a.pageNav-jump--next",
        # topic page
        "topic_link": "link[rel=canonical]",
        "topic_title": "h1.p-title-value",
        "title_skip": "span.label, span.label-append",
        "board": "ul.p-breadcrumbs:not(.p-breadcrumbs--bottom) span[itemprop=name]",
        "post": "article.message--post",
        # inside one post
        "author": "h4.message-name .username",
        "time": "header.message-attribution .message-attribution-main time.u-dt",
        "permalink": "header.message-attribution .message-attribution-main a",
        "number": "ul.message-attribution-opposite li:last-child a",
        "content": ".message-userContent .bbWrapper",
        "quote": "blockquote.bbCodeBlock--quote",
        "quote_skip": ".bbCodeBlock-title, .bbCodeBlock-expandLink",
        "body_skip": ".bbCodeBlock--unfurl, .js-unfurl-favicon",
        "signature": "aside.message-signature",
    }

    def topic_title(self, response: Response) -> str | None:
        # The thread prefix ("Urgent") is a label inside the <h1>, not part of the title.
        heading = self.one(response.selector.root, "topic_title")
        if heading is None:
            return None
        return render_text(heading, set(self.sel(heading, "title_skip")))

    def reply_count(self, response: Response) -> int | None:
        """From the thread's structured data (XenForo states the reply count there, not on the page)."""
        for item in json_ld_items(response):
            if "DiscussionForumPosting" in item.types:
                return topic_counts(item)[0]
        return None

    def post_id(self, post: Node) -> str | None:
        value = (post.get("data-content") or post.get("id") or "").rsplit("-", 1)[-1]
        return value if value.isdigit() else None

    def author(self, post: Node, response: Response) -> dict[str, Any]:
        node = self.one(post, "author")
        if node is None:
            name = post.get("data-author")
            return {**NO_AUTHOR, "name": name} if name else dict(NO_AUTHOR)
        href = node.get("href")
        url = response.urljoin(href) if href else None
        user_id = node.get("data-user-id")
        return {
            "name": element_text([node]),
            "id": user_id if user_id and user_id != "0" else ids.user_id_from_url(url),
            "url": url,
        }

    def date(self, post: Node) -> tuple[str | None, str | None]:
        node = self.one(post, "time")
        if node is None:
            return None, None
        # XenForo 2.2 puts the Unix time in data-time, 2.3 in data-timestamp (and data-time is the clock time).
        stamp = node.get("data-timestamp") or node.get("data-time")
        machine = stamp if stamp and stamp.isdigit() else node.get("datetime")
        return machine, element_text([node])
