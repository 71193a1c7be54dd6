"""Ad extraction for classifieds marketplaces, one *engine preset* per family of markup.

An engine preset is a small page-object class (one method per Listing field)
built on one response; :data:`ENGINES` maps the profile's ``engine`` value to
it. To support another classifieds engine, subclass :class:`ClassifiedsAdPage`,
override :attr:`~ClassifiedsAdPage.SELECTORS` (and any field method whose
logic differs) and register it in :data:`ENGINES`. A site profile can also
override single selectors with its ``selectors`` mapping (same keys).

Everything here runs once per ad page on the crawl's hot path: CSS selectors
only, the cheap date paths first (``<time datetime>``, then ``dd.mm.yyyy``),
dateparser only for relative dates such as "vor 3 Tagen".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from parsel import SelectorList
from scrapy.http import Response

from crawler.extract import block_text, clean, parse_datetime, parse_price, text_of
from crawler.profiles import SiteProfile

_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(\d{1,2}):(\d{2}))?$")


def fetch_time(response: Response) -> datetime:
    """When the page was fetched: its ``Date`` header, else now. Relative dates ("3 hours ago") count from it.

    The header survives in snapshots, so re-extracting an old page later
    resolves its relative dates to the same moments.
    """
    header = response.headers.get(b"Date")
    if header:
        try:
            moment = parsedate_to_datetime(header.decode("latin-1"))
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def parse_posted(machine: str | None, shown: str | None, *, timezone: str, now: datetime) -> datetime | None:
    """A posting date from a ``<time>`` element: its ``datetime`` attribute, else its text (day first)."""
    if machine:
        found = parse_datetime(machine, timezone=timezone)
        if found is not None:
            return found
    if not shown:
        return None
    match = _DMY.match(shown)
    if match:  # European numeric dates are day first; dateparser alone would guess month first
        day, month, year, hour, minute = (int(g) if g else 0 for g in match.groups())
        try:
            local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone))
        except ValueError:
            return None
        return local.astimezone(UTC)
    return parse_datetime(shown, now=now, timezone=timezone)


class ClassifiedsAdPage:
    """Engine preset ``classifieds``: OLX/Gumtree/Craigslist-like ad pages.

    ``h1.ad-title``, ``span.price``, ``div.description`` (paragraphs),
    ``ul.attributes`` (``li > span`` pairs, or ``dl`` ``dt``/``dd`` pairs),
    ``div.location``, ``div.seller a.seller-name`` (to ``/user/<id>``),
    ``div.contact li`` (one contact per line), ``time.posted``,
    ``div.gallery img``, and a breadcrumb whose second-last crumb is the category.
    """

    name: ClassVar[str] = "classifieds"
    SELECTORS: ClassVar[dict[str, str]] = {
        "ad": "article.ad",
        "native_id": "article.ad::attr(data-ad-id)",
        "title": "h1.ad-title",
        "price": "span.price",
        "description": "div.description",
        "attribute_rows": "ul.attributes > li",
        "attribute_name": "span.attr-name",
        "attribute_value": "span.attr-value",
        "attribute_terms": "dl.attributes > dt",
        "location": "div.location",
        "seller": "div.seller a.seller-name",
        "contacts": "div.contact li",
        "posted": "time.posted",
        "images": "div.gallery img::attr(src)",
        "breadcrumb": "ol.breadcrumb > li, nav.breadcrumb li",
    }

    def __init__(self, response: Response, profile: SiteProfile) -> None:
        self.response = response
        self.profile = profile
        self.selectors = {**self.SELECTORS, **profile.selectors}

    def css(self, key: str) -> SelectorList:
        return self.response.css(self.selectors[key])

    # -- fields ---------------------------------------------------------------

    def native_id(self) -> str | None:
        found = clean(self.css("native_id").get())
        if found:
            return found
        path = urlsplit(self.response.url).path.rstrip("/")
        return path.rsplit("/", 1)[-1] or None

    def title(self) -> str | None:
        return text_of(self.css("title")[:1])

    def body(self) -> str | None:
        return block_text(self.css("description")[:1])

    def price(self) -> dict[str, Any]:
        return parse_price(text_of(self.css("price")[:1]))

    def location(self) -> dict[str, Any]:
        return {"raw": text_of(self.css("location")[:1])}

    def author(self) -> dict[str, Any]:
        link = self.css("seller")[:1]
        if not link:
            return {}
        href = link.attrib.get("href")
        user_id = link.attrib.get("data-user-id")
        if not user_id and href:
            user_id = urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1] or None
        return {"name": text_of(link), "id": user_id, "url": self.response.urljoin(href) if href else None}

    def posted(self) -> tuple[datetime | None, str | None]:
        node = self.css("posted")[:1]
        if not node:
            return None, None
        shown = text_of(node)
        found = parse_posted(
            node.attrib.get("datetime"), shown, timezone=self.profile.timezone, now=fetch_time(self.response)
        )
        return found, shown

    def category(self) -> str | None:
        crumbs = self.css("breadcrumb")
        return text_of(crumbs[-2]) if len(crumbs) >= 3 else None

    def images(self) -> list[str]:
        urls = (self.response.urljoin(src.strip()) for src in self.css("images").getall() if src.strip())
        return list(dict.fromkeys(urls))

    def contacts(self) -> dict[str, Any]:
        lines = (text_of(line) for line in self.css("contacts"))
        return {"raw": [line for line in lines if line]}

    def attributes(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for row in self.css("attribute_rows"):
            name = text_of(row.css(self.selectors["attribute_name"]))
            if name:
                found[name] = text_of(row.css(self.selectors["attribute_value"])) or ""
        for term in self.css("attribute_terms"):
            name = text_of(term)
            if name:
                found[name] = text_of(term.xpath("following-sibling::dd[1]")) or ""
        return found

    # -- the listing ------------------------------------------------------------

    def listing(self) -> dict[str, Any] | None:
        """The ad as a raw Listing dict, or ``None`` when the page holds no ad."""
        title, body = self.title(), self.body()
        if not (title or body):
            return None
        posted_at, posted_raw = self.posted()
        attributes = self.attributes()
        return {
            "kind": "ad",
            "url": self.response.url,
            "native_id": self.native_id(),
            "title": title,
            "body": body,
            "price": self.price(),
            "location": self.location(),
            "author": self.author(),
            "posted_at": posted_at,
            "posted_at_raw": posted_raw,
            "category": self.category(),
            "images": self.images(),
            "contacts": self.contacts(),
            "extra": {"attributes": attributes} if attributes else {},
        }


ENGINES: dict[str, type[ClassifiedsAdPage]] = {ClassifiedsAdPage.name: ClassifiedsAdPage}
DEFAULT_ENGINE = ClassifiedsAdPage.name


def extract_listings(response: Response, profile: SiteProfile, page_type: str) -> list[dict[str, Any]] | None:
    """The listings on one marketplace page; ``None`` when the profile names an engine we do not know."""
    engine = ENGINES.get(profile.engine or DEFAULT_ENGINE)
    if engine is None:
        return None
    if page_type != "ad" or not hasattr(response, "css"):
        return []
    found = engine(response, profile).listing()
    return [found] if found else []
