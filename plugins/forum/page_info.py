"""What a topic page says about the topic itself, read without knowing its software.

Title: the heading whose text the ``<title>`` repeats (boards put the site name
in an ``<h1>`` too, so the longest such heading wins), else OpenGraph, else the
``<title>`` minus its site-name part. Board: ``<link rel="up">``, else the last
link of a breadcrumb trail. Reply and view counts: a "Views: 1 284" /
"Replies: 4" label near a number, or an icon titled "Views" next to one, in the
part of the page before the first post (lists of *other* topics, with their
own counts, come after it).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from crawler.extract import Node, clean, compiled_xpath
from plugins.forum import ids
from plugins.forum.text import to_int

_TITLE_SPLIT = re.compile(r"\s+(?:-|–|—|\||•|::|»|·)\s+")
_TITLE_HINT = re.compile(r"title|subject|topic|thead|headline|heading", re.IGNORECASE)
_CRUMB_HINT = re.compile(r"breadcrumb|crumbs?$|^path$|navlinks|linktree|^navigation$|nav-?path|^nav$", re.IGNORECASE)
_HEADINGS = compiled_xpath("//h1 | //h2 | //h3")
_HINTED = compiled_xpath("//*[@class][not(self::html) and not(self::body) and not(self::head)]")
_CRUMB_CANDIDATES = compiled_xpath("//body//*[@class or @itemtype or @data-role]")
_TITLE_TAG = compiled_xpath("string(/html/head/title)")
_CANONICAL = compiled_xpath("/html/head/link[@rel='canonical']/@href")
_UP = compiled_xpath("/html/head/link[@rel='up'][@title]/@title")
_OG_TITLE = compiled_xpath("/html/head/meta[@property='og:title']/@content")
_INDEX_HREF = re.compile(
    r"^(\.?/|\.?/?index\.php.*|/forums?/?|https?://[^/]+/?(forums?/?)?(index\.php)?)$", re.IGNORECASE
)
_COUNT = r"(\d{1,3}(?:[ \u00a0\u202f.,']\d{3})+|\d+)"
_VIEWS = re.compile(
    r"(views?|aufrufe|zugriffe|gelesen|просмотр\w*|переглядів|переглядов|wyświetle\w*|vizualiz\w*|visite|visitas|"
    r"weergaven|vues)\b\s*:?\s*" + _COUNT + r"|" + _COUNT + r"\s+(views?|aufrufe|zugriffe|просмотр\w*|переглядів)\b",
    re.IGNORECASE,
)
_REPLIES = re.compile(
    r"(replies|antworten|відповідей|ответов|odpowiedzi|răspunsuri|respuestas|risposte|réponses|reacties)\s*:?\s*"
    + _COUNT
    + r"|"
    + _COUNT
    + r"\s+(replies|antworten|відповідей|ответов)\b",
    re.IGNORECASE,
)
_POST_TOTAL = re.compile(
    r"^\s*"
    + _COUNT
    + r"\s+(posts?|mesaje|beiträge|сообщени\w*|повідомлень|messages|mensajes|messaggi|berichten|posty)\b",
    re.IGNORECASE,
)
_POSTS = re.compile(
    r"^(posts?|beiträge|mesaje|сообщени\w*|повідомлень|posty|messages|mensajes|messaggi|berichten)$", re.IGNORECASE
)


def _text(element: Node) -> str:
    return clean(" ".join(element.itertext())) or ""


def page_title_text(root: Node) -> str:
    return clean(_TITLE_TAG(root)) or ""


def canonical_url(root: Node, base: str) -> str | None:
    found = _CANONICAL(root)
    return urljoin(base, found[0]) if found else None


def topic_title(root: Node) -> str | None:
    """The topic's title as the page shows it."""
    full = page_title_text(root)
    best = ""
    candidates = list(_HEADINGS(root))
    for element in _HINTED(root):
        if element.tag not in ("h1", "h2", "h3") and any(
            _TITLE_HINT.search(w) for w in (element.get("class") or "").split()
        ):
            candidates.append(element)
            candidates.extend(c for c in element.iter() if c is not element and c.tag in ("strong", "b", "span", "a"))
    for element in candidates:
        text = _text(element)
        if text and len(text) > len(best) and full and text in full and len(text) < 300:
            best = text
    if best:
        return best
    og = _OG_TITLE(root)
    if og and clean(og[0]):
        return clean(og[0])
    parts = _TITLE_SPLIT.split(full) if full else []
    return max(parts, key=len) if parts else None


def board_name(root: Node, title: str | None) -> str | None:
    """The board (forum) the topic sits in: ``<link rel="up" title>`` or the breadcrumb's last link."""
    up = _UP(root)
    if up and clean(up[0]):
        return clean(up[0])
    trails = []
    for element in _CRUMB_CANDIDATES(root):
        words = [*(element.get("class") or "").split(), element.get("data-role") or ""]
        microdata = "BreadcrumbList" in (element.get("itemtype") or "")
        if microdata or any(_CRUMB_HINT.search(w) for w in words if w):
            trails.append((element, microdata))
    inside = {element for element, _ in trails}
    # A schema.org BreadcrumbList first; else the innermost hinted trail (a navbar also holds a search link).
    trails.sort(key=lambda t: not t[1])
    for element, microdata in trails:
        if not microdata and any(e in inside for e in element.iterdescendants()):
            continue
        links = [a for a in element.iter("a") if _text(a)]
        if not links or (not microdata and (len(links) < 2 or not _INDEX_HREF.match(links[0].get("href") or ""))):
            continue
        names = [_text(a) for a in links if _text(a) != title and not _text(a).startswith(("←", "«"))]
        if names and (microdata or len(names) >= 2):
            return names[-1]
    return None


def _before(root: Node, first_post: Node | None) -> list[Node]:
    """Elements that come before ``first_post`` in the document (all of them if there is none)."""
    found = []
    for element in root.iter():
        if element is first_post:
            break
        if isinstance(element.tag, str):
            found.append(element)
    return found


def topic_counts(root: Node, first_post: Node | None) -> tuple[int | None, int | None]:
    """``(reply count, view count)`` as the page shows them above its first post."""
    replies = views = None
    ancestors = set(first_post.iterancestors()) if first_post is not None else set()
    for element in _before(root, first_post):
        if element in ancestors or element.tag in ("script", "style", "head", "title", "select", "option"):
            continue
        own = " ".join(t for t in (element.text, *(c.tail for c in element)) if t)
        if views is None:
            found = _VIEWS.search(own)
            if found:
                views = to_int(next(g for g in found.groups()[1:] if g and g[0].isdigit()).replace(" ", ""))
        if replies is None:
            found = _REPLIES.search(own)
            if found:
                replies = to_int(next(g for g in found.groups()[1:] if g and g[0].isdigit()).replace(" ", ""))
            elif total := _POST_TOTAL.search(own):  # "23 posts": the opening post and 22 replies
                replies = max((to_int(total.group(1).replace(" ", "")) or 1) - 1, 0)
        label = (element.get("title") or element.get("aria-label") or "").strip()
        if label and not _text(element):
            value = _icon_value(element)
            if value is not None:
                if views is None and _VIEWS.match(f"{label} 0"):
                    views = value
                elif replies is None and _REPLIES.match(f"{label} 0"):
                    replies = value
                elif replies is None and _POSTS.match(label):
                    replies = max(value - 1, 0)
    return replies, views


def _icon_value(icon: Node) -> int | None:
    """The number next to a labelled icon (``<i title="Views"></i> <span>418</span>``)."""
    sibling = icon.getnext()
    text = (icon.tail or "").strip() or (_text(sibling) if sibling is not None else "")
    return int(text) if text.isdigit() else None


def topic_url(root: Node, base: str, title: str | None) -> str:
    """The topic's first-page URL: the canonical link (page parameters dropped), a title link, or the page."""
    canonical = canonical_url(root, base)
    if canonical and ids.is_first_page(canonical):
        return canonical
    if title:
        for link in root.iter("a"):
            href = link.get("href")
            if href and _text(link) == title and ids.topic_id_from_url(urljoin(base, href)):
                return urljoin(base, href)
    url = base.split("#")[0]
    return url if ids.is_first_page(url) else urlsplit(url)._replace(query="").geturl()
