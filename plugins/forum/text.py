"""Text of forum posts as a reader sees it: line breaks kept, quotes and signatures set apart.

Every layer (engine presets, structured data, generic heuristics) turns a post
element into text through these functions, so the same post gives the same
body whichever layer read it; that is what lets the layers be scored against
one hand-written truth. phpBB keeps its own :func:`lines_text` (the demo
preset's output must not move by a byte).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from parsel import Selector

from crawler.extract import Node

_SPACE = re.compile(r"[ \t\r\f\v]+")
_ANY_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d[\d,.\u00a0\u202f']*")

# Elements that start a new line when a browser lays the page out.
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "tr",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "hr",
        "details",
        "summary",
        "center",
        "form",
        "fieldset",
        "address",
        "nav",
        "main",
    ]
)
# Elements whose text no reader sees as post text.
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "button",
        "select",
        "textarea",
        "head",
        "title",
        "iframe",
        "svg",
        "object",
    ]
)


def to_int(text: str | None) -> int | None:
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
    selectors around them. The phpBB preset's text function (source newlines
    count as breaks too).
    """
    parts = []
    for node in nodes:
        if isinstance(node, Selector):
            node = node.root
        parts.append(node if isinstance(node, str) else "\n")
    lines = (_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line) or None


def clean_lines(text: str | None) -> str | None:
    """Plain text (from JSON-LD, say) with white space collapsed per line and empty lines dropped."""
    if not text:
        return None
    lines = (_ANY_SPACE.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line) or None


def render_text(element: Node | None, skip: Collection[Node] = ()) -> str | None:
    """The text of ``element`` as a browser lays it out, without the subtrees in ``skip``.

    ``<br>`` and block elements break lines; newlines in the HTML source are
    plain spaces (as a browser shows them); scripts, styles and form controls
    add nothing. Lines are white-space collapsed, empty ones dropped.
    """
    if element is None:
        return None
    parts: list[str] = []
    _walk(element, parts, skip, top=True)
    lines = (_ANY_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line) or None


def _walk(element: Node, parts: list[str], skip: Collection[Node], top: bool = False) -> None:
    tag = element.tag
    if not isinstance(tag, str):  # a comment or processing instruction: only its tail is text
        return
    if not top and (element in skip or tag in SKIP_TAGS):
        return
    block = tag in BLOCK_TAGS
    if tag == "br" or block:
        parts.append("\n")
    if element.text:
        parts.append(element.text.replace("\n", " "))
    for child in element:
        _walk(child, parts, skip)
        if child.tail:
            parts.append(child.tail.replace("\n", " "))
    if block:
        parts.append("\n")


def top_level(elements: Iterable[Node]) -> list[Node]:
    """``elements`` without those nested inside another of them (the outermost quotes of a post)."""
    chosen = list(dict.fromkeys(elements))
    inside = set(chosen)
    return [e for e in chosen if not any(a in inside for a in e.iterancestors())]


def quote_texts(quotes: Iterable[Node], skip: Collection[Node] = ()) -> list[str]:
    """The text of each quote, leaving out what ``skip`` names (citation lines, nested quotes)."""
    found = []
    for quote in quotes:
        text = render_text(quote, skip)
        if text:
            found.append(text)
    return found
