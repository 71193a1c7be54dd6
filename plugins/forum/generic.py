"""Layer 4: forum software the plugin has never seen, read by generic heuristics.

A post is a block with an author, a date and some text. The layer finds the
dates on the page (``<time>``, ``datePublished``, dated ``title`` attributes,
dates written in short texts, registration dates excepted) and, from each, the
smallest element that also holds an author (a profile link, an element hinted
"author"/"username"/"nick"...) and a few words of text. Elements holding two
or more such posts are containers, not posts. Each post then grows to the
largest element that holds no other post, and the largest set of siblings
among those is the post list; a sidebar of "similar threads", each with its
author and date, loses to it by number or by text. Posts laid out over several
table rows (phpBB 2, vBulletin 3) take the rows up to the next post along.
Each post is then read by :mod:`plugins.forum.post_parts`.

A profile's ``selectors:`` can name ``post`` (the post elements),
``content`` (inside a post) and ``topic_title`` when the heuristics miss.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.extract import Node, clean, compiled_xpath, fetch_time, first, select
from crawler.profiles import SiteProfile
from plugins.forum import hints, ids, page_info
from plugins.forum.authors import is_avatar, is_profile_link
from plugins.forum.date_text import DateFound, find_date, text_dates
from plugins.forum.dates import from_timestamp, numeric_date, parse_shown
from plugins.forum.engines.base import ForumEngine, thread_listing
from plugins.forum.post_parts import PostParts, read_post

_SKIP = frozenset({"script", "style", "noscript", "template", "head", "select", "option", "textarea", "svg"})
_MIN_TEXT = 20
_LANDMARKS = compiled_xpath(".//h1 | .//nav | .//header | .//footer | .//form | .//*[@role='navigation']")
_NUMBERED = re.compile(r"\d")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
_NUMERIC = re.compile(r"\b(\d{1,2})[./-](\d{1,2})[./-]\d{2,4}")


def _walk(root: Node) -> Iterator[Node]:
    """Elements under ``root`` in document order, without scripts, quotes and signatures (nor their insides)."""
    for child in root:
        if not isinstance(child.tag, str) or child.tag in _SKIP:
            continue
        if hints.is_quote(child) or (child.tag != "a" and hints.has(child, hints.SIGNATURE)):
            continue
        yield child
        yield from _walk(child)


class _Page:
    """One pass over a page: where the dates and the authors are, and how much text each element holds."""

    def __init__(self, body: Node) -> None:
        self.dates: list[Node] = []
        self.authors: list[Node] = []
        self._text: dict[Node, int] = {}
        for element in _walk(body):
            if self._is_author(element):
                self.authors.append(element)
            if self._has_date(element):
                self.dates.append(element)
        self.author_ancestors: set[Node] = set()
        for author in self.authors:
            self.author_ancestors.add(author)
            self.author_ancestors.update(author.iterancestors())

    @staticmethod
    def _is_author(element: Node) -> bool:
        if is_profile_link(element):
            return not is_avatar(element) and bool(clean(" ".join(element.itertext())))
        if element.get("itemprop") == "author":
            return True
        if element.tag in ("a", "img", "time") or not hints.has_class(element, hints.AUTHOR):
            return False
        if hints.has(element, hints.NOT_AUTHOR):
            return False
        text = clean(" ".join(element.itertext()))
        return bool(text) and len(text) <= 60

    @staticmethod
    def _has_date(element: Node) -> bool:
        if element.tag == "time" or element.get("itemprop") in ("datePublished", "dateCreated"):
            return True
        title = element.get("title")
        if title and find_date(title):
            return True
        return bool(text_dates(element))

    def text_length(self, element: Node) -> int:
        """Characters of text outside links (a post has words of its own; a list of links has not)."""
        if element not in self._text:
            self._count(element, any(a.tag == "a" for a in element.iterancestors()))
        return self._text[element]

    def _count(self, element: Node, in_link: bool) -> int:
        """Fill :attr:`_text` for ``element`` and everything under it, in one walk."""
        in_link = in_link or element.tag == "a"
        total = len(element.text.strip()) if element.text and not in_link else 0
        for child in element:
            if isinstance(child.tag, str) and child.tag not in _SKIP:
                total += self._count(child, in_link)
            if child.tail and not in_link:
                total += len(child.tail.strip())
        self._text[element] = total
        return total


def find_post_blocks(root: Node) -> list[list[Node]]:
    """The posts of a topic page, each as ``[its element, rows that belong to it...]``, in page order."""
    body = first(root, "body")
    body = body if body is not None else root
    page = _Page(body)
    minimal: list[Node] = []
    for anchor in page.dates:
        node: Node | None = anchor
        while node is not None and node is not body:
            if node in page.author_ancestors and page.text_length(node) >= _MIN_TEXT:
                minimal.append(node)
                break
            node = node.getparent()
    minimal = list(dict.fromkeys(minimal))
    inner_count: Counter[Node] = Counter()
    for node in minimal:
        for ancestor in node.iterancestors():
            inner_count[ancestor] += 1
    posts = [n for n in minimal if inner_count[n] < 2]
    kept = set(posts)
    posts = [n for n in posts if not any(a in kept for a in n.iterancestors())]
    if not posts:
        return []
    holding: Counter[Node] = Counter()
    for node in posts:
        for ancestor in node.iterancestors():
            holding[ancestor] += 1
    landmarks = [[*lm.iterancestors()] for lm in _LANDMARKS(body)] if len(posts) == 1 else []
    roots = []
    for node in posts:
        current = node
        parent = current.getparent()
        # With one post on the page, every ancestor holds only it: stop where the page around it starts
        # (a heading, a navigation bar, a form, a header or footer that is not part of the post).
        while (
            parent is not None
            and parent is not body
            and holding[parent] == 1
            and not any(parent in chain and current not in chain for chain in landmarks)
        ):
            current, parent = parent, parent.getparent()
        if landmarks:  # the only post: its own element is the outermost one carrying an id with a number
            numbered = [e for e in (node, *node.iterancestors()) if _NUMBERED.search(e.get("id") or "")]
            current = next((e for e in reversed(numbered) if current is e or current in e.iterancestors()), current)
        roots.append(current)
    groups: dict[tuple[Node | None, str, str], list[Node]] = {}
    for element in roots:
        kind = (element.get("class") or "").split()[:1]
        groups.setdefault((element.getparent(), element.tag, kind[0] if kind else ""), []).append(element)
    best = max(groups.values(), key=lambda g: (len(g), sum(page.text_length(e) for e in g)))
    return [[element, *_trailing_rows(element, set(best))] for element in best]


def _trailing_rows(element: Node, blocks: set[Node]) -> list[Node]:
    """Table rows after a post's row that still belong to it (its buttons, its profile link)."""
    if element.tag != "tr":
        return []
    rows = []
    sibling = element.getnext()
    while sibling is not None and sibling not in blocks and len(rows) < 3:
        if sibling.tag == "tr":
            rows.append(sibling)
        sibling = sibling.getnext()
    return rows


def _day_first(parts: list[PostParts]) -> bool | None:
    """Whether numeric dates on this page put the day first, judged from any part above 12."""
    for part in parts:
        for text in (part.date.machine, part.date.shown) if part.date else ():
            found = _NUMERIC.search(text or "")
            if found and "." not in found.group():
                first_part, second_part = int(found.group(1)), int(found.group(2))
                if first_part > 12:
                    return True
                if second_part > 12:
                    return False
    return None


def resolve_date(found: DateFound | None, now: datetime, timezone: str, day_first: bool | None) -> datetime | None:
    """The moment a :class:`DateFound` means, in UTC."""
    if found is None:
        return None
    machine = (found.machine or "").strip()
    if machine.isdigit():
        return from_timestamp(machine)
    if _ISO.match(machine):
        return parse_shown(machine, now, timezone)
    if machine:
        return numeric_date(machine, timezone, day_first) or parse_shown(machine, now, timezone, day_first)
    return parse_shown(found.shown, now, timezone, day_first)


class GenericForum(ForumEngine):
    """Any forum: posts found by shape, fields read by hints."""

    name: ClassVar[str] = "generic"
    SELECTORS: ClassVar[dict[str, str]] = {
        # navigation of boards no preset knows
        "forum_links": (
            "a[href*='viewforum'], a[href*='forumdisplay'], a[href*='/forums/'], a[href*='/forum/'], "
            "a[href*='/board'], a[href*='/c/'], a[href*='/category/'], a[href*='section.php']"
        ),
        "topic_links": (
            "a[href*='viewtopic'], a[href*='showthread'], a[href*='/threads/'], a[href*='/thread/'], "
            "a[href*='/topic'], a[href*='/t/'], a[href*='showtopic'], a[href*='topic.php']"
        ),
        "next_page": "",  # the core's fallback finds rel=next, "next" labels and numbered pages
    }

    def blocks(self, response: Response) -> list[list[Node]]:
        root = response.selector.root
        if self.s.get("post"):
            return [[element] for element in select(root, self.s["post"])]
        return find_post_blocks(root)

    def topic_title(self, response: Response) -> str | None:
        root = response.selector.root
        if self.s.get("topic_title"):
            return clean(" ".join(t for e in select(root, self.s["topic_title"])[:1] for t in e.itertext()))
        return page_info.topic_title(root)

    def extract_topic_page(self, response: Response, profile: SiteProfile) -> list[dict[str, Any]]:
        root = response.selector.root
        if not isinstance(root, Node):
            return []
        blocks = self.blocks(response)
        if not blocks:
            return []
        title = self.topic_title(response)
        topic_url = page_info.topic_url(root, response.url, title)
        topic_id = ids.topic_id_from_url(topic_url) or ids.topic_id_from_url(response.url)
        if topic_id is None:
            return []
        content_css = self.s.get("content")
        parts = [read_post(rows, response.url, first(rows[0], content_css) if content_css else None) for rows in blocks]
        day_first = _day_first(parts)
        first_page = ids.is_first_page(response.url) and parts[0].number in (None, 1)
        start = ids.page_start(response.url)
        offset = start if start is not None else (0 if first_page else None)
        thread_id = f"{profile.name}:thread:{topic_id}"
        board = page_info.board_name(root, title)
        page_url = response.url.split("#")[0]
        now = fetch_time(response)
        out: list[dict[str, Any]] = []
        for index, (rows, part) in enumerate(zip(blocks, parts, strict=True)):
            if part.id is None or not (part.body or part.subject):
                continue
            number = part.number if part.number is not None else (None if offset is None else offset + index + 1)
            native = f"{topic_id}/{part.id}" if part.number is not None and part.id == str(part.number) else part.id
            anchor = rows[0].get("id") or part.id
            out.append(
                {
                    "kind": "post",
                    "native_id": native,
                    "url": part.permalink or f"{page_url}#{anchor}",
                    "title": part.subject,
                    "body": part.body,
                    "author": part.author,
                    "posted_at": resolve_date(part.date, now, profile.timezone, day_first),
                    "posted_at_raw": (part.date.shown or part.date.machine) if part.date else None,
                    "parent_id": thread_id,
                    "category": board,
                    "extra": {"post_number": number, "quotes": part.quotes, "signature": part.signature},
                }
            )
        if first_page and out:
            replies, views = page_info.topic_counts(root, blocks[0][0])
            out.insert(0, thread_listing(out[0], topic_id, topic_url, title, replies, views))
        return out
