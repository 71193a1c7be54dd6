"""The listing writer and the disk spool, against the real database server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.models import Listing
from crawler.storage.schema import INDEXES, ensure_indexes
from crawler.storage.spool import Spool
from crawler.storage.writer import ListingWriter, Pending, field_diff

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def ad(native_id: str, price: float = 100.0, title: str = "Room to rent") -> Listing:
    return Listing.model_validate(
        {
            "site": "s",
            "platform_type": "marketplace",
            "kind": "ad",
            "url": f"http://127.0.0.1/ad/{native_id}",
            "native_id": native_id,
            "title": title,
            "body": "Nice room",
            "price": {"amount": price, "currency": "EUR", "raw": f"{price} EUR"},
        }
    )


def pending(listings: list[Listing], at: datetime, run: str) -> list[Pending]:
    return [Pending(listing, at, run) for listing in listings]


def test_new_listings_get_first_seen_hash_and_version_one(db) -> None:
    ensure_indexes(db)
    before = datetime.now(UTC)
    result = ListingWriter(db).write(pending([ad("1"), ad("2")], T0, "run-1"))
    assert (result.new, result.updated, result.unchanged) == (2, 0, 0)
    doc = db.listings.find_one({"_id": "s:ad:1"})
    written_at = doc["crawl"].pop("written_at")  # when it was written: the search indexer's checkpoint
    assert before - timedelta(milliseconds=1) <= written_at <= datetime.now(UTC)
    assert doc["crawl"] == {
        "first_seen": T0,
        "last_seen": T0,
        "content_hash": ad("1").content_hash(),
        "version": 1,
        "run_id": "run-1",
        "snapshot_id": None,
        "removed_at": None,
    }
    assert doc["price"] == {"amount": 100.0, "currency": "EUR", "raw": "100.0 EUR"}


def test_unchanged_listings_only_move_last_seen_and_create_no_version(db) -> None:
    writer = ListingWriter(db)
    writer.write(pending([ad("1"), ad("2")], T0, "run-1"))
    later = T0 + timedelta(days=1)
    result = writer.write(pending([ad("1"), ad("2")], later, "run-2"))
    assert (result.new, result.updated, result.unchanged) == (0, 0, 2)
    assert db.listing_versions.count_documents({}) == 0
    doc = db.listings.find_one({"_id": "s:ad:2"})
    assert (doc["crawl"]["first_seen"], doc["crawl"]["last_seen"], doc["crawl"]["version"]) == (T0, later, 1)
    assert doc["crawl"]["run_id"] == "run-2"


def test_a_changed_listing_keeps_its_previous_state_as_a_version_with_a_field_diff(db) -> None:
    writer = ListingWriter(db)
    writer.write(pending([ad("1"), ad("2")], T0, "run-1"))
    later = T0 + timedelta(days=2)
    result = writer.write(pending([ad("1", price=80.0), ad("2")], later, "run-2"))
    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    current = db.listings.find_one({"_id": "s:ad:1"})
    assert current["price"]["amount"] == 80.0
    assert (current["crawl"]["version"], current["crawl"]["first_seen"], current["crawl"]["last_seen"]) == (
        2,
        T0,
        later,
    )
    versions = list(db.listing_versions.find())
    assert len(versions) == 1
    version = versions[0]
    assert version["_id"] == "s:ad:1@v1"
    assert version["version"] == 1
    assert version["content"]["price"]["amount"] == 100.0
    assert version["diff"] == {
        "price.amount": {"old": 100.0, "new": 80.0},
        "price.raw": {"old": "100.0 EUR", "new": "80.0 EUR"},
    }
    # Replaying the same batch (as after an outage) creates no second version.
    writer.write(pending([ad("1", price=80.0)], later, "run-2"))
    assert db.listing_versions.count_documents({}) == 1


def test_the_same_listing_twice_in_a_batch_is_stored_once(db) -> None:
    result = ListingWriter(db).write(pending([ad("1", price=1.0), ad("1", price=2.0)], T0, "r"))
    assert (result.new, db.listings.count_documents({})) == (1, 1)
    assert db.listings.find_one()["price"]["amount"] == 2.0


def test_indexes_are_created_idempotently(db) -> None:
    ensure_indexes(db)
    ensure_indexes(db)
    names = {tuple(i["key"].items()) for i in db.listings.list_indexes()}
    for keys in INDEXES["listings"]:
        assert tuple(keys) in names


def test_indexes_nothing_queries_any_more_are_dropped(db) -> None:
    # As an earlier version left them: each would still cost every insert an entry.
    db.listings.create_index([("search.tokens", 1), ("search.ts", -1)])
    db.listings.create_index([("contacts.phones", 1)])
    db.listings.create_index([("text_sig.bands", 1)])  # not retired: the near-duplicate plugin uses it
    ensure_indexes(db)
    names = {i["name"] for i in db.listings.list_indexes()}
    assert names == {"_id_", "text_sig.bands_1"} | {
        "_".join(f"{k}_{d}" for k, d in keys) for keys in INDEXES["listings"]
    }


def test_field_diff_names_nested_fields() -> None:
    old = {"title": "a", "author": {"name": "x", "id": "1"}, "images": []}
    new = {"title": "a", "author": {"name": "y", "id": "1"}, "images": ["i"]}
    assert field_diff(old, new) == {"author.name": {"old": "x", "new": "y"}, "images": {"old": [], "new": ["i"]}}


def test_spooled_batches_replay_exactly_once(db, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append(pending([ad("1"), ad("2", price=5.5)], T0, "run-x"), [{"_id": "q1", "reason": "bad", "at": T0}])
    assert spool.pending_count() == 3
    listings, quarantined = spool.replay(ListingWriter(db))
    assert (listings, quarantined) == (2, 1)
    assert spool.files() == []
    assert db.listings.find_one({"_id": "s:ad:2"})["price"]["amount"] == 5.5
    assert db.listings.find_one({"_id": "s:ad:1"})["crawl"]["first_seen"] == T0
    assert db.quarantine.find_one({"_id": "q1"})["at"] == T0


def test_listings_a_complete_crawl_did_not_see_are_marked_removed_and_revived_when_back(db) -> None:
    writer = ListingWriter(db)
    writer.write(pending([ad("1"), ad("2"), ad("3")], T0, "run-1"))
    second = T0 + timedelta(days=1)
    writer.write(pending([ad("1"), ad("3")], second, "run-2"))
    assert writer.mark_removed("s", not_seen_since=second, now=second) == 1
    gone = db.listings.find_one({"_id": "s:ad:2"})
    assert (gone["crawl"]["removed_at"], gone["crawl"]["last_seen"]) == (second, T0)
    assert writer.mark_removed("s", not_seen_since=second, now=second) == 0  # already marked
    third = T0 + timedelta(days=2)
    writer.write(pending([ad("1"), ad("2"), ad("3")], third, "run-3"))
    assert db.listings.find_one({"_id": "s:ad:2"})["crawl"]["removed_at"] is None
    assert db.listings.count_documents({}) == 3


def _with_contacts(native_id: str, site: str, phones: list[str], handles: list[str] = ()) -> Listing:
    return Listing.model_validate(
        {"site": site, "platform_type": "marketplace", "kind": "ad", "url": f"http://127.0.0.1/{site}/{native_id}",
         "native_id": native_id, "body": "job", "contacts": {"phones": phones, "handles": list(handles)}}
    )  # fmt: skip


def test_entities_link_listings_across_sites_idempotently(db) -> None:
    from crawler.storage.entities import cross_site_entities, listings_sharing, most_connected, upsert

    ensure_indexes(db)
    writer = ListingWriter(db)
    batch = [
        _with_contacts("1", "forum", ["+447700900123"], ["telegram:viktor"]),
        _with_contacts("2", "market", ["+447700900123"]),
        _with_contacts("3", "market", ["+4915112345678"], ["telegram:viktor"]),
        _with_contacts("4", "reviews", ["+4915112345678"]),
        _with_contacts("5", "reviews", ["+40721234567"]),
    ]
    for _ in range(2):  # the same batch twice (a replay): nothing changes the second time
        result = writer.write(pending(batch, T0, "r"))
        assert upsert(db, (doc for doc, _ in result.stored)) == 4
    phone = db.entities.find_one({"_id": "phone:+447700900123"})
    assert phone["listings"] == ["forum:ad:1", "market:ad:2"]
    assert (phone["sites"], phone["platform_types"], phone["type"]) == (["forum", "market"], ["marketplace"], "phone")
    assert (phone["first_seen"], phone["last_seen"]) == (T0, T0)
    assert [e["_id"] for e in cross_site_entities(db)] == [
        "handle:telegram:viktor", "phone:+447700900123", "phone:+4915112345678",
    ]  # fmt: skip
    assert listings_sharing(db, "forum:ad:1") == {"market:ad:2": 1, "market:ad:3": 1}
    assert listings_sharing(db, "forum:ad:1", hops=2) == {"market:ad:2": 1, "market:ad:3": 1, "reviews:ad:4": 2}
    assert listings_sharing(db, "reviews:ad:5", hops=2) == {}
    assert (phone["listing_count"], phone["site_count"]) == (2, 2)
    later = T0 + timedelta(days=3)
    writer_result = writer.write(pending(batch[:1], later, "r2"))
    upsert(db, (doc for doc, _ in writer_result.stored))
    assert db.entities.find_one({"_id": "phone:+447700900123"})["last_seen"] == later
    window = most_connected(db, since=later, until=later, limit=5)
    assert [e["_id"] for e in window] == ["handle:telegram:viktor", "phone:+447700900123"]  # seen again then
    everything = most_connected(db, since=T0, until=later, limit=2)
    assert [(e["_id"], e["listing_count"]) for e in everything] == [
        ("handle:telegram:viktor", 2), ("phone:+447700900123", 2),
    ]  # fmt: skip
