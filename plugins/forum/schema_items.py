"""schema.org items of a page, from microdata (with their elements) and JSON-LD, in one shape.

:func:`crawler.structured.schema_items` (extruct) flattens microdata values to
strings. The forum layer needs the *elements* too: a post's ``text`` property
is a ``<div>`` whose quotes and signature must be left out, its author an
element whose profile link gives an id. So microdata is read here, in one pass
over the ``itemprop`` elements; JSON-LD blocks come from
:func:`crawler.structured.json_ld` and take the same :class:`Item` shape
(without elements).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from scrapy.http import Response

from crawler import structured
from crawler.extract import Node, clean, compiled_xpath
from plugins.forum.text import to_int

_SCOPES = compiled_xpath("//*[@itemscope]")
_PROPS = compiled_xpath("//*[@itemprop]")


@dataclass(eq=False)
class Item:
    """One schema.org item: its types, its property values (strings or items), and for microdata its elements."""

    types: set[str]
    props: dict[str, list[Any]] = field(default_factory=dict)
    element: Node | None = None
    prop_elements: dict[str, list[Node]] = field(default_factory=dict)

    def first(self, *names: str) -> Any | None:
        for name in names:
            for value in self.props.get(name, []):
                if value not in (None, ""):
                    return value
        return None

    def text(self, *names: str) -> str | None:
        """A property as text (an item's ``name``, ``@value``...), via :func:`crawler.structured.text`."""
        value = self.first(*names)
        if isinstance(value, Item):
            return value.text("name", "@id", "url")
        return structured.text(value)

    def item(self, *names: str) -> Item | None:
        value = self.first(*names)
        return value if isinstance(value, Item) else None

    def items(self, name: str) -> list[Item]:
        return [v for v in self.props.get(name, []) if isinstance(v, Item)]

    def element_of(self, *names: str) -> Node | None:
        for name in names:
            found = self.prop_elements.get(name)
            if found:
                return found[0]
        return None

    def is_a(self, types: set[str]) -> bool:
        return bool(self.types & types)


def _types(value: Any) -> set[str]:
    if isinstance(value, str):
        value = value.split()
    return {str(t).rstrip("/").rsplit("/", 1)[-1] for t in value or []}


def _prop_value(element: Node, items: dict[Node, Item]) -> Any:
    if element.get("itemscope") is not None and element in items:
        return items[element]
    tag = element.tag
    if tag == "meta":
        return element.get("content")
    if tag in ("a", "link", "area"):
        return element.get("href")
    if tag in ("img", "audio", "video", "source", "iframe", "embed"):
        return element.get("src")
    if tag == "time":
        return element.get("datetime") or clean(" ".join(element.itertext()))
    if tag in ("data", "meter"):
        return element.get("value")
    return element.get("content") or clean(" ".join(element.itertext()))


def microdata_items(root: Node) -> list[Item]:
    """Every microdata item of the page, in document order, nested ones included (as values too)."""
    items: dict[Node, Item] = {}
    for element in _SCOPES(root):
        item = Item(types=_types(element.get("itemtype")), element=element)
        identifier = element.get("itemid")
        if identifier:
            item.props["@id"] = [identifier]
        items[element] = item
    for element in _PROPS(root):
        owner = next((a for a in element.iterancestors() if a.get("itemscope") is not None), None)
        if owner is None or owner not in items:
            continue
        item = items[owner]
        value = _prop_value(element, items)
        for name in (element.get("itemprop") or "").split():
            item.props.setdefault(name, []).append(value)
            item.prop_elements.setdefault(name, []).append(element)
    return list(items.values())


def _from_json(value: dict[str, Any]) -> Item:
    item = Item(types=_types(value.get("@type")))
    for key, raw in value.items():
        values = raw if isinstance(raw, list) else [raw]
        item.props[key] = [_from_json(v) if isinstance(v, dict) else v for v in values]
    return item


def _top_level(block: Any) -> Iterator[dict[str, Any]]:
    if isinstance(block, list):
        for value in block:
            yield from _top_level(value)
    elif isinstance(block, dict):
        if "@graph" in block:
            yield from _top_level(block["@graph"])
        elif "@type" in block:
            yield block


def json_ld_items(response: Response) -> list[Item]:
    """Top-level JSON-LD items (``@graph`` members included); nested items are property values."""
    return [_from_json(value) for block in structured.json_ld(response) for value in _top_level(block)]


_REPLY_ACTIONS = ("CommentAction", "ReplyAction")
_VIEW_ACTIONS = ("ViewAction", "WatchAction")


def topic_counts(topic: Item) -> tuple[int | None, int | None]:
    """``(replies, views)`` a topic item states in ``interactionStatistic`` (or ``commentCount``)."""
    replies = views = None
    for counter in topic.items("interactionStatistic"):
        kind = counter.text("interactionType") or ""
        count = to_int(counter.text("userInteractionCount"))
        if any(kind.endswith(action) for action in _REPLY_ACTIONS):
            replies = count
        elif any(kind.endswith(action) for action in _VIEW_ACTIONS):
            views = count
    if replies is None and topic.text("commentCount"):
        replies = to_int(topic.text("commentCount"))
    return replies, views
