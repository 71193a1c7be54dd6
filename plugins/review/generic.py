"""Layer 4: generic heuristics for review software the plugin has never seen.

Reviews are repeated sibling blocks (same tag and class) that each carry
text and a date or a rating: the block group scoring best is taken as the
reviews. Inside a block, fields are found by what the page calls them
(:mod:`plugins.review.heuristics`: "author", "date", "rating", "text"...,
in several languages) and by patterns (dates, "4/5", star icons, "von
<b>Name</b>"). The business is read from around the blocks: the ``h1``, a
description after it, an address, contact items, the breadcrumb's last link
and the rating and review count shown before the first review.

A profile's ``selectors`` still win here: ``review`` (the blocks) and any
field named in ``SELECTOR_FIELDS``.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawler.extract import Node, clean, element_block_text, element_text, last_path_segment, select
from plugins.review import heuristics as h
from plugins.review.blocks import EXCLUDED, core, find_review_blocks, is_by_word, is_contact_item, unlabel
from plugins.review.page import BusinessPage
from plugins.review.parsing import rating, review_count, strip_date_label
from plugins.review.structured import native_token

_PROFILE_LINK = re.compile(r"/(?:user|users|member|members|profile|profiles|profil|people|reviewer|u)/[^/?#]+", re.I)
_REVIEW_LINK = re.compile(r"/reviews?/([\w-]{4,})|[?&](?:review|rid|eid|opinia|review_id)=(\w+)", re.I)
_COUNT_REVERSED = re.compile(r"(?:reviews|bewertungen|opinii|recenzii|avis|opinie)\s*:?\s*\(?(\d[\d,.]*)\)?", re.I)
_CONTACT_HINTS = ("contact", "kontakt")
_ADDRESS_HINTS = ("address", "adresse", "adres", "addr", "anschrift", "street")
_DESCRIPTION_HINTS = ("description", "beschreibung", "descriere", "opis", "descr")
_ABOUT_HINTS = ("about", "intro", "bio", "summary-text")
_CRUMB_HINTS = ("breadcrumb", "crumbs", "trail", "pfad", "brotkrumen")
SELECTOR_FIELDS = ("business_name", "business_description", "address", "category", "contacts", "review_title",
                   "review_body", "review_author", "review_date")  # fmt: skip


class GenericBusinessPage(BusinessPage):
    """Any review page: blocks found by repetition, fields by names and patterns."""

    engine = "generic"

    # -- the page's parts ------------------------------------------------------

    @cached_property
    def blocks(self) -> list[Node]:
        if "review" in self.profile.selectors:
            return [n for n in self.all("review") if h.is_element(n)]
        return find_review_blocks(self.root)

    @cached_property
    def _in_blocks(self) -> set[Node]:
        return {node for block in self.blocks for node in block.iter()}

    @cached_property
    def _order(self) -> dict[Node, int]:
        return {node: index for index, node in enumerate(self.root.iter())}

    @cached_property
    def _h1(self) -> Node | None:
        return next((n for n in self.root.iter("h1") if element_text([n])), None)

    def _outside(self, stop_at_reviews: bool = False, skip: frozenset[str] = EXCLUDED) -> list[Node]:
        """Elements outside the review blocks (after the h1; before the first review when asked), in page order."""
        start = self._order.get(self._h1, -1) if self._h1 is not None else -1
        end = self._order[self.blocks[0]] if stop_at_reviews and self.blocks else len(self._order)
        out = []
        for node in self.root.iter():
            index = self._order[node]
            if index <= start or index >= end or not h.is_element(node) or node in self._in_blocks:
                continue
            if node.tag in skip or any(a.tag in skip for a in node.iterancestors()):
                continue
            out.append(node)
        return out

    def _override(self, key: str, node: Node | None = None) -> list[Any] | None:
        """What the profile's selector for ``key`` matches (``None`` when the profile names none)."""
        if key not in self.profile.selectors:
            return None
        return select(self.root if node is None else node, self.profile.selectors[key])

    def reviews(self) -> list[Any]:
        return self.blocks

    # -- business ----------------------------------------------------------------

    def business_name(self) -> str | None:
        override = self._override("business_name")
        if override is not None:
            return element_text(override[:1])
        return element_text([self._h1]) if self._h1 is not None else None

    def business_description(self) -> str | None:
        override = self._override("business_description")
        if override is not None:
            return element_block_text(override[:1])
        candidates = self._outside()
        for words in (_DESCRIPTION_HINTS, _ABOUT_HINTS):
            for node in candidates:
                if node.tag != "meta" and h.has_hint(node, words) and len(h.visible_text(node)) >= 40:
                    return element_block_text([core(node)])
        first = next((n for n in candidates if n.tag == "p" and len(h.visible_text(n)) >= 40), None)
        if first is None:
            return None
        paragraphs = [first]
        for sibling in first.itersiblings():
            if sibling.tag != "p" or sibling in self._in_blocks:
                break
            paragraphs.append(sibling)
        texts = (element_block_text([p]) for p in paragraphs)
        return "\n".join(t for t in texts if t) or None

    def category(self) -> str | None:
        override = self._override("category")
        if override is not None:
            return element_text(override[:1])
        name = self.business_name()
        for node in self.root.iter():
            if (
                h.is_element(node)
                and node not in self._in_blocks
                and (h.has_hint(node, _CRUMB_HINTS) or "breadcrumb" in (node.get("aria-label") or "").lower())
            ):
                links = [t for t in (element_text([a]) for a in node.iter("a")) if t and t != name]
                if len(links) >= 2:
                    return links[-1]
        tagged = next((a for a in self.root.iter("a") if "category" in (a.get("rel") or "")), None)
        return element_text([tagged]) if tagged is not None else None

    def address(self) -> str | None:
        override = self._override("address")
        if override is not None:
            return unlabel(h.lines_text(override[0])) if override else None
        candidates = self._outside()
        for node in candidates:
            if node.tag == "address":
                return unlabel(h.lines_text(node))
        for node in candidates:
            described = h.hints(node)
            if any(w in described for w in _ADDRESS_HINTS) and "mail" not in described:
                text = h.lines_text(node)
                if text and len(text) <= 150 and any(c.isdigit() for c in text):
                    return unlabel(text)
            if node.tag in ("i", "span", "svg") and ("map-marker" in described or "map-pin" in described):
                parent = node.getparent()
                return unlabel(clean(h.visible_text(parent))) if parent is not None else None
        return None

    def aggregate_rating(self) -> dict[str, float | None]:
        for node in self._outside(stop_at_reviews=True):
            if h.has_hint(node, h.RATING_HINTS):
                found = h.find_rating(node)
                if found:
                    return rating(self._scaled(found))
        return {}

    def review_count(self) -> int | None:
        for node in self._outside(stop_at_reviews=True):
            text = h.visible_text(node)
            if not text or len(text) > 80:
                continue
            count = review_count(text)
            if count is None:
                found = _COUNT_REVERSED.search(text)
                count = int(re.sub(r"\D", "", found.group(1))) if found else None
            if count is not None:
                return count
        return None

    def contacts(self) -> list[str]:
        override = self._override("contacts")
        if override is not None:
            return [t for t in (element_text([n]) for n in override) if t]
        found: dict[Node, None] = {}
        for node in self._outside():
            if node.tag == "a" and (node.get("href") or "").startswith(("tel:", "mailto:")):
                found[node] = None
            elif h.has_hint(node, _CONTACT_HINTS) and not is_contact_item(node):
                found.update(
                    (a, None) for a in node.iter("a") if (a.get("href") or "").startswith(("tel:", "mailto:", "http"))
                )
            elif is_contact_item(node) and len(h.visible_text(node)) <= 80:
                links = list(node.iter("a"))
                found.update((n, None) for n in (links or [node]))
        ordered = sorted(found, key=self._order.__getitem__)
        texts = (clean(h.visible_text(n)) for n in ordered if not any(a in found for a in n.iterancestors()))
        return list(dict.fromkeys(t for t in texts if t and len(t) <= 80))

    def _scaled(self, found: tuple[float, float, bool]) -> tuple[float, float]:
        """A bare score's scale from the whole page: one "7.5" among the reviews makes every bare score /10."""
        raw, scale, explicit = found
        if not explicit and raw <= 5 and self._ten_point:
            scale = 10.0
        return raw, scale

    @cached_property
    def _ten_point(self) -> bool:
        for block in self.blocks:
            found = h.find_rating(block, self._response_of(block))
            if found and not found[2] and found[0] > 5:
                return True
        return False

    # -- reviews ----------------------------------------------------------------

    def _response_of(self, block: Node) -> frozenset[Node]:
        response = self._response_node(block)
        return frozenset() if response is None else frozenset({response})

    def _response_node(self, block: Node) -> Node | None:
        total = len(h.visible_text(block)) or 1
        for node in h.elements(block):
            if node is block or not h.has_hint(node, h.RESPONSE_HINTS):
                continue
            current = node
            while (
                len(h.visible_text(current)) < 40
                and current.getparent() is not None
                and current.getparent() is not block
            ):
                current = current.getparent()
            if len(h.visible_text(current)) < 0.8 * total:
                return current
        return None

    def review_id(self, node: Node) -> str | None:
        for attribute in ("data-reviewid", "data-review-id", "id", "data-id"):
            if node.get(attribute):
                return native_token(node.get(attribute))
        inner = next(
            (n for n in node.iter() if h.is_element(n) and (n.get("data-reviewid") or n.get("data-review-id"))), None
        )
        if inner is not None:
            return native_token(inner.get("data-reviewid") or inner.get("data-review-id"))
        previous = node.getprevious()
        if previous is not None and previous.tag == "a" and not element_text([previous]):
            anchor = previous.get("name") or previous.get("id")
            if anchor:
                return native_token(anchor)
        for link in node.iter("a"):
            found = _REVIEW_LINK.search(link.get("href") or "")
            if found:
                return native_token(found.group(1) or found.group(2))
        return None

    def _skip(self, node: Node) -> frozenset[Node]:
        return self._response_of(node)

    def _title_node(self, node: Node) -> Node | None:
        for element in h.elements(node, self._skip(node)):
            if element is node:
                continue
            if element.tag in ("h2", "h3", "h4", "h5", "h6") or h.has_hint(element, h.TITLE_HINTS):
                text = h.visible_text(element)
                if text and len(text) <= 200:
                    return element
        return None

    def review_title(self, node: Node) -> str | None:
        override = self._override("review_title", node)
        if override is not None:
            return element_text(override[:1])
        title = self._title_node(node)
        return h.visible_text(title) if title is not None else None

    def _body_node(self, node: Node) -> Node | None:
        skip = self._skip(node)
        title = self._title_node(node)
        best: tuple[int, Node | None] = (0, None)
        for element in h.elements(node, skip):
            if element is node or not h.has_hint(element, h.BODY_HINTS):
                continue
            if title is not None and (title is element or any(a is element for a in title.iterancestors())):
                continue
            text = h.visible_text(element, skip)
            if len(text) > best[0]:
                best = (len(text), element)
        return best[1]

    def review_body(self, node: Node) -> str | None:
        override = self._override("review_body", node)
        if override is not None:
            return element_block_text(override[:1])
        body = self._body_node(node)
        return element_block_text([body]) if body is not None else None

    def review_language(self, node: Node) -> str | None:
        body = self._body_node(node)
        for element in ([body] if body is not None else []) + [node]:
            if element.get("lang"):
                return clean(element.get("lang"))
        return None

    def review_author(self, node: Node) -> dict[str, str | None]:
        override = self._override("review_author", node)
        if override is not None:
            return {"name": element_text(override[:1])} if override else {}
        skip = self._skip(node)
        parts = h.elements(node, skip)
        for link in (e for e in parts if e.tag == "a"):
            href = link.get("href") or ""
            if _PROFILE_LINK.search(urlsplit(href).path) or "user" in parse_qs(urlsplit(href).query):
                named = next(
                    (e for e in link.iter() if h.is_element(e) and e is not link and "name" in h.hints(e)), None
                )
                name = h.visible_text(named) if named is not None else clean(link.text) or h.visible_text(link)
                url = self.response.urljoin(href)
                return {"name": name, "id": last_path_segment(url), "url": url}
        for element in parts:
            if element is not node and h.has_hint(element, h.AUTHOR_HINTS):
                name = next((clean(t) for t in element.itertext() if clean(t) and not is_by_word(t)), None)
                if name and len(name) <= 60:
                    return {"name": name}
        for element in parts:
            if element.tag in ("b", "strong", "span", "em") and h.preceded_by_word(element):
                name = h.visible_text(element)
                if name and len(name) <= 60:
                    return {"name": name}
        return {}

    def review_rating(self, node: Node) -> dict[str, float | None]:
        found = h.find_rating(node, self._skip(node))
        return rating(self._scaled(found)) if found else {}

    def _date_of(self, node: Node, skip: frozenset[Node]) -> tuple[str | None, str | None]:
        """``(shown, machine)``: a ``<time>``, a date-named element, else the first date in the text."""
        parts = h.elements(node, skip)
        for element in parts:
            if element.tag == "time":
                return strip_date_label(h.visible_text(element)), element.get("datetime")
        for element in parts:
            if element is not node and h.has_hint(element, h.DATE_HINTS) and not element.get("itemprop"):
                text = h.visible_text(element)
                machine = element.get("title") or element.get("content")
                if text and len(text) <= 40 and (h.find_date(text) or h.find_date(machine)):
                    return strip_date_label(text), machine
        return h.find_date(h.visible_text(node, skip)), None

    def review_date(self, node: Node, language: str | None) -> tuple[str | None, datetime | None]:
        override = self._override("review_date", node)
        if override is not None:
            shown, machine = (element_text(override[:1]), None)
        else:
            shown, machine = self._date_of(node, self._skip(node))
        if not shown and not machine:
            return None, None
        moment = h.numeric_date(shown or "", self.profile.timezone) if not machine else None
        for hint in dict.fromkeys((language, self._page_language, None)):
            moment = moment or self.parse_date(machine, shown, hint)
        return shown, moment

    @cached_property
    def _page_language(self) -> str | None:
        lang = self.root.get("lang") or ""
        return lang.split("-")[0].lower() or None

    def owner_response(self, node: Node) -> dict[str, str | None] | None:
        response = self._response_node(node)
        if response is None:
            return None
        shown, _ = self._date_of(response, frozenset())
        text = None
        inner = [e for e in h.elements(response) if e is not response and h.has_hint(e, h.BODY_HINTS)]
        if inner:
            text = element_block_text([max(inner, key=lambda e: len(h.visible_text(e)))])
        else:
            lines = (element_block_text([response]) or "").split("\n")
            header = [
                e
                for e in h.elements(response)
                if e is not response
                and (e.tag in ("b", "strong", "h3", "h4", "h5") or h.has_hint(e, ("head", "label", "title")))
            ]
            heads = {h.visible_text(e) for e in header}
            kept = [line for line in lines if line not in heads and not any(line.startswith(x) for x in heads if x)]
            text = "\n".join(kept) or None
        if not text:
            return None
        out: dict[str, str | None] = {"text": text}
        if shown:
            out["posted_at_raw"] = shown
        return out
