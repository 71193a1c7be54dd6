"""What the generic fields share: page regions, class-name hints, label/value pairs, the title anchor.

The generic layer reads software it has never seen, so it leans on what
nearly every classifieds page has in common:

- chrome (site header, navigation, footer), forms, hidden text and "noise"
  blocks (related ads, comments, reviews) are never the ad;
- class, id and ``itemprop`` names hint at fields (``price``, ``seller``,
  ``location``, an icon such as ``bi-geo-alt`` next to the value...);
- fields are often shown as "Label: value" pairs (``dt``/``dd``, two-cell
  table rows, "<strong>Price:</strong> 450 €", "Posted by: X | Date: Y"),
  with labels in the languages of :mod:`plugins.marketplace.labels`;
- the ad's own fields come right after its title: related ads, sidebars and
  footers come later, a header cart earlier. :meth:`PageMap.pick` takes the
  first candidate at or after the title (the *anchor*).

:class:`PageMap` computes all of that once per page, on the parsed tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from crawler.extract import Node, clean
from plugins.marketplace.text import BLOCK_TAGS, SKIP_TAGS, lines_of, split_label

CHROME, NOISE, FORM, HIDDEN = 1, 2, 4, 8
OUTSIDE = CHROME | NOISE | FORM | HIDDEN
"""Flags of elements that never hold the ad's fields."""

_CHROME_TOKENS = frozenset(
    [
        "header",
        "masthead",
        "site-header",
        "global-header",
        "navbar",
        "nav",
        "navigation",
        "menu",
        "main-menu",
        "topmenu",
        "top-menu",
        "footer",
        "site-footer",
        "colophon",
        "copyright",
        "topbar",
        "cookie-banner",
        "cookie-notice",
    ]
)
_HIDDEN_TOKENS = frozenset(
    [
        "screen-reader-text",
        "sr-only",
        "visually-hidden",
        "hidden",
        "d-none",
        "print-information",
        "print-qrcode-container",
        "skip-link",
    ]
)
_NOISE = re.compile(
    r"related|similar|recommend|upsell|cross-?sell|more[-_]?(?:listings|products|ads|items|like)|other[-_]?ads"
    r"|aehnlich|ähnlich|(?<![a-z])comments?|(?<![a-z])reviews?(?![a-z])|woocommerce-review|safety"
)

_NEGATED = re.compile(r"(?<![a-z])(?:no|without|has|show|hide)[-_]")
"""State classes such as ``ast-woo-product-no-review`` mention a noise word without being noise."""

HINTS: dict[str, re.Pattern[str]] = {
    "price": re.compile(
        r"price|preis|prix|precio|prezzo|prijs|(?<![a-z])cena|(?<![a-z])pret|salary|compensation|amount"
    ),
    "date": re.compile(
        r"(?<!up)date|datum|(?<![a-z])data(?![a-z])|timeago|posted|publish|created|fecha|clock|calendar|dodan"
    ),
    "location": re.compile(
        r"location|address|adresse|locality|(?<![a-z])city|(?<![a-z])place|region|geo-?alt|map-?marker|map-?pin"
        r"|(?<![a-z])ort(?![a-z])|standort|miejscowosc|lokalizacja|(?<![a-z])lieu|ville|localite|ubicacion"
        r"|localidad|luogo|citta|plaats|locatie|localitate|(?<![a-z])oras|gorod|misto"
    ),
    "author": re.compile(
        r"seller|vendor|(?<![a-z])author|username|user-name|posted-?by|advertiser|publisher|owner|anbieter"
        r"|verk[aä]ufer|inserent|haendler|händler|dealer|employer|company-name|member-name|profile-name|store-name"
        r"|ogloszeniodawca|uzytkownik|sprzedawca|annonceur|vendeur|anunciante|inserzionista|adverteerder|verkoper"
        r"|vanzator|autor|prodav|avtor"
    ),
    "contact": re.compile(
        r"contact|kontakt|phone|telephone|telefon|(?<![a-z])tel(?![a-z])|mobile|whatsapp|viber|telegram|e-?mail"
    ),
    "gallery": re.compile(
        r"gallery|galer|photos|fotos|images|pictures|bilder|zdjeci|(?<![a-z])poze|slider|carousel|(?<![a-z])thumbs"
        r"|slideshow|photo(?![a-z_-])|foto(?![a-z_-])"
    ),
    "breadcrumb": re.compile(
        r"breadcrumb|crumbs?(?![a-z])|(?<![a-z])path(?![a-z])|brotkrumen|navchain|sciezka|ariane|migas|briciole"
        r"|kruimel|okruszki"
    ),
    "rating": re.compile(r"rating|(?<![a-z])stars?(?![a-z])"),
}
_NAME_CLASS = re.compile(r"(?:^|[-_\s])(?:name|label|key|term|title)(?:$|[-_\s])")
_VALUE_CLASS = re.compile(r"(?:^|[-_\s])(?:value|val|data|desc)(?:$|[-_\s])")
_ADDRESS_PARTS = frozenset({"streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry"})
_ICON_TAGS = frozenset({"i", "span", "svg", "em", "img"})


@dataclass
class Pair:
    """One "Label: value" pair shown on the page."""

    label: str
    value: str
    line: Node
    """The element holding the whole pair (a ``tr``, a ``p``, the ``dt``...), for its position and text."""
    value_nodes: list[Node] = field(default_factory=list)
    segment: bool = False
    """Part of a "A: x | B: y" line rather than a row of its own."""

    def link(self) -> Node | None:
        """The first link in the value whose text is part of the value (a seller's profile link...)."""
        for node in self.value_nodes:
            for link in node.iter("a"):
                text = clean("".join(link.itertext()))
                if link.get("href") and text and text in self.value:
                    return link
        return None


class PageMap:
    """One page, analysed once for the generic fields."""

    def __init__(self, root: Node) -> None:
        self.root = root
        body = root.find("body")
        self.body: Node = body if body is not None else root
        self.flags: dict[Node, int] = {}
        self.order: dict[Node, int] = {}
        self._walk(self.body, 0, False)
        self.anchor: int = 0
        """Position of the ad's title element (set by the title field): where the ad's own fields start."""

    def _walk(self, element: Node, inherited: int, in_article: bool) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            flags = inherited | self._own_flags(child, tag, in_article)
            self.order[child] = len(self.order)
            self.flags[child] = flags
            self._walk(child, flags, in_article or tag == "article")

    @staticmethod
    def _own_flags(element: Node, tag: str, in_article: bool) -> int:
        flags = 0
        if tag == "nav" or (tag in ("header", "footer") and not in_article):
            flags |= CHROME
        elif tag == "form":
            flags |= FORM
        elif tag in SKIP_TAGS:
            flags |= HIDDEN
        names = element.get("class", "").lower()
        ident = element.get("id", "").lower()
        tokens = set(names.split())
        if ident:
            tokens.add(ident)
        if tokens & _CHROME_TOKENS:
            flags |= CHROME
        if tokens & _HIDDEN_TOKENS or element.get("hidden") is not None or element.get("aria-hidden") == "true":
            flags |= HIDDEN
        if "display:none" in element.get("style", "").replace(" ", ""):
            flags |= HIDDEN
        if any(_NOISE.search(token) and not _NEGATED.search(token) for token in tokens):
            flags |= NOISE
        return flags

    # -- positions and regions ----------------------------------------------------

    def position(self, element: Node) -> int:
        return self.order.get(element, -1)

    def outside(self, element: Node, mask: int = OUTSIDE) -> bool:
        return bool(self.flags.get(element, 0) & mask)

    def elements(self, mask: int = OUTSIDE) -> Iterator[Node]:
        """The page's elements in document order, without those flagged by ``mask``."""
        return (element for element, flags in self.flags.items() if not flags & mask)

    def pick(self, candidates: list[tuple[int, Any]]) -> Any | None:
        """The first candidate at or after the anchor; else the nearest one before it."""
        if not candidates:
            return None
        ordered = sorted(candidates, key=lambda c: c[0])
        after = [c for c in ordered if c[0] >= self.anchor]
        return (after[0] if after else ordered[-1])[1]

    def text(self, element: Node) -> str | None:
        """The visible text of ``element`` on one line (hidden and skipped parts left out)."""
        return clean(" ".join(lines_of(element, self.is_hidden))) or None

    def is_hidden(self, element: Node) -> bool:
        return bool(self.flags.get(element, 0) & HIDDEN)

    # -- hints ----------------------------------------------------------------------

    @cached_property
    def _hinted(self) -> dict[str, list[Node]]:
        found: dict[str, list[Node]] = {name: [] for name in HINTS}
        for element in self.elements(FORM | HIDDEN):
            itemprop = element.get("itemprop")
            if itemprop in _ADDRESS_PARTS:
                itemprop = None  # a part of an address: the address itself is the location
            names = " ".join(filter(None, (element.get("class"), element.get("id"), itemprop)))
            if not names:
                continue
            names = names.lower()
            for name, pattern in HINTS.items():
                if pattern.search(names):
                    found[name].append(element)
        return found

    def hinted(
        self, name: str, innermost: bool = True, mask: int = OUTSIDE, keep: Callable[[Node], bool] | None = None
    ) -> list[Node]:
        """Elements whose class/id/itemprop hint at field ``name``, in document order.

        ``mask`` leaves out flagged regions (breadcrumbs are looked for in the
        chrome too), ``keep`` filters the candidates; then, with ``innermost``,
        an element that contains another candidate is dropped (a
        ``price-card`` around its ``price-card__amount``).
        """
        found = [e for e in self._hinted[name] if not self.flags.get(e, 0) & mask and (keep is None or keep(e))]
        if not innermost or len(found) < 2:
            return found
        holders = {ancestor for element in found for ancestor in element.iterancestors()}
        return [element for element in found if element not in holders]

    def hint_text(self, element: Node) -> str | None:
        """The text a hinted element stands for: its own, or its parent's when it is an empty icon."""
        own = self.text(element)
        if own or element.tag not in _ICON_TAGS:
            return own
        parent = element.getparent()
        return self.text(parent) if parent is not None else None

    # -- label/value pairs -------------------------------------------------------------

    @cached_property
    def pairs(self) -> list[Pair]:
        """Every "Label: value" pair outside chrome, forms, noise and hidden text, in document order."""
        found: list[Pair] = []
        lines: list[Node] = []
        for element in self.elements():
            tag = element.tag
            if tag == "dt":
                value = element.getnext()
                if value is not None and value.tag == "dd":
                    label = clean((self.text(element) or "").rstrip(": "))
                    text = self.text(value)
                    if label and text:
                        found.append(Pair(label, text, element, [value]))
            elif tag == "tr":
                cells = [cell for cell in element if isinstance(cell.tag, str) and cell.tag in ("td", "th")]
                if len(cells) == 2:
                    label = self.text(cells[0]) or ""
                    text = self.text(cells[1])
                    if text and 0 < len(label) <= 40 and (cells[0].tag == "th" or label.endswith(":")):
                        found.append(Pair(clean(label.rstrip(": ")) or label, text, element, [cells[1]]))
            elif tag in ("p", "li", "div", "span", "dd", "td", "small") and not self._has_block(element):
                named = self._named_pair(element)
                if named is not None:
                    found.append(named)
                else:
                    lines.append(element)
        holders = {ancestor for element in lines for ancestor in element.iterancestors()}
        for element in lines:
            if element in holders:
                continue
            text = self.text(element)
            if not text or len(text) > 300:
                continue
            segments = re.split(r"\s+[|·•]\s+", text) if re.search(r"\s[|·•]\s", text) else [text]
            for segment in segments:
                label, value = split_label(segment)
                if label and value:
                    found.append(Pair(label, value, element, [element], segment=len(segments) > 1))
        found.sort(key=lambda pair: self.position(pair.line))
        return found

    def _named_pair(self, element: Node) -> Pair | None:
        """``<li><span class="attr-name">Size</span><span class="attr-value">96 m²</span></li>``: a pair by class."""
        children = [child for child in element if isinstance(child.tag, str)]
        if len(children) != 2 or (element.text or "").strip():
            return None
        name, value = (child.get("class", "").lower() for child in children)
        if _NAME_CLASS.search(name) and _VALUE_CLASS.search(value):
            label, text = self.text(children[0]), self.text(children[1])
            if label and text and len(label) <= 40:
                return Pair(clean(label.rstrip(": ")) or label, text, element, [children[1]])
        return None

    @staticmethod
    def _has_block(element: Node) -> bool:
        return any(isinstance(child.tag, str) and child.tag in BLOCK_TAGS and child.tag != "br" for child in element)

    def labelled(self, pattern: re.Pattern[str]) -> list[Pair]:
        """The pairs whose label matches ``pattern``."""
        return [pair for pair in self.pairs if pattern.search(pair.label.casefold())]
