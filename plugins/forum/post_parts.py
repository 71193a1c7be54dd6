"""Reading one post element of unknown markup: body, quotes, signature, subject, number, ids.

The generic layer (:mod:`plugins.forum.generic`) finds the post elements of a
page; the structured-data layer (:mod:`plugins.forum.structured`) finds them
through schema.org items. Both read each element here, by *hints*
(:mod:`plugins.forum.hints`): the post's text is the best-hinted content
element ("postbody", ``itemprop="text"``...) without its quotes, signature
and edit notes; its author and date come from :mod:`plugins.forum.authors`
and :mod:`plugins.forum.date_text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from crawler.extract import Node, clean, compiled_xpath
from plugins.forum import hints, ids
from plugins.forum.authors import NO_ONE, author_of, is_profile_link
from plugins.forum.date_text import DateFound, date_of
from plugins.forum.text import render_text, top_level

_SEPARATOR = re.compile(r"^(_{5,}|-- ?|—{3,})$")
_NUMBER_LABEL = re.compile(r"^(?:#|№|post\s*#?|beitrag\s*#?|сообщение\s*#?|повідомлення\s*#?)\s*(\d{1,7})$", re.I)
_SUBJECT_LABEL = re.compile(
    r"(?:post subject|subject|titel|betreff|тема|temat|subiect|sujet|asunto|oggetto|onderwerp)\s*:\s*(.+)$", re.I
)
_ID_ATTRIBUTES = ("data-pid", "data-post-id", "data-postid", "data-commentid", "data-content", "data-id", "id")
_ANCHORS = compiled_xpath(".//a[@name] | .//*[@id]")
_ACTION_HREF = re.compile(
    r"reply|quote|report|complain|edit|delete|posting\.php|react|share|like|vote|javascript:", re.IGNORECASE
)
_INLINE = frozenset(
    [
        "a",
        "b",
        "i",
        "u",
        "s",
        "em",
        "strong",
        "span",
        "font",
        "small",
        "big",
        "sub",
        "sup",
        "br",
        "code",
        "mark",
        "abbr",
        "img",
    ]
)


def _words(element: Node) -> str:
    return clean(" ".join(element.itertext())) or ""


# --- quotes, signature, content ----------------------------------------------------------------------------------


def quote_containers(root: Node) -> list[tuple[Node, Node]]:
    """``(what to leave out of the body, where the quoted text is)`` for each outermost quote under ``root``.

    A table cell quote (phpBB 2: a "NAME wrote:" row above ``td.quote``) leaves
    its whole table out and quotes the cell.
    """
    found: list[tuple[Node, Node]] = []
    for element in hints.descendants(root):
        if hints.is_quote(element):
            container = element
            if element.tag == "td":
                table = next((a for a in element.iterancestors() if a.tag == "table"), None)
                container = table if table is not None and table is not root else element
            found.append((container, element))
    outer = set(top_level([c for c, _ in found]))
    seen: set[Node] = set()
    result = []
    for container, text in found:
        if container in outer and container not in seen:
            seen.add(container)
            result.append((container, text))
    return result


def quote_text(element: Node) -> str | None:
    """The quoted words: without the citation line ("NAME wrote:"), its link, or quotes nested inside."""
    skip: set[Node] = set()
    for child in hints.descendants(element):
        if (
            child.tag == "cite"
            or hints.is_quote(child)
            or (hints.has(child, hints.QUOTE_HEAD) and not hints.has(child, hints.QUOTE_BODY))
            or (child.tag in ("div", "span", "b", "strong", "p") and hints.WROTE.search(_words(child)))
        ):
            skip.add(child)
    # Discourse: the quote (an <aside>) wraps a <blockquote> holding the text; that one is not a nested quote.
    inner = [e for e in element if e.tag == "blockquote"]
    if element.tag != "blockquote" and len(inner) == 1:
        skip.discard(inner[0])
    return render_text(element, skip)


def signature_element(root: Node, excluded: set[Node]) -> Node | None:
    for element in hints.descendants(root):
        if element.tag != "a" and hints.has(element, hints.SIGNATURE) and not hints.within(element, excluded):
            return element
    return None


def _content_rank(element: Node) -> int | None:
    if (element.get("itemprop") or "").lower() in hints.CONTENT_ITEMPROP:
        return 0
    words = hints.tokens(element)
    if any(hints.CONTENT_EXACT.match(w) for w in words):
        return 1
    if any(hints.CONTENT_LOOSE.search(w) for w in words):
        return 2
    return None


def content_element(root: Node, excluded: set[Node], avoid: set[Node]) -> Node | None:
    """The element holding the post's own text: best-hinted, then innermost, then wordiest.

    ``excluded`` (quotes, signature) are never candidates nor inside one; a
    candidate containing an element of ``avoid`` (the author, the date) is a
    header, not a body. Twin siblings (phpBB 2 closes its ``span.postbody``
    around each quote) stand for their parent.
    """
    avoided = {a for node in avoid for a in node.iterancestors()}
    ranked: dict[int, list[Node]] = {}
    for element in hints.descendants(root):
        if element.tag in hints.SKIP_TAGS or element.tag == "a" or element in avoided:
            continue
        rank = _content_rank(element)
        if rank is not None and not hints.within(element, excluded):
            ranked.setdefault(rank, []).append(element)
    for rank in sorted(ranked):
        candidates = ranked[rank]
        holding = {a for c in candidates for a in c.iterancestors()}
        inner = [c for c in candidates if c not in holding]
        worded = [c for c in inner if render_text(c, excluded)]
        if not worded:
            continue
        best = max(worded, key=lambda c: len(render_text(c, excluded) or ""))
        twins = [c for c in inner if c.getparent() is best.getparent() and c.get("class") == best.get("class")]
        return best.getparent() if len(twins) > 1 else best
    return _densest(root, excluded, avoided)


def _densest(root: Node, excluded: set[Node], avoided: set[Node]) -> Node | None:
    """Without hints: the block element with the most text of its own (text nodes and inline children)."""
    best, best_length = None, 0
    for element in hints.descendants(root):
        if element.tag in _INLINE or element.tag in hints.SKIP_TAGS or element in avoided:
            continue
        if hints.within(element, excluded):
            continue
        own = len((element.text or "").strip()) + sum(
            len(_words(c)) + len((c.tail or "").strip()) for c in element if c.tag in _INLINE
        )
        if own > best_length:
            best, best_length = element, own
    return best


# --- subject, number, ids ----------------------------------------------------------------------------------------


def subject_of(blocks: list[Node], excluded: set[Node], author: Node | None) -> str | None:
    """A post subject: a heading that is not the author's name or title, or a "Subject: ..." label."""
    author_chain = {author, *author.iterancestors()} if author is not None else set()
    for block in blocks:
        for element in hints.outside(block, excluded):
            if element.tag in hints.SKIP_TAGS:
                continue
            heading = element.tag in ("h2", "h3", "h4", "h5", "h6") or any(
                hints.SUBJECT.match(w) for w in hints.tokens(element)
            )
            named = heading and (element in author_chain or hints.has(element, hints.USERISH))
            if heading and not named and not any(is_profile_link(e) for e in element.iter("a")):
                text = _words(element)
                if text and len(text) <= 250:
                    return text
            for text in (element.text, *(c.tail for c in element)):
                found = _SUBJECT_LABEL.search(text or "")
                if found and len(text or "") <= 300:
                    return clean(found.group(1))
    return None


def number_of(blocks: list[Node], excluded: set[Node]) -> int | None:
    """The post's number in its topic as shown: ``#12``, ``Post #12``, or a schema.org ``position``."""
    for block in blocks:
        for element in hints.outside(block, excluded):
            if element.get("itemprop") == "position":
                value = element.get("content") or _words(element)
                if value.isdigit():
                    return int(value)
            if element.tag in ("a", "span", "strong", "b", "div", "small") and len(element) <= 1:
                found = _NUMBER_LABEL.match(_words(element))
                if found:
                    return int(found.group(1))
    return None


def post_id_of(block: Node) -> str | None:
    """The post id its element carries (``id="p123"``, ``data-pid``...), or a named anchor inside it."""
    for attribute in _ID_ATTRIBUTES:
        found = re.search(r"\d+", block.get(attribute) or "")
        if found:
            return found.group()
    for anchor in _ANCHORS(block)[:3]:
        value = anchor.get("name") or anchor.get("id") or ""
        if re.fullmatch(r"[a-z_-]{0,8}\d+", value, re.IGNORECASE):
            return re.search(r"\d+", value).group()
    return None


def permalink_of(blocks: list[Node], post_id: str, excluded: set[Node], base_url: str) -> str | None:
    """The link to the post itself: one whose URL names the post's id (not a reply, quote or report link)."""
    for block in blocks:
        for element in hints.outside(block, excluded):
            href = element.get("href") if element.tag == "a" else None
            if not href or _ACTION_HREF.search(href):
                continue
            if ids.post_id_from_url(urljoin(base_url, href)) == post_id:
                return urljoin(base_url, href)
    return None


# --- one post ----------------------------------------------------------------------------------------------------


@dataclass
class PostParts:
    """What one post element says, read by hints."""

    id: str | None
    body: str | None
    quotes: list[str] = field(default_factory=list)
    signature: str | None = None
    author: dict[str, Any] = field(default_factory=lambda: dict(NO_ONE))
    date: DateFound | None = None
    subject: str | None = None
    number: int | None = None
    permalink: str | None = None


def _split_signature(body: str) -> tuple[str | None, str | None]:
    """Text after a ``_________________`` (or ``-- ``) line is the signature, as old boards print it."""
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if index and _SEPARATOR.match(line):
            return "\n".join(lines[:index]) or None, "\n".join(lines[index + 1 :]) or None
    return body, None


def read_post(blocks: list[Node], base_url: str, content: Node | None = None) -> PostParts:
    """Everything the hints say about the post made of ``blocks`` (its element, then rows that belong to it).

    ``content``, when given (a microdata ``text`` element, a profile's
    ``content`` selector), is the post's text element.
    """
    main = blocks[0]
    quotes = [q for block in blocks for q in quote_containers(block)]
    boxes = {container for container, _ in quotes}
    signature = signature_element(main, boxes)
    excluded = boxes | ({signature} if signature is not None else set())
    author, author_node = author_of(blocks, excluded, base_url)
    date = date_of(blocks, excluded)
    if content is None:
        avoid = {n for n in (author_node, date.node if date else None) if n is not None}
        content = content_element(main, excluded, avoid)
    body = signature_text = None
    quoted: list[str] = []
    if content is not None:
        edits = {e for e in content.iter() if hints.is_element(e) and hints.has(e, hints.EDIT)}
        body = render_text(content, excluded | edits)
        inside = [q for c, q in quotes if c is content or content in set(c.iterancestors())]
        quoted = [text for q in inside if (text := quote_text(q))]
    if signature is not None:
        signature_text = render_text(signature)
    elif body:
        body, signature_text = _split_signature(body)
    header = excluded | ({content} if content is not None else set())
    post_id = post_id_of(main)
    return PostParts(
        id=post_id,
        body=body,
        quotes=quoted,
        signature=signature_text,
        author=author,
        date=date,
        subject=subject_of(blocks, header, author_node),
        number=number_of(blocks, header),
        permalink=permalink_of(blocks, post_id, excluded, base_url) if post_id else None,
    )
