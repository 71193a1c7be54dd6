"""The business page object: assembles listings from field methods that each layer implements.

:class:`BusinessPage` knows nothing about markup. It asks its field methods
(``business_name``, ``review_rating``, ``review_date``...) for values and
builds the listings: the business on its first review page, then every
review on the page. Engine presets (``engines/``), the structured-data layer
(``structured.py``) and the generic heuristics (``generic.py``) are
subclasses, in the spirit of web-poet page objects: one method per field,
overridden only where a markup differs.

A review "node" is whatever :meth:`BusinessPage.reviews` returns: an lxml
element for the markup layers, a schema.org dict for the structured layer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, ClassVar

from scrapy.http import TextResponse

from crawler.extract import Node, fetch_time, first, parse_datetime, select
from crawler.profiles import SiteProfile
from plugins.review.parsing import fallback_review_id, page_number, url_business_id

# Languages dateparser is given as a hint for textual dates (from the review's lang attribute).
DATE_LANGUAGES = frozenset({"en", "de", "fr", "ro", "es", "it", "nl", "pl", "pt", "uk", "ru", "cs", "hu", "bg"})


class BusinessPage(ABC):
    """One business page of a review site, read as listings; subclasses fill in the field methods.

    Markup layers look things up through the named CSS selectors in
    :attr:`selectors`: the class's :attr:`css` table overridden by the site
    profile's ``selectors`` (layer 1 of the extraction order), each compiled
    once (:func:`crawler.extract.compiled`).
    """

    engine: ClassVar[str] = ""
    # An XPath that is true (non-empty) on the pages this class reads: how an engine preset is detected.
    detect_xpath: ClassVar[str] = ""
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
        for node in self.reviews():
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
            "extra": {},
        }
        count = self.review_count()
        if count is not None:
            item["extra"]["review_count"] = count
        parts = self.address_parts()
        if parts:
            item["extra"]["address"] = parts
        return item

    def review(self, node: Any, parent_id: str, category: str | None) -> dict[str, Any] | None:
        title, body = self.review_title(node), self.review_body(node)
        if not (title or body):
            return None
        language = self.review_language(node)
        posted_at_raw, posted_at = self.review_date(node, language)
        author = self.review_author(node)
        item: dict[str, Any] = {
            "kind": "review",
            "native_id": self.review_id(node) or fallback_review_id(author.get("name"), body, title),
            "title": title,
            "body": body,
            "author": author,
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
        item["extra"].update(self.review_extra(node))
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

    # -- fields a layer implements -------------------------------------------

    def business_id(self) -> str | None:
        return url_business_id(self.response.url)

    def is_first_page(self) -> bool:
        return page_number(self.response.url) == 1

    def reviews(self) -> list[Any]:
        return self.all("review")

    @abstractmethod
    def business_name(self) -> str | None:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def business_description(self) -> str | None:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def category(self) -> str | None:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def address(self) -> str | None:
        """Each engine preset and layer reads this its own way."""

    def address_parts(self) -> dict[str, str]:
        return {}

    @abstractmethod
    def aggregate_rating(self) -> dict[str, float | None]:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def review_count(self) -> int | None:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def contacts(self) -> list[str]:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def review_id(self, node: Any) -> str | None:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def review_title(self, node: Any) -> str | None:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def review_body(self, node: Any) -> str | None:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def review_author(self, node: Any) -> dict[str, str | None]:
        """Each engine preset and layer reads this its own way."""

    @abstractmethod
    def review_rating(self, node: Any) -> dict[str, float | None]:
        """Each engine preset and layer reads this its own way."""

    def review_language(self, node: Any) -> str | None:
        return None

    @abstractmethod
    def review_date(self, node: Any, language: str | None) -> tuple[str | None, datetime | None]:
        """Each engine preset and layer reads this its own way."""

    def owner_response(self, node: Any) -> dict[str, str | None] | None:
        return None

    def review_extra(self, node: Any) -> dict[str, Any]:
        """Engine-specific review fields (TripAdvisor's date of stay...), merged into ``extra``."""
        return {}
