"""Discourse: the server-rendered crawler view it serves to clients without JavaScript.

Detected by its generator ``<meta>`` ("Discourse 3.2.1 - ...") or the
``div.crawler-post`` post containers. Posts are ``div.topic-body.crawler-post``
with ``id="post_N"`` where N is the post's number *in the topic* (Discourse does
not show post ids), so a post's native id is ``<topic id>/<N>``, the path of its
permalink (``/t/slug/2841/3``). The author is ``span.creator`` (username link,
then the display name in brackets), the date ``time.post-time[datetime]``, the
text ``div.post`` (cooked Markdown: quotes are ``aside.quote`` with an avatar
title line, or plain ``blockquote``). No signatures, no view counts; pages are
``?page=N`` with 20 posts each.
"""

from __future__ import annotations

from typing import ClassVar

from scrapy.http import Response

from crawler.extract import Node
from plugins.forum.engines.base import ForumEngine
from plugins.forum.text import to_int


class Discourse(ForumEngine):
    """Discourse topic pages (crawler view)."""

    name: ClassVar[str] = "discourse"
    DETECT: ClassVar[tuple[str, ...]] = ("/html/head/meta[@name='generator'][starts-with(@content, 'Discourse')]",)
    DETECT_DEEP: ClassVar[tuple[str, ...]] = ("//div[contains(concat(' ', @class, ' '), ' crawler-post ')]",)
    SELECTORS: ClassVar[dict[str, str]] = {
        # navigation (crawler view of /categories, /c/slug/id and /latest)
        "forum_links": "a.badge-wrapper[href*='/c/'], div.category-list a[href*='/c/']",
        "topic_links": "a.raw-topic-link",
        "next_page": "a[rel=next]",
        # topic page
        "topic_link": "#topic-title h1 a",
        "topic_title": "#topic-title h1",
        "board": "#topic-title .topic-category span.category-name",
        "post": "div.crawler-post[id^='post_']",
        # inside one post
        "author": "span.creator a",
        "time": "time.post-time",
        "number": "span[itemprop=position]",
        "content": "div.post",
        "quote": "aside.quote, div.post > blockquote",
        "quote_skip": "aside.quote > div.title",
        "body_skip": ".lightbox-wrapper .meta, aside.onebox",
    }

    def post_key(self, post: Node, topic_id: str) -> str | None:
        number = self.post_number(post, None) or to_int(post.get("id"))
        return f"{topic_id}/{number}" if number is not None else None

    def post_url(self, post: Node, response: Response, post_id: str, page_url: str) -> str:
        return f"{self.topic_url(response)}/{post_id.rsplit('/', 1)[-1]}"

    def topic_url(self, response: Response) -> str:
        url = super().topic_url(response)
        return url.split("?")[0]
