"""Re-extraction from stored snapshots: run today's extractors on the pages as they were fetched.

After an extractor improves, the evidence already collected can be read again
without fetching anything. The latest snapshot of each page is used (older
ones would roll listings back); results go through enrichment, validation and
the same writer as a crawl, so changed listings get a new version whose run id
says ``reextract``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pymongo.database import Database
from scrapy.http import HtmlResponse, Request

from crawler.models import Listing
from crawler.plugins import TrawlerPluginManager
from crawler.profiles import SiteProfile
from crawler.storage.schema import SNAPSHOTS
from crawler.storage.snapshots import body_of
from crawler.storage.writer import ListingWriter, Pending


@dataclass
class ReextractResult:
    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0


def latest_snapshots(db: Database, site: str) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for doc in db[SNAPSHOTS].find({"site": site}).sort("fetched_at", -1):
        latest.setdefault(doc["url"], doc)
    return list(latest.values())


def reextract(db: Database, pm: TrawlerPluginManager, profile: SiteProfile) -> ReextractResult:
    result = ReextractResult()
    run_id = f"reextract-{profile.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    pending: list[Pending] = []
    for doc in latest_snapshots(db, profile.name):
        response = HtmlResponse(
            url=doc["url"], status=doc["status"], headers=doc.get("headers") or {}, body=body_of(doc),
            request=Request(doc["url"]),
        )  # fmt: skip
        found = pm.hook.trawler_extract_listings(response=response, profile=profile, page_type=doc["page_type"]) or []
        result.pages += 1
        for raw in found:
            raw.setdefault("site", profile.name)
            raw.setdefault("platform_type", profile.platform_type)
            raw.setdefault("url", response.url)
            raw.setdefault("crawl", {})["snapshot_id"] = doc["_id"]
            pm.hook.trawler_enrich_listing(listing=raw, profile=profile)
            try:
                pending.append(Pending(Listing.model_validate(raw), doc["fetched_at"], run_id))
            except ValidationError:
                result.invalid += 1
    written = ListingWriter(db).write(pending)
    result.new, result.updated, result.unchanged = written.new, written.updated, written.unchanged
    return result
