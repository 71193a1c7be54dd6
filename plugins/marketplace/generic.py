"""Layer 4, the generic heuristics: an ad page of software no preset knows.

:class:`GenericAdPage` has the same fields as the presets, each found the way
a person skims an unknown page (see :mod:`plugins.marketplace.heuristics`
for the shared machinery): the title is the ``<h1>`` (or the heading the
``<title>`` starts with), the body the largest block of running text, the
other fields the first candidate after the title among class-name hints,
"Label: value" pairs and text patterns (currency amounts, dates).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response

from crawler.extract import Node, clean, fetch_time, last_path_segment, normalise_rating, parse_price, select_xpath
from crawler.profiles import SiteProfile
from plugins.marketplace import labels, layout
from plugins.marketplace.heuristics import CHROME, NOISE, PageMap
from plugins.marketplace.page import ad_listing
from plugins.marketplace.text import (
    HEADINGS,
    SKIP_TAGS,
    find_date,
    lines_of,
    looks_like_contact,
    parse_shown,
    strip_label,
)

_ID_ATTRIBUTES = ("data-ad-id", "data-pid", "data-item-id", "data-listing-id", "data-adid", "data-advert-id")
_ID_TOKEN = re.compile(r"[A-Za-z0-9][\w-]*\d[\w-]*")
_ID_QUERY = ("id", "ad", "aid", "adid", "ad_id", "item", "itemid", "item_id", "listing", "pid", "p")
_DIGITS = re.compile(r"\d{3,}")
_PREFIXED_ID = re.compile(r"^[A-Za-z]{1,3}\d{3,}$")
_CURRENCY = r"(?:[€$£¥₴₽]|(?<![A-Za-z])(?:EUR|USD|GBP|PLN|RON|UAH|RUB|CHF|CZK|lei|zł|грн|руб)(?![A-Za-z]))"
_AMOUNT = re.compile(rf"{_CURRENCY}\s?\d[\d.,\s]*|\d[\d.,]*(?:\s\d{{3}})*\s?{_CURRENCY}")
_RATED = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:out of|/|von|из|z|sur|de|din|uit)\s*(\d+(?:[.,]\d+)?)", re.IGNORECASE)
_PROFILE_PATH = re.compile(
    r"/(?:user|users|u|profile|profil|profiles|member|members|seller|sellers|store|stores|shop|vendor|vendors"
    r"|company|companies|employer|employers|author|anbieter|haendler|dealer|advertiser|uzytkownik|utilisateur"
    r"|annonceur|vendeur|usuario|anunciante|utente|gebruiker|utilizator|polzovatel|avtor)/[^/?#]+",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(r"\s*\([^\W\d_]{2,15}\)$")
_EXTENSION = re.compile(r"\.(?:html?|php|aspx?)$", re.IGNORECASE)


class GenericAdPage:
    """An ad page read by heuristics alone (``engine: generic`` forces this layer)."""

    name = "generic"

    def __init__(self, response: Response, profile: SiteProfile) -> None:
        self.response = response
        self.profile = profile
        self.root: Node = response.selector.root
        self.map = PageMap(self.root)
        self._title, title_node = layout.find_title(self.map)
        if title_node is not None:
            self.map.anchor = self.map.position(title_node)
        self._body_node = layout.find_body(self.map)
        self._meta_line: str | None = None

    # -- title and body -------------------------------------------------------------

    def _skip_in_body(self, element: Node) -> bool:
        return self.map.outside(element) or element.tag in HEADINGS

    def title(self) -> str | None:
        return self._title

    def body(self) -> str | None:
        if self._body_node is None:
            return None
        return "\n".join(lines_of(self._body_node, self._skip_in_body)) or None

    def _in_body(self, element: Node) -> bool:
        body = self._body_node
        return body is not None and (element is body or body in element.iterancestors())

    # -- identity -------------------------------------------------------------------------

    def native_id(self) -> str | None:
        """A data attribute, an "Ad ID:" label, WordPress's post id, then the URL."""
        for attribute in _ID_ATTRIBUTES:
            for element in select_xpath(self.root, f"//*[@{attribute}]"):
                value = clean(element.get(attribute))
                if value and not self.map.outside(element, CHROME | NOISE):
                    return value
        for pair in self.map.labelled(labels.NATIVE_ID):
            token = _ID_TOKEN.search(pair.value)
            if token:
                return token.group(0)
        body = self.root.find("body")
        post = re.search(r"\bpostid-(\d+)\b", body.get("class", "")) if body is not None else None
        if post:
            return post.group(1)
        return url_native_id(self.response.url)

    # -- fields found by candidates after the title -------------------------------------------

    def price(self) -> dict[str, Any]:
        candidates: list[tuple[int, str]] = []
        for pair in self.map.labelled(labels.PRICE):
            if re.search(r"\d", pair.value):
                candidates.append((self.map.position(pair.line), pair.value))
        for element in self.map.hinted("price", keep=self._shows_amount):
            candidates.append((self.map.position(element), strip_label(self.map.hint_text(element)) or ""))
        shown = self.map.pick(candidates) or self._scanned_amount() or self._worded_price()
        return parse_price(shown) if shown else {}

    def _worded_price(self) -> str | None:
        """A price element in words ("Negotiable", "Free", "VB"), when no amount is shown anywhere."""
        for element in self.map.hinted("price", innermost=False):
            text = strip_label(self.map.text(element))
            worded = text and len(text) <= 25 and not re.search(r"\d", text) and re.search(r"[^\W\d_]{2}", text)
            if worded and self.map.position(element) >= self.map.anchor:
                return text
        return None

    def _shows_amount(self, element: Node) -> bool:
        """A price candidate: digits in a short text, not a struck-out former price."""
        if any(ancestor.tag in ("del", "s", "strike") for ancestor in element.iterancestors()):
            return False
        text = strip_label(self.map.hint_text(element))
        return bool(text and re.search(r"\d", text) and len(text) <= 60)

    def _scanned_amount(self) -> str | None:
        """The first element after the title, before the body, whose text is mostly a currency amount."""
        for element in self.map.elements():
            if self.map.position(element) <= self.map.anchor or element.tag in SKIP_TAGS:
                continue
            if self._in_body(element) or (self._body_node is not None and element is self._body_node):
                break
            own = clean(" ".join([element.text or "", *(child.tail or "" for child in element)]))
            if own and _AMOUNT.search(own):
                text = self.map.text(element)
                if text and len(text) <= 60:
                    return text
        return None

    def posted(self) -> tuple[datetime | None, str | None]:
        candidates: list[tuple[int, tuple[str | None, str]]] = []
        for element in select_xpath(self.root, "//time[@datetime]"):
            if not self.map.outside(element):
                candidates.append((self.map.position(element), (element.get("datetime"), self.map.text(element) or "")))
        for element in self.map.hinted("date"):
            shown = find_date(self.map.hint_text(element))
            if shown:
                candidates.append((self.map.position(element), (None, shown)))
        for pair in self.map.labelled(labels.DATE):
            shown = find_date(pair.value)
            if shown:
                machine = next((t.get("datetime") for t in pair.line.iter("time") if t.get("datetime")), None)
                candidates.append((self.map.position(pair.line), (machine, shown)))
        found = self.map.pick(candidates) or self._scanned_date()
        if found is None:
            return None, None
        machine, shown = found
        now = fetch_time(self.response)
        moment = parse_shown(machine, timezone=self.profile.timezone, now=now) if machine else None
        return moment or parse_shown(shown, timezone=self.profile.timezone, now=now), shown or machine

    def _scanned_date(self) -> tuple[None, str] | None:
        """A date after the title, before the body, beside a "posted" word: "Publiée le 03/03/2024 à 17:45"."""
        for element in self.map.elements():
            if self.map.position(element) <= self.map.anchor or element.tag in SKIP_TAGS:
                continue
            if self._body_node is not None and (element is self._body_node or self._in_body(element)):
                break
            own = clean(" ".join([element.text or "", *(child.tail or "" for child in element)]))
            shown = find_date(own)
            if shown and labels.DATE.search(own.casefold()):
                self._meta_line = own
                return None, shown
        return None

    def location(self) -> dict[str, Any]:
        candidates: list[tuple[int, str]] = []
        for pair in self.map.labelled(labels.LOCATION):
            if len(pair.value) <= 120:
                candidates.append((self.map.position(pair.line), pair.value))
        for element in self.map.hinted("location"):
            text = strip_label(self.map.hint_text(element))
            if text and len(text) <= 120 and not text.startswith("("):
                candidates.append((self.map.position(element), text))
        found = self.map.pick(candidates) or self._meta_line_place()
        return {"raw": found} if found else {}

    def _meta_line_place(self) -> str | None:
        """The place in a "Published on <date> – Metz (57)" line, when nothing names the location."""
        if self._meta_line is None:
            self._scanned_date()
        for segment in re.split(r"\s+[–—|·•-]\s+", self._meta_line or ""):
            if find_date(segment) or len(segment) > 40 or len(segment.split()) > 4 or ":" in segment:
                continue
            if segment[:1].isupper() and not _AMOUNT.search(segment):
                return segment
        return None

    def author(self) -> dict[str, Any]:
        candidates: list[tuple[int, tuple[str, Node | None]]] = []
        for element in self.map.hinted("author"):
            link = element if element.tag == "a" else next(iter(element.iter("a")), None)
            if link is not None and not _is_page_link(link.get("href")):
                continue  # a tab or a button ("Vendor Info" -> #tab-seller), not the seller
            if link is not None and self.map.text(link):
                candidates.append((self.map.position(element), (self.map.text(link) or "", link)))
            else:  # its first line that is not a heading: "Annonceur : Nadia (particulier)"
                shown = lines_of(element, lambda e: self.map.is_hidden(e) or e.tag in HEADINGS)
                name = strip_label(shown[0]) if shown else None
                if name and len(name) <= 80:
                    candidates.append((self.map.position(element), (name, None)))
        contact_blocks = set(self.map.hinted("contact", innermost=False))
        for pair in self.map.pairs:
            folded = pair.label.casefold()
            weak = labels.NAME.search(folded) and any(a in contact_blocks for a in pair.line.iterancestors())
            if (labels.AUTHOR.search(folded) or weak) and len(pair.value) <= 80:
                link = pair.link()
                candidates.append(
                    (self.map.position(pair.line), (self.map.text(link) if link is not None else pair.value, link))
                )
        for link in select_xpath(self.root, "//a[@href]"):
            text = self.map.text(link)
            path = urlsplit(link.get("href", "")).path
            if text and 2 <= len(text) <= 60 and _PROFILE_PATH.search(path) and not self.map.outside(link):
                candidates.append((self.map.position(link), (text, link)))
        found = self.map.pick(candidates)
        if found is None:
            return {}
        name, link = found
        name = _QUALIFIER.sub("", name) or name  # "Nadia (particulier)", "Blitz (gewerblich)"
        if link is None:  # the same name as a link elsewhere (a "Store name" line and the vendor's link)
            link = next((c[1][1] for c in candidates if c[1][1] is not None and c[1][0] == name), None)
        if link is None:
            return {"name": name}
        href = self.response.urljoin(link.get("href"))
        user_id = url_native_id(href, digits_only=False)
        return {"name": name, "id": _EXTENSION.sub("", user_id) if user_id else None, "url": href}

    def contacts(self) -> dict[str, Any]:
        lines: dict[Node, int] = {}

        def add(element: Node) -> None:
            line = layout.line_of(element)
            if line is not None and not self._in_body(line) and not self.map.outside(line):
                lines.setdefault(line, self.map.position(line))

        for block in self.map.hinted("contact", innermost=False):
            if self.map.position(block) < self.map.anchor or self._in_body(block):
                continue
            for element in [block, *block.iterdescendants()]:
                if (
                    isinstance(element.tag, str)
                    and layout.is_line(element)
                    and looks_like_contact(self.map.text(element) or "")
                ):
                    add(element)
        for link in select_xpath(self.root, "//a[starts-with(@href, 'tel:') or starts-with(@href, 'mailto:')]"):
            if self.map.position(link) >= self.map.anchor:
                add(link)
        for pair in self.map.labelled(labels.CONTACT):
            if looks_like_contact(pair.value) and self.map.position(pair.line) >= self.map.anchor:
                add(pair.line)
        shown = (self.map.text(line) for line in sorted(lines, key=lines.__getitem__))
        return {"raw": list(dict.fromkeys(text for text in shown if text))}

    def images(self) -> list[str]:
        found = layout.gallery_images(self.map, self._body_node)
        if not found:
            og_image = layout.meta(self.root, "/html/head/meta[@property='og:image']/@content")
            found = [og_image] if og_image else []
        return list(dict.fromkeys(self.response.urljoin(url) for url in found))

    def category(self) -> str | None:
        found = layout.breadcrumb_category(self.map, self._title)
        if found:
            return found
        pair = next(iter(self.map.labelled(labels.CATEGORY)), None)
        return pair.value if pair else None

    def attributes(self) -> dict[str, str]:
        """Pairs shown as a table of two or more rows, minus the fields a listing has a place for."""
        groups: dict[Node, list[tuple[str, str]]] = {}
        boxes = set(self.map.hinted("contact", innermost=False)) | set(self.map.hinted("author", innermost=False))
        for pair in self.map.pairs:  # a seller box's "Member since" is about the seller, not the ad
            if pair.segment or any(a in boxes for a in pair.line.iterancestors()) or self._in_body(pair.line):
                continue
            parent = pair.line.getparent()
            if parent is not None and parent.tag == "tbody":
                parent = parent.getparent()
            groups.setdefault(parent, []).append((pair.label, pair.value))
        found: dict[str, str] = {}
        for rows in groups.values():
            if len(rows) < 2:
                continue
            for label, value in rows:
                if not labels.is_core(label) and label not in found:
                    found[label] = value
        return found

    def rating(self) -> dict[str, Any]:
        candidates: list[tuple[int, dict[str, Any]]] = []
        for element in self.map.hinted("rating", innermost=False):
            found = _RATED.search(element.get("aria-label") or element.get("title") or self.map.text(element) or "")
            if found:
                raw, scale = (float(g.replace(",", ".")) for g in found.groups())
                if 0 <= raw <= scale <= 100:
                    candidates.append((self.map.position(element), normalise_rating(raw, scale)))
        return self.map.pick(candidates) or {}

    # -- the listing --------------------------------------------------------------------------

    def listing(self) -> dict[str, Any] | None:
        def extra() -> dict[str, Any]:
            attributes = self.attributes()
            return {"attributes": attributes} if attributes else {}

        return ad_listing(self, contacts=self.contacts, extra=extra, rating=self.rating)


def _is_page_link(href: str | None) -> bool:
    return bool(href) and not href.startswith(("#", "javascript:"))


def url_native_id(url: str, digits_only: bool = True) -> str | None:
    """An id from a URL: an ``?id=`` style parameter, else the last run of 3+ digits, else the last path segment."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for name in _ID_QUERY:
        values = query.get(name)
        if values and values[0].strip():
            return values[0].strip()
    if digits_only:
        for segment in reversed([s for s in parts.path.split("/") if s]):
            if _PREFIXED_ID.match(segment):
                return segment  # "a10063": the letters belong to the id
            runs = [
                r for r in _DIGITS.findall(segment) if not (len(r) == 4 and r.startswith(("19", "20")) and r == segment)
            ]
            if runs:
                return runs[-1]
    return last_path_segment(url)
