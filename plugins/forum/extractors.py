"""Forum extraction, one small class per forum engine ("engine preset").

An engine class knows where an engine's markup puts things: the navigation
links the spider follows (``forum_links``, ``topic_links``, ``next_page``) and
one method per listing field on a topic page. The selectors live in a
``SELECTORS`` dict so a site profile can override one of them
(``selectors: {post: "div.message"}``) without code, and a new engine is a
subclass that overrides what differs, registered in :data:`ENGINES`.

Cost matters (every topic page goes through here): CSS and XPath compiled
once and run straight on lxml elements (:func:`crawler.extract.select`), no
parsel ``Selector`` per match; regexes compiled once, and dateparser only for
posts without a ``<time datetime>``. Page-level methods take the response,
post-level methods one post's lxml element.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from parsel import Selector
from scrapy.http import Response, TextResponse

from crawler.extract import Node, clean, element_text, fetch_time, first, parse_datetime, select, select_xpath
from crawler.profiles import SiteProfile

_DIGITS = re.compile(r"\d[\d,.]*")
_USER_ID = re.compile(r"[?&;]u=(\d+)")
_TOPIC_ID = re.compile(r"[?&;]t=(\d+)")
_SPACE = re.compile(r"[ \t\r\f\v]+")
# phpBB's own relative dates: "Today, 14:05", "Yesterday, 2:05 pm", "gestern, 14:05" (language packs).
_DAY_WORDS = {"today": 0, "yesterday": 1, "heute": 0, "gestern": 1, "azi": 0, "astăzi": 0, "ieri": 1,
              "aujourd'hui": 0, "hier": 1, "hoy": 0, "ayer": 1, "dzisiaj": 0, "wczoraj": 1}  # fmt: skip
_DAY_TIME = re.compile(r"^([^\W\d]+(?:'[^\W\d]+)?),?\s+(\d{1,2}):(\d{2})(?:\s*([ap])\.?m\.?)?$", re.IGNORECASE)


def _int(text: str | None) -> int | None:
    """First integer in ``text``, thousands separators ignored: ``"Views: 1,234"`` -> 1234."""
    found = _DIGITS.search(text or "")
    if not found:
        return None
    digits = "".join(c for c in found.group() if c.isdigit())
    return int(digits) if digits else None


def lines_text(nodes: Iterable[str | Node | Selector]) -> str | None:
    """Text of ``nodes`` (text nodes and ``<br>`` elements, in document order) with ``<br>`` as line breaks.

    Like :func:`crawler.extract.block_text`, but over a node set chosen by the
    caller, so quotes and citations can be left out with one XPath predicate.
    ``nodes`` are what an XPath returns: lxml strings and elements, or parsel
    selectors around them.
    """
    parts = []
    for node in nodes:
        if isinstance(node, Selector):
            node = node.root
        parts.append(node if isinstance(node, str) else "\n")
    lines = (_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line) or None


def day_time(text: str, now: datetime, timezone: str) -> datetime | None:
    """``"gestern, 14:05"`` as an aware UTC datetime, or ``None`` if ``text`` is not of that form.

    Computed on the board's calendar so the UTC offset is that of the date
    meant, not of ``now`` (which is what dateparser's relative mode uses and
    gets wrong by an hour around the DST switches). No dateparser call either.
    """
    found = _DAY_TIME.match(text)
    if not found or found.group(1).lower() not in _DAY_WORDS:
        return None
    hour, minute, meridiem = int(found.group(2)), int(found.group(3)), (found.group(4) or "").lower()
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date() - timedelta(days=_DAY_WORDS[found.group(1).lower()])
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


class PhpBB:
    """phpBB 3.x with prosilver or a derived style (the most common forum software)."""

    name: ClassVar[str] = "phpbb"
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

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self.s = {**self.SELECTORS, **(overrides or {})}

    # --- page level (``response.selector.root`` is the page's lxml root) -------------------------------------

    def topic_id(self, response: Response) -> str | None:
        link = first(response.selector.root, self.s["topic_link"])
        href = (link.get("href") if link is not None else None) or response.url
        found = _TOPIC_ID.search(href)
        return found.group(1) if found else None

    def topic_url(self, response: Response) -> str:
        link = first(response.selector.root, self.s["topic_link"])
        href = link.get("href") if link is not None else None
        return response.urljoin(href) if href else response.url.split("#")[0]

    def topic_title(self, response: Response) -> str | None:
        return element_text(select(response.selector.root, self.s["topic_link"])[:1])

    def start(self, response: Response) -> int:
        """Offset of the page's first post in the topic (phpBB's ``start`` parameter)."""
        value = parse_qs(urlsplit(response.url).query).get("start", ["0"])[0]
        return int(value) if value.isdigit() else 0

    def board(self, response: Response) -> str | None:
        crumbs = select(response.selector.root, self.s["board"])
        return element_text(crumbs[-1:]) if crumbs else None

    def reply_count(self, response: Response) -> int | None:
        posts = _int(element_text(select(response.selector.root, self.s["post_count"])[:1]))
        return None if posts is None else max(posts - 1, 0)

    def view_count(self, response: Response) -> int | None:
        return _int(element_text(select(response.selector.root, self.s["views"])[:1]))

    # --- post level (``post`` is one post's lxml element) ---------------------------------------------------------

    def post_id(self, post: Node) -> str | None:
        value = (post.get("id") or "").removeprefix("p")
        return value if value.isdigit() else None

    def subject(self, post: Node) -> str | None:
        return element_text(select(post, self.s["subject"])[:1])

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

    # --- the page -----------------------------------------------------------------------------------------------

    def extract_topic_page(self, response: Response, profile: SiteProfile) -> list[dict[str, Any]]:
        """The posts of one topic page, plus the thread listing when it is the topic's first page."""
        root = response.selector.root
        if not isinstance(root, Node):
            return []
        posts = select(root, self.s["post"])
        topic_id = self.topic_id(response)
        if not posts or topic_id is None:
            return []
        site = profile.name
        thread_id = f"{site}:thread:{topic_id}"
        board = self.board(response)
        start = self.start(response)
        page_url = response.url.split("#")[0]
        now: datetime | None = None
        out: list[dict[str, Any]] = []
        for position, post in enumerate(posts, start=start + 1):
            post_id = self.post_id(post)
            if post_id is None:
                continue
            machine, shown = self.date(post)
            if machine:
                posted_at = parse_datetime(machine)
            elif shown:
                now = now or fetch_time(response)
                posted_at = day_time(shown, now, profile.timezone) or parse_datetime(
                    shown, now=now, timezone=profile.timezone
                )
            else:
                posted_at = None
            out.append(
                {
                    "kind": "post",
                    "native_id": post_id,
                    "url": f"{page_url}#p{post_id}",
                    "title": self.subject(post),
                    "body": self.body(post),
                    "author": self.author(post, response),
                    "posted_at": posted_at,
                    "posted_at_raw": shown,
                    "parent_id": thread_id,
                    "category": board,
                    "extra": {"post_number": position, "quotes": self.quotes(post), "signature": self.signature(post)},
                }
            )
        if start == 0 and out:
            opening = out[0]
            thread = {key: opening[key] for key in ("body", "posted_at", "posted_at_raw", "category")}
            thread.update(
                author=dict(opening["author"]),  # a copy: enrichment mutates listings in place
                kind="thread",
                native_id=topic_id,
                url=self.topic_url(response),
                title=self.topic_title(response),
                extra={"reply_count": self.reply_count(response), "view_count": self.view_count(response)},
            )
            out.insert(0, thread)
        return out


ENGINES: dict[str, type[PhpBB]] = {PhpBB.name: PhpBB}
DEFAULT_ENGINE = PhpBB.name


@lru_cache(maxsize=256)
def _engine(name: str, overrides: tuple[tuple[str, str], ...]) -> PhpBB:
    return ENGINES[name](dict(overrides))


def engine_for(profile: SiteProfile) -> PhpBB | None:
    """The engine preset the profile names (phpBB if none) with its selector overrides; ``None`` if unknown."""
    name = (profile.engine or DEFAULT_ENGINE).lower()
    if name not in ENGINES:
        return None
    return _engine(name, tuple(sorted(profile.selectors.items())))


def extract_listings(response: Response, profile: SiteProfile, page_type: str) -> list[dict[str, Any]] | None:
    """Listings on one forum page; ``None`` when no known engine is configured (another plugin may know it)."""
    engine = engine_for(profile)
    if engine is None:
        return None
    if page_type != "thread" or not isinstance(response, TextResponse):
        return []
    return engine.extract_topic_page(response, profile)
