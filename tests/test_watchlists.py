"""Watchlists against the real database: hits after batches written by the real writer, idempotence,
entity watchlists, notices to a local webhook server, failures recorded, the CLI, and the check after a crawl."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pymongo
import pytest
from pydantic import ValidationError
from scrapy.settings import Settings

from crawler.accounts.roles import Role
from crawler.accounts.users import create_user
from crawler.models import Listing
from crawler.query import SearchParams
from crawler.query.terms import catch_up as catch_up_terms
from crawler.query.terms import checkpoint as terms_checkpoint
from crawler.storage.entities import upsert as upsert_entities
from crawler.storage.schema import AUDIT_LOG, LISTINGS, ensure_indexes
from crawler.storage.writer import ListingWriter, Pending
from crawler.watchlists import Kind, UnknownEntity, WatchlistExists, WatchlistSpec, check_watchlists, create, store
from crawler.watchlists.candidates import RecentVersions, search_listings, version_starts
from crawler.watchlists.checker import CheckResult
from tests.conftest import EXTRACTION_ONLY, MongoServer, Received, run_cli, start_demo
from tests.webapp import CommandRecorder, ad

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PHONE = "+447700900123"


def write(db: pymongo.database.Database, ads: list[Listing], seen: datetime) -> dict[str, str]:
    """Store a batch as the pipeline does (writer, then entities); returns {listing id: new|updated|unchanged}."""
    result = ListingWriter(db).write([Pending(listing, seen, f"run-{seen:%H%M}") for listing in ads])
    upsert_entities(db, (doc for doc, _ in result.stored))
    return {doc["_id"]: change for doc, change in result.stored}


def search_spec(name: str, text: str, notify: list[str] | None = None) -> WatchlistSpec:
    return WatchlistSpec(name=name, kind=Kind.SEARCH, search=SearchParams(text=text), notify=notify or [])


def hit_rows(db: pymongo.database.Database, watchlist_id: str) -> list[tuple[str, int, str]]:
    hits, _ = store.hits_page(db, watchlist_id, 500)
    return sorted((h.listing_id, h.version, h.change.value) for h in hits)


def new_ids(result: CheckResult) -> list[str]:
    return sorted(h["listing_id"] for h in result.new_hits)


@pytest.fixture
def two_batches(db: pymongo.database.Database) -> pymongo.database.Database:
    """Listings from before the watchlists exist (T0 - 1h); the watchlists are created at T0."""
    ensure_indexes(db)
    write(
        db,
        [
            ad("m1", "old", "Hostess jobs in Dubai", PHONE),
            ad("m1", "chg", "Cleaners needed in Dubai"),
            ad("m1", "sofa", "Sofa for sale"),
        ],
        T0 - timedelta(hours=1),
    )
    return db


def test_search_and_entity_hits_after_two_batches_exactly(two_batches: pymongo.database.Database) -> None:
    db = two_batches
    dubai = create(db, "ann", search_spec("dubai", "dubai"), now=T0)
    phone = create(db, "ann", WatchlistSpec(name="the phone", kind=Kind.ENTITY, entity="07700 900123"), now=T0)
    assert (phone.entity, phone.checkpoint, dubai.search) == (f"phone:{PHONE}", T0, SearchParams(text="dubai"))

    changes = write(
        db,
        [
            ad("m2", "1", "Hostesses wanted in Dubai", PHONE),
            ad("m1", "2", "Driver for Dubai"),
            ad("m1", "3", "Bike for sale"),
            ad("m1", "old", "Hostess jobs in Dubai", PHONE),  # seen again, unchanged: older than the watchlists
        ],
        T0 + timedelta(hours=1),
    )
    assert changes["m1:ad:old"] == "unchanged"
    first = {r.watchlist.id: r for r in check_watchlists(db, now=T0 + timedelta(hours=2))}
    assert new_ids(first[dubai.id]) == ["m1:ad:2", "m2:ad:1"]
    assert new_ids(first[phone.id]) == ["m2:ad:1"]
    assert hit_rows(db, dubai.id) == [("m1:ad:2", 1, "new"), ("m2:ad:1", 1, "new")]
    assert store.get(db, dubai.id).checkpoint == T0 + timedelta(hours=2)

    again = check_watchlists(db, now=T0 + timedelta(hours=2, minutes=30))
    assert [len(r.new_hits) for r in again] == [0, 0]
    assert hit_rows(db, dubai.id) == [("m1:ad:2", 1, "new"), ("m2:ad:1", 1, "new")]

    changes = write(
        db,
        [
            ad("m1", "chg", "Cleaners needed in Dubai, visa paid"),  # from before the watchlist, changed now
            ad("m1", "2", "Driver for Abu Dhabi"),  # changed, and no longer matches
            ad("m1", "3", "Bike for sale in Dubai"),  # changed, and matches now
            ad("m2", "1", "Hostesses wanted in Dubai", PHONE),  # unchanged
            ad("m3", "9", "Rooms to let", PHONE),  # new, shares the phone
        ],
        T0 + timedelta(hours=3),
    )
    assert (changes["m1:ad:chg"], changes["m2:ad:1"], changes["m3:ad:9"]) == ("updated", "unchanged", "new")
    second = {r.watchlist.id: r for r in check_watchlists(db, now=T0 + timedelta(hours=4))}
    assert new_ids(second[dubai.id]) == ["m1:ad:3", "m1:ad:chg"]
    assert new_ids(second[phone.id]) == ["m3:ad:9"]
    assert hit_rows(db, dubai.id) == [
        ("m1:ad:2", 1, "new"),
        ("m1:ad:3", 2, "changed"),
        ("m1:ad:chg", 2, "changed"),
        ("m2:ad:1", 1, "new"),
    ]
    assert hit_rows(db, phone.id) == [("m2:ad:1", 1, "new"), ("m3:ad:9", 1, "new")]
    hits, _ = store.hits_page(db, phone.id)
    assert [(h.listing_id, h.found_at, h.title, h.seen) for h in hits] == [
        ("m3:ad:9", T0 + timedelta(hours=4), "Rooms to let", False),  # newest first
        ("m2:ad:1", T0 + timedelta(hours=2), "Hostesses wanted in Dubai", False),
    ]
    assert (store.unseen_count(db, dubai.id), store.mark_seen(db, dubai.id), store.unseen_count(db, dubai.id)) == (
        4,
        4,
        0,
    )
    assert [len(r.new_hits) for r in check_watchlists(db, now=T0 + timedelta(hours=5))] == [0, 0]


def test_a_listing_written_just_before_the_checkpoint_is_not_missed(db: pymongo.database.Database) -> None:
    """Seen (accepted by the crawl) before a check's time but written after the check: the overlap finds it."""
    ensure_indexes(db)
    watchlist = create(db, "ann", search_spec("dubai", "dubai"), now=T0)
    assert [len(r.new_hits) for r in check_watchlists(db, now=T0 + timedelta(hours=1))] == [0]
    write(db, [ad("m1", "late", "Dubai late writer")], T0 + timedelta(hours=1) - timedelta(seconds=5))
    [result] = check_watchlists(db, now=T0 + timedelta(hours=2))
    assert new_ids(result) == ["m1:ad:late"]
    settings = Settings({"TRAWLER_WATCHLIST_OVERLAP": 0})
    write(db, [ad("m1", "later", "Dubai later writer")], T0 + timedelta(hours=2) - timedelta(seconds=5))
    [result] = check_watchlists(db, settings, now=T0 + timedelta(hours=3))
    assert new_ids(result) == []  # without an overlap it would be missed
    assert hit_rows(db, watchlist.id) == [("m1:ad:late", 1, "new")]


def test_both_ways_in_find_the_same_listings(two_batches: pymongo.database.Database) -> None:
    """The shared read of recent versions, matched with the query layer's matcher, agrees with the search."""
    db = two_batches
    since = T0
    write(
        db,
        [
            ad("m1", "chg", "Cleaners needed in Dubai, travel paid"),  # changed since
            ad("m2", "1", "Hostesses wanted in Dubai, travel paid", PHONE),
            ad("m2", "2", "Travel to Dubai, paid by us"),  # the words, not the phrase
            ad("m1", "3", "Bike for sale"),
            ad("m1", "sofa", "Sofa for sale"),  # seen again, unchanged: not begun since
        ],
        T0 + timedelta(hours=1),
    )
    searches = [
        SearchParams(text="dubai"),
        SearchParams(text='"travel paid"'),
        SearchParams(text="paid travel"),
        SearchParams(site=["m2"]),
        SearchParams(kind=["ad"], has_contacts=True),
        SearchParams(text="sale"),
        SearchParams(text="nowhere"),
    ]
    expected = [
        ["m1:ad:chg", "m2:ad:1", "m2:ad:2"],
        ["m1:ad:chg", "m2:ad:1"],
        ["m1:ad:chg", "m2:ad:1", "m2:ad:2"],
        ["m2:ad:1", "m2:ad:2"],
        ["m2:ad:1"],
        ["m1:ad:3"],
        [],
    ]
    recent = RecentVersions(db, since)
    for params, ids in zip(searches, expected, strict=True):
        through_search = {d["_id"] for d in search_listings(db, params, since)}
        begun = sorted(version_starts(db, [d for d in search_listings(db, params, since)], since))
        assert begun == ids, params
        assert sorted(d["_id"] for d in recent.matching(params, since)) == ids, params
        assert set(ids) <= through_search  # the search also returns listings only seen again


def test_a_contact_watchlist_and_the_queries_a_check_sends(mongo: MongoServer, db_name: str) -> None:
    recorder = CommandRecorder()
    client = pymongo.MongoClient(mongo.uri, tz_aware=True, event_listeners=[recorder])
    db = client[db_name]
    try:
        ensure_indexes(db)
        write(db, [ad("m1", "old", "Hostess jobs", PHONE)], T0 - timedelta(hours=1))
        contact = create(
            db, "ann", WatchlistSpec(name="c", kind=Kind.SEARCH, search=SearchParams(contact="07700 900123")), now=T0
        )
        words = create(db, "ann", search_spec("hostess", "hostess"), now=T0)
        write(db, [ad("m2", "1", "Rooms", PHONE), ad("m1", "2", "Hostess wanted")], T0 + timedelta(hours=1))
        recorder.commands.clear()
        results = {r.watchlist.id: new_ids(r) for r in check_watchlists(db, now=T0 + timedelta(hours=2))}
        assert results == {contact.id: ["m2:ad:1"], words.id: ["m1:ad:2"]}
        shapes = set()
        for name, collection, command in recorder.commands:
            if name in ("find", "count", "aggregate") and collection == LISTINGS:
                shapes.add(tuple(sorted(command.get("filter") or command.get("query") or {})))
        # Every read of the listings is narrow on an index: by id, by site and last seen, or a token and date.
        assert shapes <= {
            ("_id",),
            ("_id", "crawl.last_seen"),
            ("crawl.last_seen", "site"),
            ("search.tokens", "search.ts"),
        }
        assert ("crawl.last_seen", "site") in shapes and ("_id",) in shapes
    finally:
        client.drop_database(db_name)
        client.close()


def test_a_listing_not_searchable_yet_is_found_once_its_terms_are_written(db: pymongo.database.Database) -> None:
    """The crawl writes search terms after the listings (crawler/query/terms.py): the checkpoint waits for them."""
    ensure_indexes(db)
    write(db, [ad("m1", "0", "Sofa")], datetime.now(UTC) - timedelta(minutes=5))
    catch_up_terms(db)
    covered = terms_checkpoint(db)
    watchlist = create(db, "ann", search_spec("dubai", "dubai"))
    seen = datetime.now(UTC)
    result = ListingWriter(db, index_terms=False).write([Pending(ad("m1", "1", "Dubai hostess"), seen, "run-x")])
    upsert_entities(db, (doc for doc, _ in result.stored))
    [first] = check_watchlists(db)
    assert new_ids(first) == []  # its words are not searchable yet
    stored = store.get(db, watchlist.id)
    assert stored.checkpoint == max(stored.created, covered) < seen  # not moved past what the terms cover
    catch_up_terms(db)
    [second] = check_watchlists(db)
    assert new_ids(second) == ["m1:ad:1"]
    assert store.get(db, watchlist.id).checkpoint == terms_checkpoint(db)


def test_specs_are_validated() -> None:
    with pytest.raises(ValidationError, match="would match everything"):
        WatchlistSpec(name="all", kind=Kind.SEARCH, search=SearchParams())
    with pytest.raises(ValidationError, match="takes `entity` and no `search`"):
        WatchlistSpec(name="x", kind=Kind.ENTITY, search=SearchParams(text="a"))
    with pytest.raises(ValidationError, match="pattern"):
        WatchlistSpec.model_validate({"name": "x", "kind": "search", "search": {"site": ["$where"]}})
    with pytest.raises(ValidationError, match="valid string"):
        WatchlistSpec.model_validate({"name": "x", "kind": "search", "search": {"text": {"$gt": ""}}})
    with pytest.raises(ValidationError, match="Extra inputs"):
        WatchlistSpec.model_validate({"name": "x", "kind": "entity", "entity": "phone:+1", "owner": "ada"})
    spec = WatchlistSpec.model_validate(
        {"name": "  dubai  ", "kind": "search", "search": {"text": "dubai", "limit": 5, "sort": "risk"}}
    )
    assert (spec.name, spec.search) == ("dubai", SearchParams(text="dubai"))  # page and sort are not watched


def test_names_are_unique_per_owner_and_entities_must_exist(db: pymongo.database.Database) -> None:
    ensure_indexes(db)
    create(db, "ann", search_spec("dubai", "dubai"), now=T0)
    with pytest.raises(WatchlistExists, match="ann already has a watchlist named 'dubai'"):
        create(db, "ann", search_spec("dubai", "visa"), now=T0)
    create(db, "bob", search_spec("dubai", "dubai"), now=T0)
    assert sorted(w.owner for w in store.list_all(db)) == ["ann", "bob"]
    assert [w.name for w in store.list_for(db, "bob")] == ["dubai"]
    with pytest.raises(UnknownEntity, match="no entity 'phone:\\+4400'"):
        create(db, "ann", WatchlistSpec(name="p", kind=Kind.ENTITY, entity="phone:+4400"), now=T0)


# ---------------------------------------------------------------------------
# Notices, to a local HTTP server (as tests/test_monitoring.py tests the alert channels)
# ---------------------------------------------------------------------------


def test_one_webhook_notice_per_watchlist_with_new_hits(
    db: pymongo.database.Database, webhook: tuple[str, Received]
) -> None:
    url, received = webhook
    ensure_indexes(db)
    loud = create(db, "ann", search_spec("dubai", "dubai", ["webhook"]), now=T0)
    create(db, "ann", search_spec("quiet", "dubai"), now=T0)  # no channel: no notice
    create(db, "ann", search_spec("visa", "visa", ["webhook"]), now=T0)  # no new hit: no notice
    write(db, [ad("m1", "1", "Dubai hostess", PHONE), ad("m1", "2", "Dubai driver")], T0 + timedelta(minutes=10))
    settings = Settings({"TRAWLER_ALERT_WEBHOOK_URL": f"{url}/hooks/T0K3N"})
    now = T0 + timedelta(hours=1)
    results = {r.watchlist.name: r for r in check_watchlists(db, settings, now=now)}
    [(path, _, body)] = received.requests
    assert path == "/hooks/T0K3N"
    payload = json.loads(body)
    assert {k: payload[k] for k in ("event", "count", "truncated")} == {
        "event": "trawler.watchlist_hits",
        "count": 2,
        "truncated": False,
    }
    assert payload["watchlist"] == {
        "id": loud.id,
        "name": "dubai",
        "owner": "ann",
        "kind": "search",
        "watches": "search text=dubai",
    }
    assert sorted((h["listing_id"], h["change"], h["title"], h["url"]) for h in payload["hits"]) == [
        ("m1:ad:1", "new", "Dubai hostess", "http://127.0.0.1/m1/1"),
        ("m1:ad:2", "new", "Dubai driver", "http://127.0.0.1/m1/2"),
    ]
    [delivery] = results["dubai"].deliveries
    assert (delivery["channel"], delivery["target"], delivery["ok"], delivery["attempts"]) == ("webhook", url, True, 1)
    notice = store.get(db, loud.id).last_notice
    assert (notice.at, notice.hits, [(d.channel, d.ok) for d in notice.deliveries]) == (now, 2, [("webhook", True)])
    assert (results["quiet"].deliveries, results["visa"].deliveries) == ([], [])


def test_delivery_failures_are_recorded_not_raised(
    db: pymongo.database.Database, webhook: tuple[str, Received]
) -> None:
    url, received = webhook
    received.status = 503
    ensure_indexes(db)
    both = create(db, "ann", search_spec("dubai", "dubai", ["webhook", "email"]), now=T0)
    write(db, [ad("m1", "1", "Dubai hostess")], T0 + timedelta(minutes=10))
    settings = Settings({"TRAWLER_ALERT_WEBHOOK_URL": url, "TRAWLER_ALERT_RETRIES": 1})
    [result] = check_watchlists(db, settings, now=T0 + timedelta(hours=1), backoff=0.01)
    assert new_ids(result) == ["m1:ad:1"] and result.error is None
    assert [(d["channel"], d["ok"], d["attempts"], d["error"]) for d in result.deliveries] == [
        ("email", False, 0, "no e-mail recipients are configured (TRAWLER_ALERT_EMAIL_TO)"),
        ("webhook", False, 2, "HTTP 503"),
    ]
    assert len(received.requests) == 2
    stored = store.get(db, both.id)
    assert [(d.channel, d.ok, d.error) for d in stored.last_notice.deliveries] == [
        ("email", False, "no e-mail recipients are configured (TRAWLER_ALERT_EMAIL_TO)"),
        ("webhook", False, "HTTP 503"),
    ]
    assert stored.checkpoint == T0 + timedelta(hours=1)  # the hits are kept; only the notice failed


def test_a_broken_watchlist_does_not_stop_the_others(db: pymongo.database.Database) -> None:
    ensure_indexes(db)
    good = create(db, "ann", search_spec("dubai", "dubai"), now=T0)
    bad = create(db, "ann", search_spec("visa", "visa"), now=T0)
    # Edited by hand into something the query layer refuses: checked again on the way out of the database.
    db[store.WATCHLISTS].update_one({"_id": bad.id}, {"$set": {"search": {"site": ["$where"]}}})
    write(db, [ad("m1", "1", "Dubai visa")], T0 + timedelta(minutes=10))
    results = check_watchlists(db, now=T0 + timedelta(hours=1))
    assert [(r.watchlist.id, new_ids(r)) for r in results] == [(good.id, ["m1:ad:1"])]


# ---------------------------------------------------------------------------
# The CLI
# ---------------------------------------------------------------------------


def test_cli_add_list_check_hits_remove(
    db: pymongo.database.Database, crawl_env: dict[str, str], webhook: tuple[str, Received]
) -> None:
    url, received = webhook
    ensure_indexes(db)
    create_user(db, "ann", Role.ANALYST, "ann-password-123")
    create_user(db, "vic", Role.VIEWER, "vic-password-123")
    env = {**crawl_env, "TRAWLER_ALERT_WEBHOOK_URL": url}
    added = run_cli(["watch", "add", "dubai jobs", "--owner", "ann", "--text", "dubai", "--notify", "webhook"], env)
    assert added.returncode == 0, added.stderr
    watchlist_id = added.stdout.strip()
    [stored] = store.list_all(db)
    assert (stored.id, stored.owner, stored.search, stored.notify) == (
        watchlist_id, "ann", SearchParams(text="dubai"), ["webhook"]
    )  # fmt: skip
    refused = run_cli(["watch", "add", "x", "--owner", "vic", "--text", "dubai"], env)
    assert refused.returncode == 1 and "vic is a viewer: watchlists need the analyst role" in refused.stderr

    write(db, [ad("m1", "1", "Dubai hostess"), ad("m1", "2", "Sofa")], datetime.now(UTC) + timedelta(seconds=1))
    checked = run_cli(["watch", "check", "--json"], env)
    assert checked.returncode == 0, checked.stderr
    [line] = checked.stdout.splitlines()
    outcome = json.loads(line)
    assert (outcome["watchlist_id"], outcome["new_hits"], outcome["error"]) == (watchlist_id, ["m1:ad:1"], None)
    assert [(d["channel"], d["ok"]) for d in outcome["deliveries"]] == [("webhook", True)]
    assert json.loads(received.requests[0][2])["hits"][0]["listing_id"] == "m1:ad:1"

    listed = run_cli(["watch", "list", "--owner", "ann", "--json"], env)
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["id"], row["name"], row["unseen"], row["hits"]) == (watchlist_id, "dubai jobs", 1, 1)
    hits = run_cli(["watch", "hits", watchlist_id, "--json", "--mark-seen"], env)
    assert [json.loads(line)["listing_id"] for line in hits.stdout.splitlines()] == ["m1:ad:1"]
    assert store.unseen_count(db, watchlist_id) == 0

    removed = run_cli(["watch", "remove", watchlist_id], env)
    assert removed.returncode == 0 and f"deleted watchlist {watchlist_id}" in removed.stdout
    assert (store.list_all(db), db[store.HITS].count_documents({})) == ([], 0)
    audited = [(e["actor"], e["action"], e["params"]["id"]) for e in db[AUDIT_LOG].find({}).sort("_id", 1)]
    assert audited == [("cli", "watchlist.create", watchlist_id), ("cli", "watchlist.delete", watchlist_id)]


# ---------------------------------------------------------------------------
# After a real crawl
# ---------------------------------------------------------------------------


def test_a_crawl_run_checks_the_watchlists_and_notifies(
    db: pymongo.database.Database, crawl_env: dict[str, str], webhook: tuple[str, Received]
) -> None:
    url, received = webhook
    ensure_indexes(db)
    watchlist = create(
        db, "ann", WatchlistSpec(name="ads", kind=Kind.SEARCH, search=SearchParams(kind=["ad"]), notify=["webhook"])
    )
    elsewhere = create(
        db, "ann", WatchlistSpec(name="other", kind=Kind.SEARCH, search=SearchParams(site=["other-site"], kind=["ad"]))
    )
    demo = start_demo()
    try:
        truth = sorted(doc["_id"] for doc in demo.truth()["demo-market"])  # the demo generator's ads
        env = {**crawl_env, **demo.env, **EXTRACTION_ONLY, "TRAWLER_ALERT_WEBHOOK_URL": url}
        result = run_cli(["crawl", "demo-market", "--no-progress"], env)
    finally:
        demo.server.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(doc["_id"] for doc in db[LISTINGS].find({"kind": "ad"}, {"_id": 1})) == truth
    assert hit_rows(db, watchlist.id) == [(listing_id, 1, "new") for listing_id in truth]  # every ad of the crawl, once
    [(_, _, body)] = received.requests
    payload = json.loads(body)
    assert (payload["event"], payload["count"], len(payload["hits"])) == ("trawler.watchlist_hits", len(truth), 50)
    assert store.get(db, watchlist.id).last_notice.hits == len(truth)
    assert store.get(db, elsewhere.id).last_check is None  # limited to another site: left for that site's runs
