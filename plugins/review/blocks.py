"""Where the generic layer looks: review blocks found by repetition, and small readings around them.

:func:`find_review_blocks` takes the best-scoring group of same-tag,
same-class siblings that hold text with a date or a rating; the helpers
below tell contact items, headings and labels apart for the business fields.
"""

from __future__ import annotations

import re
from collections import defaultdict

from crawler.extract import Node, clean
from plugins.review import heuristics as h

EXCLUDED = frozenset({"nav", "footer", "form", "script", "style", "noscript", "select"})
_PHONE_HINTS = ("phone", "telefon", "email", "e-mail", "website", "whatsapp", "viber")
_PHONE_TOKENS = re.compile(r"(?:^|[\s_-])(?:tel|mobil|fax|mail)\b")
_LABEL = re.compile(r"^[^\d:]{1,24}:\s*")


def _group_score(members: list[Node]) -> float:
    """How much a group of sibling blocks looks like reviews: text, plus dates, ratings and review-ish names."""
    texts = [h.visible_text(m) for m in members]
    with_text = sum(1 for t in texts if len(t) >= 25)
    if with_text < max(1, len(members) // 2):
        return 0.0
    dates = sum(1 for m, t in zip(members, texts, strict=True) if h.find_date(t) or m.find(".//time") is not None)
    ratings = sum(1 for m in members if h.find_rating(m))
    if dates * 2 < len(members) and ratings * 2 < len(members):
        return 0.0
    named = 1.0 if h.has_hint(members[0], h.REVIEW_HINTS) else 0.0
    return with_text * (1.0 + dates / len(members) + ratings / len(members) + named)


def find_review_blocks(root: Node) -> list[Node]:
    """The best-scoring group of same-tag, same-class siblings holding text with a date or a rating."""
    best: tuple[float, list[Node]] = (0.0, [])
    for parent in root.iter():
        if not h.is_element(parent) or parent.tag in EXCLUDED or parent.tag == "aside":
            continue
        groups: dict[tuple[str, str], list[Node]] = defaultdict(list)
        for child in parent:
            if h.is_element(child) and child.tag not in h.SKIP_TAGS and child.tag not in ("br", "hr", "a", "input"):
                groups[(child.tag, child.get("class", ""))].append(child)
        for members in groups.values():
            if len(members) < 2 and not (members and h.has_hint(members[0], h.REVIEW_HINTS)):
                continue
            score = _group_score(members)
            if score > best[0]:
                best = (score, members)
    return best[1]


def is_contact_item(node: Node) -> bool:
    """A phone, e-mail or website item (``li.tel``, ``td.telefon``, ``itemprop=telephone``); not ``hotel_card``."""
    described = h.hints(node)
    return bool(described) and (any(w in described for w in _PHONE_HINTS) or bool(_PHONE_TOKENS.search(described)))


def _has_heading(node: Node) -> bool:
    return any(
        e.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or h.has_hint(e, ("title",)) for e in node.iter() if e is not node
    )


def core(node: Node) -> Node:
    """The part of an "About" box that holds its text: headings and listed extras ("Amenities") left out."""
    while _has_heading(node):
        children = [c for c in node if h.is_element(c) and c.tag not in h.SKIP_TAGS and not _has_heading_self(c)]
        if not children:
            break
        node = max(children, key=lambda c: len(h.visible_text(c)))
    return node


def _has_heading_self(node: Node) -> bool:
    return node.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or h.has_hint(node, ("title",))


def is_by_word(text: str) -> bool:
    return clean(text).lower().rstrip(":") in ("by", "von", "de", "par", "od", "di", "door", "av", "от", "від")


def unlabel(text: str | None) -> str | None:
    return clean(_LABEL.sub("", text, count=1)) if text else None
