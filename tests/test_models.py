"""The Listing model: stable ids, content hashes, validation, and its exported JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from crawler.models import Listing, json_schema, listing_id

REPO = Path(__file__).resolve().parent.parent
BASE = {"site": "demo-forum", "platform_type": "forum", "kind": "post", "url": "http://127.0.0.1/t?p=5", "body": "hi"}


def test_ids_are_readable_with_a_native_id_and_url_hashes_without() -> None:
    assert Listing.model_validate({**BASE, "native_id": "p5"}).id == "demo-forum:post:p5"
    no_native = Listing.model_validate(BASE)
    assert no_native.id == listing_id("demo-forum", "post", None, BASE["url"])
    assert no_native.id.startswith("demo-forum:post:url-") and len(no_native.id) == len("demo-forum:post:url-") + 16
    assert Listing.model_validate({**BASE, "_id": "given"}).id == "given"


def test_content_hash_ignores_crawl_metadata_but_not_content() -> None:
    a = Listing.model_validate({**BASE, "native_id": "1"})
    b = Listing.model_validate({**BASE, "native_id": "1", "crawl": {"version": 7, "run_id": "x"}})
    c = Listing.model_validate({**BASE, "native_id": "1", "body": "hi!"})
    assert a.content_hash() == b.content_hash() != c.content_hash()


def test_content_hash_ignores_dates_that_drift_between_crawls() -> None:
    a = Listing.model_validate({**BASE, "posted_at": "2026-11-01T09:00:00Z", "posted_at_raw": "3 hours ago"})
    b = Listing.model_validate({**BASE, "posted_at": "2026-11-01T09:00:41Z", "posted_at_raw": "4 hours ago"})
    assert a.content_hash() == b.content_hash()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": None}, "a listing needs a title or a body"),
        ({"url": "javascript:alert(1)"}, "String should match pattern"),
        ({"rating": {"value": 7}}, "less than or equal to 5"),
        ({"unknown_field": 1}, "Extra inputs are not permitted"),
        ({"kind": "Bad Kind"}, "String should match pattern"),
    ],
)
def test_invalid_listings_are_refused_with_a_reason(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Listing.model_validate({**BASE, **change})


def test_the_listing_json_schema_in_docs_is_current() -> None:
    stored = json.loads((REPO / "docs" / "listing.schema.json").read_text(encoding="utf-8"))
    assert stored == json_schema(), (
        "docs/listing.schema.json is stale: run `trawler schema -o docs/listing.schema.json`"
    )
    assert {"_id", "site", "platform_type", "kind", "url", "contacts", "crawl"} <= set(stored["properties"])


def test_a_field_added_empty_later_does_not_change_the_content_hash() -> None:
    from crawler.models import document_hash

    doc = Listing.model_validate(
        {"site": "s", "platform_type": "forum", "kind": "post", "url": "http://x/1", "native_id": "1", "body": "hi"}
    ).to_document()
    before = document_hash(doc)
    later = {**doc, "image_hashes": [], "text_sig": None, "location": {**doc["location"], "candidates": []}}
    assert document_hash(later) == before
    assert document_hash({**doc, "body": "hi!"}) != before
    assert document_hash({**doc, "images": ["http://x/a.jpg"]}) != before
