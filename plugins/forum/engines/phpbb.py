"""phpBB 3.x with prosilver or a derived style: the demo preset (its output is the demo's contract).

Detected by ``<body id="phpbb">`` (every prosilver-derived style keeps it) or
the ``dl.postprofile`` author column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response

from crawler.extract import Node, clean, element_text, first, parse_datetime, select, select_xpath
from crawler.profiles import SiteProfile
from plugins.forum.dates import day_time
from plugins.forum.engines.base import ForumEngine
from plugins.forum.text import lines_text, to_int

_USER_ID = re.compile(r"[?&;]u=(\d+)")
_TOPIC_ID = re.compile(r"[?&;]t=(\d+)")


class PhpBB(ForumEngine):
    """phpBB 3.x with prosilver or a derived style (the most common forum software)."""

    name: ClassVar[str] = "phpbb"
    DETECT: ClassVar[tuple[str, ...]] = ("/html/body[@id='phpbb']",)
    DETECT_DEEP: ClassVar[tuple[str, ...]] = ("//dl[contains(concat(' ', @class, ' '), ' postprofile ')]",)
    SELECTORS: ClassVar[dict[str, str]] = {
        # navigation
        "forum_links": "a.forumtitle, a.subforum",
        "topic_links": "a.topictitle",
        "next_page": "div.pagination li.next a",  # 3.1+: li.next (3.3: li.arrow.next) > a[rel=next]
        # topic page
        "topic_link": "h2.topic-title a",
        "board": "#nav-breadcrumbs .crumb[data-forum-id] span[itemprop=name]",
        "post_count": "div.pagination",
        "views": ".topic-stats .topic-views",
        "post": "div.post",
        # inside one post
        "subject": "h3 a",
        "author": "dl.postprofile dt .username, dl.postprofile dt .username-coloured",
        "author_line": "p.author",  # "by NAME » DATE"
        "time": "p.author time",
        "content": "div.content",
        "signature": "div.signature",
    }
    # XPath relative to div.content: the post's own words, without quotes.
    BODY_XPATH: ClassVar[str] = ".//text()[not(ancestor::blockquote)] | .//br[not(ancestor::blockquote)]"
    QUOTE_XPATH: ClassVar[str] = "./blockquote"
    # Relative to one top-level blockquote: its text without the citation line or nested quotes.
    QUOTE_TEXT_XPATH: ClassVar[str] = (
        "./div//text()[not(ancestor::cite)][count(ancestor::blockquote) = 1]"
        " | ./div//br[not(ancestor::cite)][count(ancestor::blockquote) = 1]"
    )
    DATE_TEXT_XPATH: ClassVar[str] = "./text()"

    # --- page level (``response.selector.root`` is the page's lxml root) -------------------------------------

    def topic_id(self, response: Response) -> str | None:
        link = first(response.selector.root, self.s["topic_link"])
        href = (link.get("href") if link is not None else None) or response.url
        found = _TOPIC_ID.search(href)
        return found.group(1) if found else None

    def topic_title(self, response: Response) -> str | None:
        return element_text(select(response.selector.root, self.s["topic_link"])[:1])

    def start(self, response: Response) -> int:
        """Offset of the page's first post in the topic (phpBB's ``start`` parameter)."""
        value = parse_qs(urlsplit(response.url).query).get("start", ["0"])[0]
        return int(value) if value.isdigit() else 0

    def is_first_page(self, response: Response) -> bool:
        return self.start(response) == 0

    def page_offset(self, response: Response, first_page: bool) -> int | None:
        return self.start(response)

    def reply_count(self, response: Response) -> int | None:
        posts = to_int(element_text(select(response.selector.root, self.s["post_count"])[:1]))
        return None if posts is None else max(posts - 1, 0)

    def view_count(self, response: Response) -> int | None:
        return to_int(element_text(select(response.selector.root, self.s["views"])[:1]))

    # --- post level (``post`` is one post's lxml element) ---------------------------------------------------------

    def post_id(self, post: Node) -> str | None:
        value = (post.get("id") or "").removeprefix("p")
        return value if value.isdigit() else None

    def post_url(self, post: Node, response: Response, post_id: str, page_url: str) -> str:
        return f"{page_url}#p{post_id}"

    def author(self, post: Node, response: Response) -> dict[str, Any]:
        node = first(post, self.s["author"])
        if node is None:
            return {"name": None, "id": None, "url": None}
        href = node.get("href")
        found = _USER_ID.search(href) if href else None
        return {
            "name": element_text([node]),
            "id": found.group(1) if found else None,
            "url": response.urljoin(href) if href else None,
        }

    def date(self, post: Node) -> tuple[str | None, str | None]:
        """``(machine-readable date or None, the date as shown)``."""
        node = first(post, self.s["time"])
        if node is not None:
            return node.get("datetime"), element_text([node])
        lines = select(post, self.s["author_line"])[:1]
        shown = clean(" ".join(text for line in lines for text in select_xpath(line, self.DATE_TEXT_XPATH)))
        return None, (shown.strip("» ") or None) if shown else None

    def posted_at(
        self, machine: str | None, shown: str | None, now: Callable[[], datetime], profile: SiteProfile
    ) -> datetime | None:
        if machine:
            return parse_datetime(machine)
        if shown:
            return day_time(shown, now(), profile.timezone) or parse_datetime(
                shown, now=now(), timezone=profile.timezone
            )
        return None

    def body(self, post: Node) -> str | None:
        content = first(post, self.s["content"])
        return lines_text(select_xpath(content, self.BODY_XPATH)) if content is not None else None

    def quotes(self, post: Node) -> list[str]:
        content = first(post, self.s["content"])
        if content is None:
            return []
        found = []
        for quote in select_xpath(content, self.QUOTE_XPATH):
            text = lines_text(select_xpath(quote, self.QUOTE_TEXT_XPATH))
            if text:
                found.append(text)
        return found

    def signature(self, post: Node) -> str | None:
        signature = first(post, self.s["signature"])
        return lines_text(select_xpath(signature, ".//text() | .//br")) if signature is not None else None
