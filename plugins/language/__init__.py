"""Built-in enrichment plugin: the language of a listing, from its title and body.

Extractors only know a listing's language when the page declares one, and many forums and classifieds declare a
single language for the whole site while their users write in many. Indicator matching and analysts' filters need the
language of the text itself, so when ``listing["language"]`` is empty this plugin guesses it (ISO 639-1).

The detector is :mod:`crawler.language` (py3langid restricted to the languages investigators meet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.language import LANGUAGES, detect, identifier
from crawler.plugins import hookimpl

if TYPE_CHECKING:
    from crawler.profiles import SiteProfile

__all__ = ["LANGUAGES", "detect", "identifier", "trawler_enrich_listing"]


@hookimpl
def trawler_enrich_listing(listing: dict[str, Any], profile: SiteProfile | None) -> None:
    if listing.get("language"):
        return
    parts = [part for part in (listing.get("title"), listing.get("body")) if isinstance(part, str) and part]
    found = detect("\n".join(parts))
    if found:
        listing["language"] = found
