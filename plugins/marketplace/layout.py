"""Where things are on a page the generic layer has never seen: the title, the body block, crumbs, photos.

Functions over a :class:`~plugins.marketplace.heuristics.PageMap`, used by
:class:`~plugins.marketplace.generic.GenericAdPage`. Each encodes one habit of
classifieds pages:

- the ad's title is its ``<h1>``; a craigslist-like ``<h1>`` also holds the
  price and the area, so an ``og:title`` found inside it is the cleaner
  title; a page whose ``<h1>`` is the site's logo titles the ad with the
  heading its ``<title>`` starts with;
- the description is the element with the most running text of its own
  (paragraphs, inline text; lists count half, links and headings nothing);
- breadcrumbs end with the category, or with the ad itself;
- galleries link their thumbnails to the full-size photos.
"""

from __future__ import annotations

import re

from crawler.extract import Node, clean, select_xpath
from plugins.marketplace.heuristics import CHROME, FORM, HIDDEN, HINTS, NOISE, PageMap
from plugins.marketplace.text import SKIP_TAGS, lines_of, normalised

_TITLE_SEPARATORS = re.compile(r"\s+(?:::|\||-|–|—|«|»|/)\s+")
_BLOCK_CANDIDATES = frozenset({"div", "section", "article", "td", "p", "main", "dd", "blockquote", "span", "font"})
_INLINE = frozenset({"span", "b", "strong", "i", "em", "u", "font", "small", "big", "sup", "sub", "mark", "abbr"})
_INLINE |= {"cite", "q", "code", "time", "bdi", "label"}
_MIN_BODY = 40.0
_SEPARATOR_CHARS = " »›>/|:\u00a0\u2192"
_IMAGE_URL = re.compile(r"\.(?:jpe?g|png|webp|gif|avif)(?:$|\?)", re.IGNORECASE)
_NOT_PHOTO = re.compile(r"no[-_]?photo|no[-_]?image|placeholder|blank|spacer|logo|avatar|icon|gravatar", re.IGNORECASE)


def meta(root: Node, xpath: str) -> str | None:
    found = select_xpath(root, xpath)
    return clean(found[0]) if found else None


def find_title(page: PageMap) -> tuple[str | None, Node | None]:
    """The ad's title and the element that shows it (``None`` when only the head names it)."""
    page_title = meta(page.root, "/html/head/title/text()")
    og_title = meta(page.root, "/html/head/meta[@property='og:title']/@content")
    price_hint = HINTS["price"]

    def skip(element: Node) -> bool:
        return page.is_hidden(element) or bool(price_hint.search(element.get("class", "").lower()))

    for heading in page.root.iter("h1"):
        if page.outside(heading, CHROME | FORM | HIDDEN | NOISE):
            continue
        text = clean(" ".join(lines_of(heading, skip)))
        if not text:
            continue
        if og_title and normalised(og_title) in normalised(text):
            return og_title, heading
        return text, heading
    if page_title:
        wanted = normalised(page_title)
        for element in page.elements():
            if element.tag in ("h2", "h3", "h4", "b", "strong") or "title" in element.get("class", "").lower():
                text = page.text(element)
                if text and 6 <= len(text) <= len(page_title) and wanted.startswith(normalised(text)):
                    return text, element
    if og_title:
        return og_title, None
    return (_TITLE_SEPARATORS.split(page_title)[0] if page_title else None), None


def _prose_length(page: PageMap, element: Node) -> int:
    """Text length under ``element`` outside links and hidden parts."""
    total = len((element.text or "").strip()) if element.tag != "a" else 0
    for child in element:
        if isinstance(child.tag, str) and child.tag != "a" and not page.outside(child):
            total += _prose_length(page, child)
        total += len((child.tail or "").strip())
    return total


def _direct_score(page: PageMap, element: Node) -> float:
    """Running text directly in ``element``: its own text, inline children, paragraphs, half of its lists."""
    score = float(len((element.text or "").strip()))
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and not page.outside(child) and tag not in SKIP_TAGS:
            if tag == "p" or tag in _INLINE:
                score += _prose_length(page, child)
            elif tag in ("ul", "ol"):
                score += _prose_length(page, child) / 2
        score += len((child.tail or "").strip())
    return score


def find_body(page: PageMap) -> Node | None:
    """The element with the most running text of its own; on a tie, the inner one."""
    best, best_score = None, _MIN_BODY
    for element in page.elements():
        if element.tag not in _BLOCK_CANDIDATES:
            continue
        score = _direct_score(page, element)
        if score > best_score or (best is not None and score == best_score and best in element.iterancestors()):
            best, best_score = element, score
    return best


def breadcrumb_category(page: PageMap, title: str | None) -> str | None:
    """The last crumb that is neither the ad itself nor the only crumb."""
    containers = page.hinted("breadcrumb", innermost=False, mask=FORM | HIDDEN | NOISE)
    aria = "//*[contains(translate(@aria-label, 'BREADCUMS', 'breadcums'), 'breadcrumb')]"
    for container in containers + select_xpath(page.root, aria):
        found = crumbs(container)
        if len(found) >= 2:
            wanted = normalised(title)
            if wanted and (normalised(found[-1]) == wanted or wanted.startswith(normalised(found[-1]))):
                found = found[:-1]
            return found[-1] if len(found) >= 2 else None
    return None


def crumbs(container: Node) -> list[str]:
    """The crumbs' texts: its list items, or its links and the text after the last one."""
    items = [item for item in container.iter("li") if not any(a.tag == "li" for a in _between(item, container))]
    if items:
        texts = [clean(" ".join(lines_of(item)).strip(_SEPARATOR_CHARS)) for item in items]
    else:
        anchors = list(container.iter("a"))
        texts = [clean(" ".join(lines_of(a))) for a in anchors]
        if anchors:
            rest: list[str] = [anchors[-1].tail or ""]
            for sibling in anchors[-1].itersiblings():
                rest.append(" ".join(lines_of(sibling)) + " " + (sibling.tail or ""))
            texts.append(clean(" ".join(rest).strip(_SEPARATOR_CHARS)))
    return [text for text in texts if text]


def _between(element: Node, container: Node) -> list[Node]:
    """The ancestors of ``element`` below ``container``."""
    found = []
    for ancestor in element.iterancestors():
        if ancestor is container:
            break
        found.append(ancestor)
    return found


def gallery_images(page: PageMap, exclude: Node | None) -> list[str]:
    """Photo URLs of the gallery containers (not inside ``exclude``): links to full images, else the images."""
    containers = [c for c in page.hinted("gallery", innermost=False) if exclude is None or not _inside(c, exclude)]
    holders = set(containers)
    containers = [c for c in containers if not any(a in holders for a in c.iterancestors())]
    links: list[str] = []
    sources: list[str] = []
    for container in containers:
        for link in container.iter("a"):
            href = (link.get("href") or "").strip()
            if _IMAGE_URL.search(href) and not _NOT_PHOTO.search(href):
                links.append(href)
        for image in container.iter("img"):
            src = (image.get("data-large_image") or image.get("data-src") or image.get("src") or "").strip()
            if src and not src.startswith("data:") and not _NOT_PHOTO.search(src):
                sources.append(src)
    return links or sources


def _inside(element: Node, container: Node) -> bool:
    return element is container or container in element.iterancestors()


def is_line(element: Node) -> bool:
    """A line of its own: a paragraph, list item, table row, or a ``div`` without blocks inside."""
    if element.tag in ("p", "li", "dd", "tr", "address"):
        return True
    blocks = ("p", "div", "ul", "ol", "li", "table", "dl")
    return element.tag == "div" and not any(isinstance(child.tag, str) and child.tag in blocks for child in element)


def line_of(element: Node) -> Node | None:
    """The line an element is part of (a phone number's ``<p>``...)."""
    return next((candidate for candidate in [element, *element.iterancestors()] if is_line(candidate)), None)
