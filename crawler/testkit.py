"""Helpers for testing extractors and spiders without a network or a database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from scrapy.http import HtmlResponse, Request

from crawler.models import DERIVED_FIELDS, Listing
from crawler.plugins import TrawlerPluginManager
from crawler.profiles import SiteProfile


def html_response(url: str, body: bytes | str, status: int = 200) -> HtmlResponse:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return HtmlResponse(url=url, body=data, status=status, encoding="utf-8", request=Request(url))


def extract(
    pm: TrawlerPluginManager, response: HtmlResponse, profile: SiteProfile, page_type: str
) -> list[dict[str, Any]] | None:
    """Run the extraction hook as the spider would, filling the same defaults."""
    found = pm.hook.trawler_extract_listings(response=response, profile=profile, page_type=page_type)
    if found is None:
        return None
    for raw in found:
        raw.setdefault("site", profile.name)
        raw.setdefault("platform_type", profile.platform_type)
        raw.setdefault("url", response.url)
    return found


def _comparable(item: dict[str, Any]) -> tuple[str, dict[str, Any], float]:
    # Stored documents also carry derived search data (crawler/query/tokens.py), which is not content.
    data = {k: v for k, v in item.items() if not k.startswith("_truth") and k not in DERIVED_FIELDS}
    tolerance = float(item.get("_truth", {}).get("posted_at_tolerance_s", 0))
    listing = Listing.model_validate(data)
    return listing.id, listing.content(), tolerance


def diff_listings(expected: Iterable[dict[str, Any]], actual: Iterable[dict[str, Any]]) -> list[str]:
    """Differences between ground-truth listings and extracted/stored ones, one message each.

    Fields are compared after validation through :class:`Listing`, so both sides
    are normalised the same way. A truth item may carry
    ``_truth: {"posted_at_tolerance_s": N}`` for dates rendered relative to the
    build time. Crawl metadata is ignored.
    """
    problems: list[str] = []
    want = {i: (c, t) for i, c, t in map(_comparable, expected)}
    got = {i: c for i, c, _ in map(_comparable, actual)}
    for missing in sorted(set(want) - set(got)):
        problems.append(f"missing listing {missing}")
    for extra in sorted(set(got) - set(want)):
        problems.append(f"unexpected listing {extra}")
    for listing_id in sorted(set(want) & set(got)):
        expected_content, tolerance = want[listing_id]
        actual_content = got[listing_id]
        for field in sorted(set(expected_content) | set(actual_content)):
            a, b = expected_content.get(field), actual_content.get(field)
            if field == "posted_at" and tolerance and a and b:
                delta = abs((datetime.fromisoformat(a) - datetime.fromisoformat(b)).total_seconds())
                if delta <= tolerance:
                    continue
            if a != b:
                problems.append(f"{listing_id}: field {field!r}: expected {a!r}, got {b!r}")
    return problems
