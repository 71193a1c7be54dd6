"""The ad page object: one method per Listing field, driven by named CSS selectors.

:class:`AdPage` is what every engine preset is made of (web-poet's lesson: a
page object per page type, a generic base and per-engine subclasses). A
preset sets :attr:`AdPage.SELECTORS` (and :attr:`AdPage.DETECT`, the cheap
XPath test that recognises its markup) and overrides the few field methods
whose logic differs; the site profile's ``selectors`` mapping overrides single
selectors of whichever preset runs (layer 1 of the extraction order).

Everything here runs once per ad page on the crawl's hot path: CSS selectors
compiled once and run on lxml elements (:meth:`AdPage.all` / :meth:`AdPage.one`,
through :func:`crawler.extract.select`), the cheap date paths first
(``<time datetime>``, then ``dd.mm.yyyy``), dateparser only for relative dates
such as "vor 3 Tagen".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from scrapy.http import Response

from crawler.extract import (
    Node,
    clean,
    compiled_xpath,
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


class AdPage:
    """One ad page read through named selectors; subclasses are the engine presets.

    :attr:`SELECTORS` maps selector names (the keys a profile's ``selectors``
    may override, listed in the plugin README) to CSS. A name a preset leaves
    out simply matches nothing.
    """

    name: ClassVar[str] = ""
    SELECTORS: ClassVar[dict[str, str]] = {}
    DETECT: ClassVar[str] = ""
    """An XPath expression, true on pages this preset reads: a few cheap checks on the parsed tree."""

    def __init__(self, response: Response, profile: SiteProfile) -> None:
        self.response = response
        self.profile = profile
        self.root: Node = response.selector.root
        self.selectors = {**self.SELECTORS, **profile.selectors}

    @classmethod
    def detect(cls, root: Node) -> bool:
        """Whether the page looks like this preset's markup (``False`` for presets without a test)."""
        return bool(cls.DETECT) and bool(compiled_xpath(f"boolean({cls.DETECT})")(root))

    def all(self, key: str, node: Node | None = None) -> list[Any]:
        """Everything the named selector matches under ``node`` (the page by default): elements or strings."""
        css = self.selectors.get(key)
        return select(self.root if node is None else node, css) if css else []

    def one(self, key: str, node: Node | None = None) -> Any | None:
        """The first match of the named selector under ``node`` (the page by default), or ``None``."""
        css = self.selectors.get(key)
        return first(self.root if node is None else node, css) if css else None

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

    def extra(self) -> dict[str, Any]:
        """Platform-specific fields: the attribute table, and whatever a preset adds."""
        attributes = self.attributes()
        return {"attributes": attributes} if attributes else {}

    # -- the listing ------------------------------------------------------------

    def listing(self) -> dict[str, Any] | None:
        """The ad as a raw Listing dict, or ``None`` when the page holds no ad."""
        return ad_listing(self, contacts=self.contacts, extra=self.extra)


def ad_listing(
    page: Any,
    *,
    contacts: Callable[[], dict[str, Any]],
    extra: Callable[[], dict[str, Any]],
    rating: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """One ad as a raw Listing dict, from any of the plugin's page readers (preset, structured, generic).

    ``page`` answers ``title``, ``body``, ``native_id``, ``price``, ``location``, ``author``, ``posted``,
    ``category`` and ``images``; the fields readers fill differently come as callables. ``None`` when the
    page holds neither a title nor a text.
    """
    title, body = page.title(), page.body()
    if not (title or body):
        return None
    posted_at, posted_raw = page.posted()
    listing = {
        "kind": "ad",
        "url": page.response.url,
        "native_id": page.native_id(),
        "title": title,
        "body": body,
        "price": page.price(),
        "location": page.location(),
        "author": page.author(),
        "posted_at": posted_at,
        "posted_at_raw": posted_raw,
        "category": page.category(),
        "images": page.images(),
        "contacts": contacts(),
        "extra": extra(),
    }
    if rating is not None:
        listing["rating"] = rating()
    return listing
