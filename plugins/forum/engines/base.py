"""The shape every forum engine preset shares: one method per field, one loop over a topic page.

A preset subclasses :class:`ForumEngine`, sets ``name``, its ``SELECTORS``
(which a site profile may override one by one) and overrides the field
methods whose logic differs. :meth:`ForumEngine.extract_topic_page` turns a
topic page into listings the same way for every engine: one ``post`` per post,
and on the topic's first page one ``thread`` carrying the opening post's text,
author and date.

Cost matters (every topic page goes through here): selectors are compiled
once (:func:`crawler.extract.select`) and run on lxml elements, never through
parsel ``Selector`` objects.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.extract import Node, element_text, fetch_time, first, select
from crawler.profiles import SiteProfile
from plugins.forum import ids
from plugins.forum.dates import parse_machine, parse_shown
from plugins.forum.text import render_text, to_int, top_level

NO_AUTHOR: dict[str, Any] = {"name": None, "id": None, "url": None}


class ForumEngine:
    """Base of the engine presets: field methods with defaults that read ``SELECTORS``.

    Selector names every preset understands (a missing one means "not on this
    engine"): ``forum_links``, ``topic_links``, ``next_page`` (navigation);
    ``topic_link``, ``topic_title``, ``board``, ``post`` (topic page); ``author``,
    ``time``, ``content``, ``quote``, ``signature``, ``permalink``, ``number``
    (inside one post).
    """

    name: ClassVar[str] = ""
    SELECTORS: ClassVar[dict[str, str]] = {}
    # Signs of the engine (XPath, see :mod:`plugins.forum.detect`): cheap ones near the root, then page scans.
    DETECT: ClassVar[tuple[str, ...]] = ()
    DETECT_DEEP: ClassVar[tuple[str, ...]] = ()
    # Dates like "03-04-2024": whether the engine's default format puts the day first.
    DAY_FIRST: ClassVar[bool | None] = None

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self.s = {**self.SELECTORS, **(overrides or {})}

    def sel(self, node: Node, key: str) -> list[Any]:
        """What selector ``key`` matches under ``node``; nothing when the engine has no such selector."""
        css = self.s.get(key)
        return select(node, css) if css else []

    def one(self, node: Node, key: str) -> Any | None:
        css = self.s.get(key)
        return first(node, css) if css else None

    # --- page level ---------------------------------------------------------------------------------------------

    def posts(self, response: Response) -> list[Node]:
        return self.sel(response.selector.root, "post")

    def topic_url(self, response: Response) -> str:
        link = self.one(response.selector.root, "topic_link")
        href = link.get("href") if link is not None else None
        return response.urljoin(href) if href else response.url.split("#")[0]

    def topic_id(self, response: Response) -> str | None:
        return ids.topic_id_from_url(self.topic_url(response)) or ids.topic_id_from_url(response.url)

    def topic_title(self, response: Response) -> str | None:
        return element_text(self.sel(response.selector.root, "topic_title")[:1])

    def is_first_page(self, response: Response) -> bool:
        return ids.is_first_page(response.url)

    def page_offset(self, response: Response, first_page: bool) -> int | None:
        """How many posts of the topic come before this page, when the page says (``start=20``)."""
        start = ids.page_start(response.url)
        return start if start is not None else (0 if first_page else None)

    def board(self, response: Response) -> str | None:
        crumbs = self.sel(response.selector.root, "board")
        return element_text(crumbs[-1:]) if crumbs else None

    def reply_count(self, response: Response) -> int | None:
        return None

    def view_count(self, response: Response) -> int | None:
        return None

    # --- post level ---------------------------------------------------------------------------------------------

    def post_id(self, post: Node) -> str | None:
        found = to_int(post.get("id"))
        return str(found) if found is not None else None

    def post_key(self, post: Node, topic_id: str) -> str | None:
        """The post's native id; engines that only number posts within a topic qualify it with the topic."""
        return self.post_id(post)

    def post_url(self, post: Node, response: Response, post_id: str, page_url: str) -> str:
        link = self.one(post, "permalink")
        href = link.get("href") if link is not None else None
        return response.urljoin(href) if href else f"{page_url}#{post.get('id') or post_id}"

    def post_number(self, post: Node, position: int | None) -> int | None:
        """The post's number in the topic as shown ("#12"), else its position when the page's offset is known."""
        label = self.one(post, "number")
        if label is not None:
            found = to_int(label if isinstance(label, str) else element_text([label]))
            if found is not None:
                return found
        return position

    def subject(self, post: Node) -> str | None:
        return element_text(self.sel(post, "subject")[:1])

    def author(self, post: Node, response: Response) -> dict[str, Any]:
        node = self.one(post, "author")
        if node is None:
            return dict(NO_AUTHOR)
        href = node.get("href")
        url = response.urljoin(href) if href else None
        return {"name": element_text([node]), "id": ids.user_id_from_url(url), "url": url}

    def date(self, post: Node) -> tuple[str | None, str | None]:
        """``(machine-readable date or None, the date as shown)``."""
        node = self.one(post, "time")
        if node is None:
            return None, None
        return node.get("datetime"), element_text([node])

    def posted_at(
        self, machine: str | None, shown: str | None, now: Callable[[], datetime], profile: SiteProfile
    ) -> datetime | None:
        if machine:
            return parse_machine(machine)
        if shown:
            return parse_shown(shown, now(), profile.timezone, self.DAY_FIRST)
        return None

    def content(self, post: Node) -> Node | None:
        return self.one(post, "content")

    def quote_nodes(self, content: Node) -> list[Node]:
        return top_level(self.sel(content, "quote"))

    def body(self, post: Node) -> str | None:
        content = self.content(post)
        if content is None:
            return None
        return render_text(content, set(self.quote_nodes(content)) | set(self.sel(content, "body_skip")))

    def quotes(self, post: Node) -> list[str]:
        content = self.content(post)
        if content is None:
            return []
        found = []
        for quote in self.quote_nodes(content):
            skip = {q for q in self.sel(quote, "quote") if q is not quote} | set(self.sel(quote, "quote_skip"))
            text = render_text(quote, skip)
            if text:
                found.append(text)
        return found

    def signature(self, post: Node) -> str | None:
        return render_text(self.one(post, "signature"))

    # --- the page -----------------------------------------------------------------------------------------------

    def extract_topic_page(self, response: Response, profile: SiteProfile) -> list[dict[str, Any]]:
        """The posts of one topic page, plus the thread listing when it is the topic's first page."""
        if not isinstance(response.selector.root, Node):
            return []
        posts = self.posts(response)
        topic_id = self.topic_id(response)
        if not posts or topic_id is None:
            return []
        thread_id = f"{profile.name}:thread:{topic_id}"
        board = self.board(response)
        first_page = self.is_first_page(response)
        offset = self.page_offset(response, first_page)
        page_url = response.url.split("#")[0]
        clock: list[datetime] = []

        def now() -> datetime:
            if not clock:
                clock.append(fetch_time(response))
            return clock[0]

        out: list[dict[str, Any]] = []
        for index, post in enumerate(posts):
            post_id = self.post_key(post, topic_id)
            if post_id is None:
                continue
            machine, shown = self.date(post)
            position = None if offset is None else offset + index + 1
            out.append(
                {
                    "kind": "post",
                    "native_id": post_id,
                    "url": self.post_url(post, response, post_id, page_url),
                    "title": self.subject(post),
                    "body": self.body(post),
                    "author": self.author(post, response),
                    "posted_at": self.posted_at(machine, shown, now, profile),
                    "posted_at_raw": shown,
                    "parent_id": thread_id,
                    "category": board,
                    "extra": {
                        "post_number": self.post_number(post, position),
                        "quotes": self.quotes(post),
                        "signature": self.signature(post),
                    },
                }
            )
        if first_page and out:
            out.insert(0, self.thread_listing(response, out[0], topic_id))
        return out

    def thread_listing(self, response: Response, opening: dict[str, Any], topic_id: str) -> dict[str, Any]:
        """The topic itself: its title, with the opening post's text, author and date."""
        return thread_listing(
            opening,
            topic_id,
            self.topic_url(response),
            self.topic_title(response),
            self.reply_count(response),
            self.view_count(response),
        )


def thread_listing(
    opening: dict[str, Any], topic_id: str, url: str, title: str | None, replies: int | None, views: int | None
) -> dict[str, Any]:
    """A topic's own listing, made from its opening post (shared by every layer of the forum plugin)."""
    thread = {key: opening[key] for key in ("body", "posted_at", "posted_at_raw", "category")}
    thread.update(
        author=dict(opening["author"]),  # a copy: enrichment mutates listings in place
        kind="thread",
        native_id=topic_id,
        url=url,
        title=title,
        extra={"reply_count": replies, "view_count": views},
    )
    return thread
