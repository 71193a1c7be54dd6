"""Two crawls storing the same new listing at once: the second insert fails and is written as a known listing."""

from __future__ import annotations

from datetime import datetime, timedelta

from crawler.models import Listing
from crawler.storage.writer import ListingWriter, Pending
from tests.test_storage import T0, ad, pending


class _Overtaken(ListingWriter):
    """A writer that another crawl overtakes once: it stores ``rival`` between our read and our insert."""

    def __init__(self, db, rival: Listing, at: datetime) -> None:
        super().__init__(db)
        self.rival = [Pending(rival, at, "run-rival")]

    def _bulk_write(self, ops):
        if self.rival:
            rival, self.rival = self.rival, []
            ListingWriter(self.listings.database).write(rival)
        return super()._bulk_write(ops)


def test_a_listing_inserted_meanwhile_is_versioned_not_lost(db) -> None:
    later = T0 + timedelta(minutes=1)
    writer = _Overtaken(db, ad("1", price=90.0), T0)
    result = writer.write(pending([ad("1", price=100.0), ad("2")], later, "run-1"))
    assert (result.new, result.updated, result.unchanged) == (1, 1, 0)
    assert sorted((doc["_id"], change) for doc, change in result.stored) == [("s:ad:1", "updated"), ("s:ad:2", "new")]
    doc = db.listings.find_one({"_id": "s:ad:1"})
    assert (doc["price"]["amount"], doc["crawl"]["version"], doc["crawl"]["first_seen"]) == (100.0, 2, T0)
    version = db.listing_versions.find_one({"_id": "s:ad:1@v1"})
    assert version["diff"]["price.amount"] == {"old": 90.0, "new": 100.0}
    assert db.listings.count_documents({}) == 2


def test_the_same_listing_inserted_meanwhile_unchanged_is_only_touched(db) -> None:
    later = T0 + timedelta(minutes=1)
    writer = _Overtaken(db, ad("1"), T0)
    result = writer.write(pending([ad("1")], later, "run-1"))
    assert (result.new, result.updated, result.unchanged) == (0, 0, 1)
    doc = db.listings.find_one({"_id": "s:ad:1"})
    assert (doc["crawl"]["first_seen"], doc["crawl"]["last_seen"], doc["crawl"]["run_id"]) == (T0, later, "run-1")
    assert db.listing_versions.count_documents({}) == 0
