"""Finding the next page of a list, whatever form the pagination takes.

Engine presets know their own pagination markup; this is the fallback every
platform spider can use on software it has never seen:

- ``<link rel="next">`` in the head and ``<a rel="next">`` in the page;
- links labelled "next" in the languages investigators meet (``Next``, ``»``, ``Weiter``,
  ``Suivant``, ``Następna``, ``Următoarea``, ``Далее``...), or with a class/aria-label saying so;
- "load more" buttons and links that carry the next URL (``href``, ``data-href``,
  ``data-url``, ``data-next``, ``data-next-url``);
- numbered pagination: the link whose number is the current page's plus one;
- cursor parameters are followed as they are written in those links (``?cursor=…``,
  ``?after=…``, ``?offset=…``), never computed, since only the site knows the next cursor.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree
from scrapy.http import TextResponse

from crawler.extract import compiled_xpath

_NEXT_WORDS = re.compile(
    r"^\s*(?:next(?:\s+page)?|more|older(?:\s+posts)?|weiter|nächste(?:\s+seite)?|suivant(?:e)?|page\s+suivante|"
    r"siguiente|successiva|volgende|następna|următoarea|înainte|далее|следующая|наступна|下一页|次へ|"
    r"[›»>→]+|next\s*[›»>→]+|[›»>→]+\s*next)\s*$",
    re.IGNORECASE,
)
_LOAD_MORE = re.compile(r"load\s+more|show\s+more|mehr\s+(?:laden|anzeigen)|voir\s+plus|afișează\s+mai", re.I)
_NEXT_HINT = re.compile(r"(?:^|[\s_-])(?:next|pagination-next|pager-next|nav-next)(?:$|[\s_-])", re.IGNORECASE)
_URL_ATTRIBUTES = ("href", "data-href", "data-url", "data-next", "data-next-url", "data-next-page")

_REL_NEXT = compiled_xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href")
_A_REL_NEXT = compiled_xpath("//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]")
_CANDIDATES = compiled_xpath("//a | //button")
_CURRENT = compiled_xpath(
    "//*[contains(@class, 'current') or contains(@class, 'active') or @aria-current='page']"
    "[not(self::html) and not(self::body)]"
)


def _url_of(node: etree._Element) -> str | None:
    for attribute in _URL_ATTRIBUTES:
        value = node.get(attribute)
        if value and not value.startswith(("#", "javascript:")):
            return value
    return None


def _label(node: etree._Element) -> str:
    text = " ".join(node.itertext()).strip()
    return text or node.get("aria-label") or node.get("title") or ""


def next_page_urls(response: TextResponse) -> list[str]:
    """Absolute URLs of the next page(s) of a list page, most reliable first; ``[]`` on the last page."""
    root = response.selector.root
    found: list[str] = []
    found += _REL_NEXT(root)
    found += [url for node in _A_REL_NEXT(root) if (url := _url_of(node))]
    for node in _CANDIDATES(root):
        url = _url_of(node)
        if not url:
            continue
        label = _label(node)
        hints = " ".join(filter(None, (node.get("class"), node.get("id"), node.get("aria-label"))))
        if _NEXT_WORDS.match(label) or _LOAD_MORE.search(label) or _NEXT_HINT.search(hints):
            found.append(url)
    if not found:
        found += _numbered_next(root)
    return list(dict.fromkeys(urljoin(response.url, url) for url in found))


def _numbered_next(root: etree._Element) -> list[str]:
    """In "1 2 [3] 4 5" pagination, the link labelled one more than the current page."""
    for current in _CURRENT(root):
        label = " ".join(current.itertext()).strip()
        if not label.isdigit():
            continue
        wanted = str(int(label) + 1)
        container = current.getparent()
        for _ in range(3):  # the current marker may be wrapped in <li>/<span>; look a few levels up
            if container is None:
                break
            for link in container.iter("a"):
                if " ".join(link.itertext()).strip() == wanted and (url := _url_of(link)):
                    return [url]
            container = container.getparent()
    return []
