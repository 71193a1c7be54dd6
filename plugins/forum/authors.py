"""Who wrote a post of unknown markup: a schema.org ``author``, a profile link, or an element hinted "author".

Profile links are recognised by their URL (``memberlist.php?mode=viewprofile``,
``/members/name.12/``, ``/u/name``, ``user.php?id=``...); avatar links (an
image, a letter in a coloured ``span.avatar``) name no one. Where the name is
plain text (a guest, phpBB 2's ``span.name``), the profile link may sit
elsewhere in the post, even in the next table row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from crawler.extract import Node, clean
from plugins.forum import hints, ids
from plugins.forum.text import render_text

NO_ONE: dict[str, Any] = {"name": None, "id": None, "url": None}


def is_profile_link(element: Node) -> bool:
    return element.tag == "a" and bool(ids.PROFILE_HREF.search(element.get("href") or ""))


def is_avatar(link: Node) -> bool:
    """A link around a picture (or a letter standing for one) rather than a name."""
    return any(
        e.tag == "img" or "avatar" in (e.get("class") or "").lower() or "photo" in (e.get("class") or "").lower()
        for e in link.iter()
    )


def _words(element: Node) -> str:
    return clean(" ".join(element.itertext())) or ""


def _named_link(element: Node) -> Node | None:
    return next(
        (e for e in element.iter() if hints.is_element(e) and is_profile_link(e) and not is_avatar(e) and _words(e)),
        None,
    )


def _author_hinted(element: Node) -> bool:
    """An element whose class says "author" / "username" / "nick", holding a short name."""
    if not hints.has(element, hints.AUTHOR) or hints.has(element, hints.NOT_AUTHOR):
        return False
    return 0 < len(_words(element)) <= 60


def author_of(blocks: list[Node], excluded: set[Node], base_url: str) -> tuple[dict[str, Any], Node | None]:
    """``({name, id, url}, the element naming the author)`` for the post made of ``blocks``."""
    name_node: Node | None = None
    url: str | None = None
    for block in blocks:
        for element in hints.outside(block, excluded):
            if element.get("itemprop") == "author" and name_node is None:
                named = next((e for e in element.iter() if hints.is_element(e) and e.get("itemprop") == "name"), None)
                if named is not None and (named.get("content") or _words(named)):
                    name_node = named
            if is_profile_link(element) and not is_avatar(element):
                if 0 < len(_words(element)) <= 80:
                    url = url or element.get("href")
                    name_node = name_node if name_node is not None else element
            elif name_node is None and element.tag not in ("img", "a", "time") and _author_hinted(element):
                link = _named_link(element)
                name_node = link if link is not None else element
                url = url or (link.get("href") if link is not None else None)
        if name_node is not None and url is None:  # a plain-text name: the profile link is elsewhere in the post
            url = next((e.get("href") for e in block.iter() if hints.is_element(e) and is_profile_link(e)), None)
    if name_node is None:
        return dict(NO_ONE), None
    if name_node.tag == "meta":
        name = name_node.get("content")
    else:  # an author pane lists the name first, then a rank or "Unregistered"
        name = (render_text(name_node) or "").split("\n")[0] or None
    if url is None and name_node.get("itemprop") == "name":
        scope = next((a for a in name_node.iterancestors() if a.get("itemprop") == "author"), None)
        link = next((e for e in scope.iter() if e.get("itemprop") == "url"), None) if scope is not None else None
        url = (link.get("content") or link.get("href")) if link is not None else None
    absolute = urljoin(base_url, url) if url else None
    return {"name": name, "id": ids.user_id_from_url(absolute), "url": absolute}, name_node
