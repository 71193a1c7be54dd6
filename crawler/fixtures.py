"""Extraction fixtures: a saved page plus the listings its extractor must produce.

A fixture is a folder::

    fixture.json   url, page_type, platform_type, render, headers, profile (extra site-profile fields)
    page.html      the body as fetched (or as rendered, for render: browser)
    expected.json  the listings, as Listing dicts

Plugins declare their fixture folders with ``trawler_register_fixtures``; one
pytest run (``tests/test_fixtures.py``) checks them all, and ``trawler fixtures``
records, checks and updates them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from scrapy.http import HtmlResponse, Request

from crawler.models import Listing
from crawler.plugins import TrawlerPluginManager
from crawler.profiles import SiteProfile
from crawler.testkit import diff_listings, extract

META = "fixture.json"
PAGE = "page.html"
EXPECTED = "expected.json"


@dataclass
class Fixture:
    path: Path
    url: str
    page_type: str
    platform_type: str
    render: str = "http"
    headers: dict[str, str] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``<plugin package>/<fixture>``, e.g. ``forum/xenforo-thread``."""
        return f"{self.path.parent.parent.name}/{self.path.name}"

    @property
    def site(self) -> str:
        return str(self.profile.get("name", "fixture"))

    def body(self) -> bytes:
        return (self.path / PAGE).read_bytes()

    def expected(self) -> list[dict[str, Any]]:
        return json.loads((self.path / EXPECTED).read_text(encoding="utf-8"))

    def site_profile(self) -> SiteProfile:
        fields = {"name": "fixture", "platform_type": self.platform_type, "start_urls": [self.url], **self.profile}
        return SiteProfile.model_validate(fields)

    def response(self) -> HtmlResponse:
        return HtmlResponse(
            url=self.url, body=self.body(), headers=self.headers, encoding="utf-8", request=Request(self.url)
        )


def load_fixture(path: Path) -> Fixture:
    meta = json.loads((path / META).read_text(encoding="utf-8"))
    return Fixture(path=path, **meta)


def discover(pm: TrawlerPluginManager) -> list[Fixture]:
    """Every fixture of every loaded plugin, in a stable order."""
    found: list[Fixture] = []
    for roots in pm.hook.trawler_register_fixtures():
        for root in roots or []:
            for meta in sorted(Path(root).glob(f"*/{META}")):
                found.append(load_fixture(meta.parent))
    return found


def run(pm: TrawlerPluginManager, fixture: Fixture) -> list[dict[str, Any]]:
    """The listings the current extractors produce for the fixture's page (``[]`` if none answered)."""
    return extract(pm, fixture.response(), fixture.site_profile(), fixture.page_type) or []


def check(pm: TrawlerPluginManager, fixture: Fixture) -> list[str]:
    """Field-by-field differences between the expected and the current output (empty when they agree)."""
    return diff_listings(fixture.expected(), run(pm, fixture))


def _json_ready(listings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Listings as a person edits them: validated (so ``_id`` is there), empty fields left out."""
    ready = []
    for raw in listings:
        try:
            listing = Listing.model_validate(raw)
        except ValidationError:
            ready.append(json.loads(json.dumps(raw, default=str, ensure_ascii=False)))  # kept as found, to fix
            continue
        ready.append(listing.model_dump(mode="json", by_alias=True, exclude={"crawl"}, exclude_defaults=True))
    return ready


def write_expected(pm: TrawlerPluginManager, fixture: Fixture) -> int:
    """Record the current output as the expected one; returns how many listings."""
    listings = _json_ready(run(pm, fixture))
    (fixture.path / EXPECTED).write_text(json.dumps(listings, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(listings)


def save(
    path: Path,
    *,
    url: str,
    body: bytes,
    page_type: str,
    platform_type: str,
    headers: dict[str, str] | None = None,
    profile: dict[str, Any] | None = None,
    render: str = "http",
) -> Fixture:
    """Write a new fixture folder (without expected output: see :func:`write_expected`)."""
    path.mkdir(parents=True, exist_ok=True)
    meta = {
        "url": url,
        "page_type": page_type,
        "platform_type": platform_type,
        "render": render,
        "headers": headers or {},
        "profile": profile or {},
    }
    (path / META).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (path / PAGE).write_bytes(body)
    return load_fixture(path)
