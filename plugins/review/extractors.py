"""Extraction of businesses and reviews from review-site business pages, one engine preset per markup family.

An engine preset is a :class:`BusinessPage` subclass: a table of named CSS
selectors plus one method per field, in the spirit of web-poet page objects.
:class:`BusinessPage` assembles the listings (business on the first review
page, then every review on the page) and knows nothing about markup, so a new
engine only maps fields to its own markup and registers in :data:`ENGINES`.
A site profile can override any named selector through its ``selectors``
table (``business_name: "h1.title"``) without writing code.

Everything here runs once per crawled page: CSS selectors compiled once and
run on lxml elements (:func:`crawler.extract.select` / ``first``), regexes
compiled at import, dateparser only for reviews without a machine-readable
date.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response, TextResponse

from crawler.extract import (
    Node,
    clean,
    element_block_text,
    element_text,
    fetch_time,
    first,
    last_path_segment,
    normalise_rating,
    parse_datetime,
    select,
)
from crawler.profiles import SiteProfile

DEFAULT_ENGINE = "yelpish"
# Languages dateparser is given as a hint for textual dates (from the review's lang attribute).
DATE_LANGUAGES = frozenset({"en", "de", "fr", "ro", "es", "it", "nl", "pl", "pt", "uk", "ru", "cs", "hu", "bg"})
_OUT_OF = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:out of|/|von|sur|din)\s*(\d+(?:[.,]\d+)?)", re.IGNORECASE)
_INTEGER = re.compile(r"\d+")


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_out_of(text: str | None) -> tuple[float, float] | None:
    """``"4.2 out of 5"``, ``"8/10"`` -> ``(4.2, 5.0)``, ``(8.0, 10.0)``."""
    if not text:
        return None
    found = _OUT_OF.search(text)
    if not found:
        return None
    return _number(found.group(1)), _number(found.group(2))


class BusinessPage:
    """One business page of a review site, read as listings; engine presets fill in the field methods.

    Field methods receive lxml elements (the page root, or one review's
    element) and look things up through the named selectors in
    :attr:`selectors` (the engine's :attr:`css` table, overridden by the site
    profile's ``selectors``).
    """

    engine: ClassVar[str] = ""
    css: ClassVar[dict[str, str]] = {}

    def __init__(self, response: TextResponse, profile: SiteProfile) -> None:
        self.response = response
        self.profile = profile
        self.root: Node = response.selector.root
        self.selectors = {**self.css, **profile.selectors}
        self._now: datetime | None = None

    # -- assembly ----------------------------------------------------------

    def listings(self) -> list[dict[str, Any]]:
        """The business (on its first review page only) and the reviews shown on this page."""
        if not isinstance(self.root, Node):
            return []
        native_id = self.business_id()
        if not native_id:
            return []
        parent_id = f"{self.profile.name}:business:{native_id}"
        category = self.category()
        out: list[dict[str, Any]] = []
        if self.is_first_page():
            business = self.business(native_id, category)
            if business:
                out.append(business)
        for node in self.all("review"):
            review = self.review(node, parent_id, category)
            if review:
                out.append(review)
        return out

    def business(self, native_id: str, category: str | None) -> dict[str, Any] | None:
        title, body = self.business_name(), self.business_description()
        if not (title or body):
            return None
        item: dict[str, Any] = {
            "kind": "business",
            "native_id": native_id,
            "title": title,
            "body": body,
            "category": category,
            "location": {"raw": self.address()},
            "rating": self.aggregate_rating(),
            "contacts": {"raw": self.contacts()},
            "extra": {"review_count": self.review_count()},
        }
        parts = self.address_parts()
        if parts:
            item["extra"]["address"] = parts
        return item

    def review(self, node: Node, parent_id: str, category: str | None) -> dict[str, Any] | None:
        title, body = self.review_title(node), self.review_body(node)
        if not (title or body):
            return None
        language = self.review_language(node)
        posted_at_raw, posted_at = self.review_date(node, language)
        item: dict[str, Any] = {
            "kind": "review",
            "native_id": self.review_id(node),
            "title": title,
            "body": body,
            "author": self.review_author(node),
            "rating": self.review_rating(node),
            "posted_at": posted_at,
            "posted_at_raw": posted_at_raw,
            "language": language,
            "parent_id": parent_id,
            "category": category,
            "extra": {},
        }
        response = self.owner_response(node)
        if response:
            item["extra"]["owner_response"] = response
        return item

    # -- helpers -----------------------------------------------------------

    def all(self, key: str, node: Node | None = None) -> list[Any]:
        """Everything the named selector matches under ``node`` (the page by default)."""
        return select(self.root if node is None else node, self.selectors[key])

    def one(self, key: str, node: Node | None = None) -> Any | None:
        return first(self.root if node is None else node, self.selectors[key])

    def now(self) -> datetime:
        if self._now is None:
            self._now = fetch_time(self.response)
        return self._now

    def parse_date(self, machine: str | None, shown: str | None, language: str | None) -> datetime | None:
        """The machine-readable date when there is one (fast path); the shown text through dateparser otherwise."""
        if machine:
            found = parse_datetime(machine, timezone=self.profile.timezone)
            if found:
                return found
        if not shown:
            return None
        hint = (language,) if language in DATE_LANGUAGES else None
        return parse_datetime(shown, now=self.now(), timezone=self.profile.timezone, languages=hint)

    # -- fields an engine implements -----------------------------------------

    def business_id(self) -> str | None:
        raise NotImplementedError

    def is_first_page(self) -> bool:
        raise NotImplementedError

    def business_name(self) -> str | None:
        raise NotImplementedError

    def business_description(self) -> str | None:
        raise NotImplementedError

    def category(self) -> str | None:
        raise NotImplementedError

    def address(self) -> str | None:
        raise NotImplementedError

    def address_parts(self) -> dict[str, str]:
        return {}

    def aggregate_rating(self) -> dict[str, float | None]:
        raise NotImplementedError

    def review_count(self) -> int:
        raise NotImplementedError

    def contacts(self) -> list[str]:
        raise NotImplementedError

    def review_id(self, node: Node) -> str | None:
        raise NotImplementedError

    def review_title(self, node: Node) -> str | None:
        raise NotImplementedError

    def review_body(self, node: Node) -> str | None:
        raise NotImplementedError

    def review_author(self, node: Node) -> dict[str, str | None]:
        raise NotImplementedError

    def review_rating(self, node: Node) -> dict[str, float | None]:
        raise NotImplementedError

    def review_language(self, node: Node) -> str | None:
        return None

    def review_date(self, node: Node, language: str | None) -> tuple[str | None, datetime | None]:
        raise NotImplementedError

    def owner_response(self, node: Node) -> dict[str, str | None] | None:
        return None


class YelpishBusinessPage(BusinessPage):
    """Yelp/Trustpilot-style markup: ``/biz/<slug>?page=N``, ``h1.biz-name``, ``article.review``.

    Ratings: the aggregate in an ``aria-label`` ("4.2 out of 5", "8.4 out of
    10"); a review's stars in ``data-rating`` (5-point) or as text "8/10".
    Dates: ``<time datetime>`` on most reviews, shown text ("2 weeks ago",
    "12. März 2026") on the others, parsed in the review's ``lang``.
    """

    engine = "yelpish"
    css: ClassVar[dict[str, str]] = {
        "business_name": "h1.biz-name",
        "business_description": "div.biz-description",
        "category": "a.biz-category",
        "address": "div.biz-contact address",
        "aggregate": ".biz-rating [aria-label]::attr(aria-label)",
        "review_count": ".biz-rating .review-count",
        "contacts": "div.biz-contact .contact-item a",
        "current_page": "nav.review-pagination [aria-current=page]::text",
        "review": "article.review",
        "review_title": ".review-title",
        "review_body": "div.review-text",
        "review_author": "a.author-name",
        "review_stars": "[data-rating]::attr(data-rating)",
        "review_score": ".review-score::text",
        "review_date": ".review-date",
        "owner_response": "div.owner-response",
        "owner_response_text": ".owner-response-text",
        "owner_response_date": "time",
    }

    def business_id(self) -> str | None:
        parts = urlsplit(self.response.url).path.rstrip("/").split("/")
        return parts[-1] if len(parts) >= 3 and parts[-2] == "biz" and parts[-1] else None

    def is_first_page(self) -> bool:
        current = self.one("current_page")
        if current and current.strip().isdigit():
            return int(current) == 1
        page = parse_qs(urlsplit(self.response.url).query).get("page", ["1"])[0]
        return page in ("", "1")

    def business_name(self) -> str | None:
        return element_text(self.all("business_name")[:1])

    def business_description(self) -> str | None:
        return element_block_text(self.all("business_description")[:1])

    def category(self) -> str | None:
        return element_text(self.all("category")[:1])

    def address(self) -> str | None:
        # Parts are separate elements with the punctuation between them: join the text as it is.
        return element_text(self.all("address")[:1], separator="")

    def address_parts(self) -> dict[str, str]:
        node = self.one("address")
        if node is None:
            return {}
        names = {"street": ".street-address", "postal_code": ".postal-code", "city": ".locality",
                 "country": ".country-name"}  # fmt: skip
        parts = {name: element_text(select(node, css)[:1]) for name, css in names.items()}
        return {name: value for name, value in parts.items() if value}

    def aggregate_rating(self) -> dict[str, float | None]:
        found = parse_out_of(self.one("aggregate"))
        return normalise_rating(*found) if found else {}

    def review_count(self) -> int:
        found = _INTEGER.search(element_text(self.all("review_count")[:1]) or "")
        return int(found.group()) if found else 0

    def contacts(self) -> list[str]:
        return [text for text in (element_text([a]) for a in self.all("contacts")) if text]

    def review_id(self, node: Node) -> str | None:
        found = node.get("data-review-id") or (node.get("id") or "").removeprefix("review-")
        return found or None

    def review_title(self, node: Node) -> str | None:
        return element_text(self.all("review_title", node)[:1])

    def review_body(self, node: Node) -> str | None:
        return element_block_text(self.all("review_body", node)[:1])

    def review_language(self, node: Node) -> str | None:
        body = self.one("review_body", node)
        return clean(body.get("lang")) if body is not None else None

    def review_author(self, node: Node) -> dict[str, str | None]:
        link = self.one("review_author", node)
        if link is None:
            return {}
        name, href = element_text([link]), link.get("href")
        if not href:
            return {"name": name}
        return {"name": name, "id": last_path_segment(href), "url": self.response.urljoin(href)}

    def review_rating(self, node: Node) -> dict[str, float | None]:
        stars = self.one("review_stars", node)
        if stars:
            return normalise_rating(_number(stars), 5.0)
        found = parse_out_of(self.one("review_score", node))
        return normalise_rating(*found) if found else {}

    def review_date(self, node: Node, language: str | None) -> tuple[str | None, datetime | None]:
        date = self.one("review_date", node)
        if date is None:
            return None, None
        shown = element_text([date])
        return shown, self.parse_date(date.get("datetime"), shown, language)

    def owner_response(self, node: Node) -> dict[str, str | None] | None:
        block = self.one("owner_response", node)
        if block is None:
            return None
        return {
            "text": element_block_text(self.all("owner_response_text", block)[:1]),
            "posted_at_raw": element_text(self.all("owner_response_date", block)[:1]),
        }


ENGINES: dict[str, type[BusinessPage]] = {YelpishBusinessPage.engine: YelpishBusinessPage}


def extract_business_page(response: Response, profile: SiteProfile) -> list[dict[str, Any]] | None:
    """Listings of one business page, or ``None`` when the profile's engine is not one of :data:`ENGINES`."""
    engine = ENGINES.get(profile.engine or DEFAULT_ENGINE)
    if engine is None:
        return None
    if not isinstance(response, TextResponse) or not response.body:
        return []
    return engine(response, profile).listings()
