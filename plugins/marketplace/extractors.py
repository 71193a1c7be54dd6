"""Ad extraction for classifieds marketplaces, one *engine preset* per family of markup.

An engine preset is a small page-object class (one method per Listing field)
built on one response; :data:`ENGINES` maps the profile's ``engine`` value to
it. To support another classifieds engine, subclass :class:`ClassifiedsAdPage`,
override :attr:`~ClassifiedsAdPage.SELECTORS` (and any field method whose
logic differs) and register it in :data:`ENGINES`. A site profile can also
override single selectors with its ``selectors`` mapping (same keys).

Everything here runs once per ad page on the crawl's hot path: CSS selectors
compiled once and run on lxml elements (:meth:`ClassifiedsAdPage.all` /
:meth:`~ClassifiedsAdPage.one`, through :func:`crawler.extract.select`), the
cheap date paths first (``<time datetime>``, then ``dd.mm.yyyy``), dateparser
only for relative dates such as "vor 3 Tagen".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from scrapy.http import Response

from crawler.extract import (
    Node,
    clean,
    element_block_text,
    element_text,
    fetch_time,
    first,
    last_path_segment,
    parse_datetime,
    parse_price,
    select,
    select_xpath,
)
from crawler.profiles import SiteProfile

_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(\d{1,2}):(\d{2}))?$")


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
        self.root: Node = response.selector.root
        self.selectors = {**self.SELECTORS, **profile.selectors}

    def all(self, key: str, node: Node | None = None) -> list[Any]:
        """Everything the named selector matches under ``node`` (the page by default): elements or strings."""
        return select(self.root if node is None else node, self.selectors[key])

    def one(self, key: str, node: Node | None = None) -> Any | None:
        """The first match of the named selector under ``node`` (the page by default), or ``None``."""
        return first(self.root if node is None else node, self.selectors[key])

    # -- fields ---------------------------------------------------------------

    def native_id(self) -> str | None:
        found = self.one("native_id")  # an ``::attr()`` selector; an element selector gives the element's text
        found = clean(found) if found is None or isinstance(found, str) else element_text([found])
        return found or last_path_segment(self.response.url)

    def title(self) -> str | None:
        return element_text(self.all("title")[:1])

    def body(self) -> str | None:
        return element_block_text(self.all("description")[:1])

    def price(self) -> dict[str, Any]:
        return parse_price(element_text(self.all("price")[:1]))

    def location(self) -> dict[str, Any]:
        return {"raw": element_text(self.all("location")[:1])}

    def author(self) -> dict[str, Any]:
        link = self.one("seller")
        if link is None:
            return {}
        href = link.get("href")
        user_id = link.get("data-user-id")
        if not user_id and href:
            user_id = last_path_segment(href)
        return {"name": element_text([link]), "id": user_id, "url": self.response.urljoin(href) if href else None}

    def posted(self) -> tuple[datetime | None, str | None]:
        node = self.one("posted")
        if node is None:
            return None, None
        shown = element_text([node])
        found = parse_posted(node.get("datetime"), shown, timezone=self.profile.timezone, now=fetch_time(self.response))
        return found, shown

    def category(self) -> str | None:
        crumbs = self.all("breadcrumb")
        return element_text(crumbs[-2:-1]) if len(crumbs) >= 3 else None

    def images(self) -> list[str]:
        sources = (src.strip() for src in self.all("images") if isinstance(src, str))  # an ``::attr()`` selector
        urls = (self.response.urljoin(src) for src in sources if src)
        return list(dict.fromkeys(urls))

    def contacts(self) -> dict[str, Any]:
        lines = (element_text([line]) for line in self.all("contacts"))
        return {"raw": [line for line in lines if line]}

    def attributes(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for row in self.all("attribute_rows"):
            name = element_text(self.all("attribute_name", row))
            if name:
                found[name] = element_text(self.all("attribute_value", row)) or ""
        for term in self.all("attribute_terms"):
            name = element_text([term])
            if name:
                found[name] = element_text(select_xpath(term, "following-sibling::dd[1]")) or ""
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
    if page_type != "ad" or not hasattr(response, "css") or not isinstance(response.selector.root, Node):
        return []
    found = engine(response, profile).listing()
    return [found] if found else []
