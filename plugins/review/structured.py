"""Layer 3: schema.org structured data (JSON-LD, microdata, RDFa) for pages no engine preset reads.

Review sites mark their business up as ``LocalBusiness`` (or a subtype:
``Hotel``, ``EmploymentAgency``...), ``Organization`` or ``Product`` with an
``AggregateRating`` and ``Review`` items, for search engines' rich results.
That data is cleaner than any heuristic reading of the markup, so it is tried
before the generic heuristics (it costs extruct's few milliseconds, which is
why presets come first). OpenGraph's ``og:title`` names the business when no
item does. Dates are the data's own (``datePublished``), so ``posted_at_raw``
holds that value rather than the text shown beside it.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from crawler import structured as schema
from crawler.extract import clean, last_path_segment
from plugins.review.page import BusinessPage
from plugins.review.parsing import rating

BUSINESS_TYPES = (
    "LocalBusiness", "Organization", "Product", "Hotel", "LodgingBusiness", "Hostel", "BedAndBreakfast", "Motel",
    "Resort", "EmploymentAgency", "ProfessionalService", "Restaurant", "FoodEstablishment", "Store",
    "HealthAndBeautyBusiness", "DaySpa", "NightClub", "EntertainmentBusiness", "TravelAgency", "Corporation",
    "Place", "Service", "Brand", "HomeAndConstructionBusiness", "AutomotiveBusiness", "MedicalBusiness",
)  # fmt: skip
_TOKEN_ID = re.compile(r"^(?:[A-Za-z]{1,3}|[A-Za-z][A-Za-z_-]*[-_])(\d+)$")


def native_token(value: str | None) -> str | None:
    """An id as a page spells it, without a word prefix.

    ``review-1842``, ``opinia_77``, ``e8812`` -> ``1842``, ``77``, ``8812``; hex ids stay whole.
    """
    value = clean(value)
    if not value:
        return None
    found = _TOKEN_ID.match(value)
    return found.group(1) if found else value


def _item_id(item: dict[str, Any]) -> str | None:
    """A review's id from its ``@id`` or ``url``: the fragment, else the last path segment."""
    for key in ("@id", "url", "identifier"):
        value = schema.text(item.get(key))
        if not value:
            continue
        if "#" in value:
            return native_token(value.rsplit("#", 1)[1].rstrip("/").rsplit("/", 1)[-1])
        if "/" in value:
            return native_token(last_path_segment(value))
        return native_token(value)
    return None


def _schema_rating(value: Any) -> dict[str, float | None]:
    """A ``Rating`` / ``AggregateRating`` item as the listing's rating (``bestRating`` is the scale, 5 by default)."""
    if not isinstance(value, dict):
        return {}
    raw = schema.number(value.get("ratingValue"))
    if raw is None:
        return {}
    best = schema.number(value.get("bestRating")) or (10.0 if raw > 5 else 5.0)
    return rating((raw, best))


class StructuredBusinessPage(BusinessPage):
    """The business item with an aggregate rating, and every ``Review`` item on the page."""

    engine = "structured"

    @cached_property
    def _business(self) -> dict[str, Any]:
        found = schema.schema_items(self.response, *BUSINESS_TYPES)
        candidates = [item for item in found if "aggregateRating" in item or "review" in item]
        return (candidates or [{}])[0]

    @cached_property
    def _reviews(self) -> list[dict[str, Any]]:
        seen: set[str] = set()
        out = []
        for item in schema.schema_items(self.response, "Review"):
            if not (item.get("reviewBody") or item.get("name") or item.get("headline") or item.get("description")):
                continue  # a reference (``{"@id": ...}``) to an item described elsewhere in the graph
            key = str(item.get("@id") or id(item))
            if key not in seen:
                seen.add(key)
                out.append(item)
        return out

    @cached_property
    def _breadcrumbs(self) -> list[str]:
        for trail in schema.schema_items(self.response, "BreadcrumbList"):
            elements = trail.get("itemListElement") or []
            names = [schema.text(e.get("name") or e.get("item")) for e in elements if isinstance(e, dict)]
            if names:
                return [name for name in names if name]
        return []

    def reviews(self) -> list[Any]:
        return self._reviews

    def business_name(self) -> str | None:
        name = schema.text(self._business.get("name"))
        return name or schema.opengraph(self.response).get("og:title")

    def business_description(self) -> str | None:
        return clean(schema.text(self._business.get("description")))

    def category(self) -> str | None:
        return self._breadcrumbs[-2] if len(self._breadcrumbs) >= 2 else None

    def address(self) -> str | None:
        address = self._business.get("address")
        if isinstance(address, list):
            address = address[0] if address else None
        if not isinstance(address, dict):
            return clean(schema.text(address))
        street = schema.text(address.get("streetAddress"))
        town = clean(" ".join(filter(None, (schema.text(address.get(k)) for k in ("postalCode", "addressLocality")))))
        country = schema.text(address.get("addressCountry"))
        return ", ".join(part for part in (street, town, country) if part) or None

    def aggregate_rating(self) -> dict[str, float | None]:
        return _schema_rating(self._business.get("aggregateRating"))

    def review_count(self) -> int | None:
        aggregate = self._business.get("aggregateRating")
        if not isinstance(aggregate, dict):
            return None
        count = schema.number(aggregate.get("reviewCount") or aggregate.get("ratingCount"))
        return int(count) if count is not None else None

    def contacts(self) -> list[str]:
        values = (schema.text(self._business.get(key)) for key in ("telephone", "email"))
        return [value.removeprefix("mailto:").removeprefix("tel:") for value in values if value]

    def review_id(self, node: dict[str, Any]) -> str | None:
        return _item_id(node)

    def review_title(self, node: dict[str, Any]) -> str | None:
        return clean(schema.text(node.get("name") or node.get("headline")))

    def review_body(self, node: dict[str, Any]) -> str | None:
        body = schema.text(node.get("reviewBody") or node.get("description"))
        if not body:
            return None
        lines = (clean(line) for line in body.splitlines())
        return "\n".join(line for line in lines if line) or None

    def review_author(self, node: dict[str, Any]) -> dict[str, str | None]:
        author = node.get("author")
        if isinstance(author, list):
            author = author[0] if author else None
        if not isinstance(author, dict):
            name = clean(schema.text(author))
            return {"name": name} if name else {}
        name, url = clean(schema.text(author.get("name"))), schema.text(author.get("url"))
        if not url:
            return {"name": name} if name else {}
        url = self.response.urljoin(url)
        return {"name": name, "id": last_path_segment(urlsplit(url).path), "url": url}

    def review_rating(self, node: dict[str, Any]) -> dict[str, float | None]:
        return _schema_rating(node.get("reviewRating"))

    def review_language(self, node: dict[str, Any]) -> str | None:
        return clean(schema.text(node.get("inLanguage")))

    def review_date(self, node: dict[str, Any], language: str | None) -> tuple[str | None, datetime | None]:
        raw = clean(schema.text(node.get("datePublished") or node.get("dateCreated")))
        return raw, self.parse_date(raw, None, language) if raw else None
