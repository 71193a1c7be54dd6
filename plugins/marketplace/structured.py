"""Layer 3, structured data: schema.org JobPosting, listings, vehicles, lodgings, products; OpenGraph last.

Used when no preset recognises the page. Recruitment ads are often
JobPostings: ``baseSalary`` is the price, ``hiringOrganization`` the author,
``jobLocation`` the location, ``datePosted`` the posting date. A
RealEstateListing's ``mainEntity`` (the room or flat) gives the address; a
Product's or Vehicle's ``offers`` the price and seller. OpenGraph only gives a
title and images when there is no schema.org item at all.

:func:`merge` combines this layer with the generic one: the structured values
win (they are what the site meant), the page's visible renderings (the
price and date as shown, the seller's profile link, the attribute table...)
fill in and replace raw strings that agree with them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lxml import html as lxml_html
from scrapy.http import Response

from crawler.extract import clean, normalise_rating, parse_datetime
from crawler.profiles import SiteProfile
from crawler.structured import SCHEMA_SYNTAXES, extract_all, number, text, types_of, walk_items
from plugins.marketplace.page import ad_listing
from plugins.marketplace.text import lines_of, normalised, unescape

_PRIORITY: tuple[frozenset[str], ...] = (
    frozenset({"JobPosting"}),
    frozenset({"RealEstateListing"}),
    frozenset({"Vehicle", "Car", "Motorcycle", "BusOrCoach", "MotorizedBicycle"}),
    frozenset({"Accommodation", "Apartment", "House", "Room", "SingleFamilyResidence", "Suite", "HotelRoom"}),
    frozenset({"Product", "IndividualProduct", "ProductModel"}),
    frozenset({"Offer"}),
)
_WANTED = frozenset().union(*_PRIORITY)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _html_lines(value: str | None) -> str | None:
    """A description as lines: HTML markup read as blocks, plain text split at its line breaks."""
    value = unescape(value)
    if not value:
        return None
    if "<" in value and ">" in value:
        try:
            return "\n".join(lines_of(lxml_html.fragment_fromstring(value, create_parent="div"))) or None
        except Exception:  # lxml raises several kinds on broken fragments; keep the text as it came
            pass
    return "\n".join(line for line in (clean(part) for part in value.splitlines()) if line) or None


class StructuredAdPage:
    """An ad read from its schema.org item (``engine: structured`` forces this layer)."""

    name = "structured"

    def __init__(self, response: Response, profile: SiteProfile) -> None:
        self.response = response
        self.profile = profile
        data = extract_all(response, (*SCHEMA_SYNTAXES, "opengraph"))
        self.items = [item for syntax in SCHEMA_SYNTAXES for item in walk_items(data.get(syntax, []))]
        self.og: dict[str, str] = {}
        for group in data.get("opengraph", []):
            for key, value in group.items():
                if not key.startswith("@"):
                    self.og.setdefault(key, _first(value))
        self.item = self._main_item()

    def _main_item(self) -> dict[str, Any] | None:
        for group in _PRIORITY:
            for item in self.items:
                if types_of(item) & group and (item.get("name") or item.get("title") or item.get("itemOffered")):
                    if "Offer" in group:
                        offered = _first(item.get("itemOffered"))
                        return {**offered, "offers": item} if isinstance(offered, dict) else None
                    return item
        return None

    def _get(self, *keys: str) -> Any:
        for key in keys:
            value = self.item.get(key) if self.item else None
            if value not in (None, "", []):
                return value
        return None

    def _entity(self) -> dict[str, Any]:
        entity = _first(self._get("mainEntity", "about", "itemOffered"))
        return entity if isinstance(entity, dict) else {}

    def _offer(self) -> dict[str, Any]:
        offer = _first(self._get("offers") or self._entity().get("offers"))
        return offer if isinstance(offer, dict) else {}

    # -- fields -------------------------------------------------------------------------

    def native_id(self) -> str | None:
        found = _first(self._get("identifier"))
        found = text(found.get("value")) if isinstance(found, dict) else text(found)
        return found if found and " " not in found else None

    def title(self) -> str | None:
        return clean(unescape(text(self._get("title", "name")))) or clean(self.og.get("og:title"))

    def body(self) -> str | None:
        return _html_lines(text(self._get("description")))

    def price(self) -> dict[str, Any]:
        salary = self._get("baseSalary")
        if isinstance(salary, dict):
            value = salary.get("value")
            if isinstance(value, dict):
                value = value.get("value") or value.get("minValue")
            currency = text(salary.get("currency"))
        else:
            offer = self._offer()
            specification = _first(offer.get("priceSpecification"))
            value = offer.get("price") or offer.get("lowPrice")
            if value is None and isinstance(specification, dict):
                value = specification.get("price")
            currency = text(offer.get("priceCurrency"))
            if currency is None and isinstance(specification, dict):
                currency = text(specification.get("priceCurrency"))
        amount = number(value)
        if amount is None:
            return {}
        shown = text(value)
        return {"amount": amount, "currency": currency, "raw": f"{shown} {currency}" if currency else shown}

    def author(self) -> dict[str, Any]:
        party = _first(self._get("hiringOrganization", "seller", "provider", "author", "offeredBy"))
        if party is None:
            offer = self._offer()
            party = _first(offer.get("seller") or offer.get("offeredBy"))
        name = clean(unescape(text(party)))
        if not name:
            return {}
        url = text(party.get("url") or party.get("sameAs")) if isinstance(party, dict) else None
        return {"name": name, "url": url} if url else {"name": name}

    def posted(self) -> tuple[Any, str | None]:
        shown = text(self._get("datePosted", "datePublished", "dateCreated"))
        return parse_datetime(shown, timezone=self.profile.timezone), shown

    def _address(self) -> dict[str, Any]:
        places = [
            self._get("jobLocation", "address", "contentLocation", "location"),
            self._entity().get("address"),
            self._offer().get("availableAtOrFrom"),
        ]
        seller = _first(self._offer().get("seller"))
        if isinstance(seller, dict):
            places.append(seller.get("address"))
        for place in places:
            place = _first(place)
            if isinstance(place, dict):
                address = _first(place.get("address")) if "address" in place else place
                if isinstance(address, dict):
                    return address
        return {}

    def location(self) -> dict[str, Any]:
        address = self._address()
        if not address:
            return {}
        locality = text(address.get("addressLocality"))
        postcode = text(address.get("postalCode"))
        country = text(address.get("addressCountry"))
        parts = [
            text(address.get("streetAddress")),
            " ".join(filter(None, (postcode, locality))) or None,
            text(address.get("addressRegion")),
            country,
        ]
        found: dict[str, Any] = {"raw": ", ".join(p for p in parts if p) or None}
        if locality:
            found["city"] = locality
        if country and len(country) == 2 and country.isalpha():
            found["country"] = country.upper()
        return found

    def images(self) -> list[str]:
        found = self._get("image") or self._entity().get("image") or self.og.get("og:image")
        urls = []
        for image in found if isinstance(found, list) else [found]:
            url = text(image.get("url") or image.get("contentUrl")) if isinstance(image, dict) else text(image)
            if url:
                urls.append(self.response.urljoin(url))
        return list(dict.fromkeys(urls))

    def category(self) -> str | None:
        found = clean(unescape(text(self._get("category", "industry"))))
        return found or self._breadcrumb_category()

    def _breadcrumb_category(self) -> str | None:
        """The last crumb of a BreadcrumbList that is not the ad itself."""
        for item in self.items:
            if "BreadcrumbList" not in types_of(item):
                continue
            elements = item.get("itemListElement") or []
            names = []
            for element in sorted(
                (e for e in elements if isinstance(e, dict)), key=lambda e: number(e.get("position")) or 0
            ):
                inner = element.get("item")
                names.append(clean(unescape(text(element.get("name") or (inner if isinstance(inner, dict) else None)))))
            names = [name for name in names if name]
            if names and normalised(names[-1]) == normalised(self.title()):
                names.pop()
            return names[-1] if len(names) >= 2 else None
        return None

    def rating(self) -> dict[str, Any]:
        aggregate = self._get("aggregateRating")
        if not isinstance(aggregate, dict):
            return {}
        return normalise_rating(number(aggregate.get("ratingValue")), number(aggregate.get("bestRating")) or 5.0)

    def listing(self) -> dict[str, Any] | None:
        if self.item is None and not self.og.get("og:title"):
            return None
        return ad_listing(self, contacts=lambda: {"raw": []}, extra=dict, rating=self.rating)


def merge(structured: dict[str, Any], page: dict[str, Any] | None) -> dict[str, Any]:
    """The structured listing, completed and given its visible renderings by the generic one (``page``)."""
    if page is None:
        return structured
    found = dict(structured)
    for key in ("native_id", "title"):
        found[key] = structured.get(key) or page.get(key)
    found["category"] = page.get("category") or structured.get("category")
    mine, theirs = structured.get("body"), page.get("body")
    if theirs and (not mine or normalised(mine) in normalised(theirs) or normalised(theirs) in normalised(mine)):
        found["body"] = theirs
    price, shown = structured.get("price") or {}, page.get("price") or {}
    if not price or (shown.get("amount") == price.get("amount") and shown.get("currency") in (None, price["currency"])):
        found["price"] = {**price, **shown} if shown else price
    location, visible = structured.get("location") or {}, page.get("location") or {}
    found["location"] = {**location, **({"raw": visible["raw"]} if visible.get("raw") else {})} or visible
    author, seen = structured.get("author") or {}, page.get("author") or {}
    if not author or normalised(author.get("name")) == normalised(seen.get("name")):
        found["author"] = seen or author
    moment, (seen_at, seen_raw) = structured.get("posted_at"), (page.get("posted_at"), page.get("posted_at_raw"))
    if moment is None:
        found["posted_at"], found["posted_at_raw"] = seen_at, seen_raw
    elif seen_at is not None and abs(seen_at - moment) <= timedelta(hours=36):
        found["posted_at_raw"] = seen_raw
    found["images"] = page.get("images") or structured.get("images") or []
    found["rating"] = structured.get("rating") or page.get("rating") or {}
    found["contacts"] = page.get("contacts") or {"raw": []}
    found["extra"] = page.get("extra") or {}
    return found
