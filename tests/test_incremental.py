"""Incremental and adaptive recrawls: conditional requests, skipped unchanged pages, stopped pagination.

A real demo server (crawler/demo/, with ETag/Last-Modified and 304s), real crawls in subprocesses, the real
SecantusDB server. The changed listings come from the generator's own record of what ``change_fraction``
changed, so the assertions are exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pymongo
import pytest

from crawler.demo import forum, market, reviews
from crawler.demo.base import BuildOptions
from crawler.demo.market import build as build_market
from crawler.demo.process import DemoServer
from crawler.demo.reviews import FEED_PER_PAGE
from crawler.demo.reviews import build as build_reviews
from crawler.incremental.schedule import RevisitPolicy
from crawler.incremental.state import PageState, PageStateStore, anchor_key
from crawler.profiles import ProfileError, load_profile
from tests.conftest import EXTRACTION_ONLY, MongoServer, _free_port_base, run_cli

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # one build time for every server: the same bytes when unchanged
SITE = "demo-market"
DEPTH = 4  # 120 ads per category: deep result lists, as on a real marketplace


# -- the adaptive interval maths -------------------------------------------------------------------------------------


def test_first_fetch_gets_the_initial_interval() -> None:
    policy = RevisitPolicy(initial_s=86400, minimum_s=3600, maximum_s=864000, grow=1.5, shrink=0.5)
    assert policy.next_interval(None, changed=True) == 86400
    assert policy.next_interval(None, changed=False) == 86400


def test_unchanged_grows_changed_shrinks_within_bounds() -> None:
    policy = RevisitPolicy(initial_s=86400, minimum_s=3600, maximum_s=200000, grow=1.5, shrink=0.5)
    assert policy.next_interval(86400, changed=False) == 129600
    assert policy.next_interval(129600, changed=False) == 194400
    assert policy.next_interval(194400, changed=False) == 200000  # capped at the maximum
    assert policy.next_interval(86400, changed=True) == 43200
    assert policy.next_interval(5000, changed=True) == 3600  # floored at the minimum
    assert policy.next_due(NOW, 3600) == datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def test_initial_interval_outside_the_bounds_is_clamped() -> None:
    assert RevisitPolicy(initial_s=10, minimum_s=60, maximum_s=120).next_interval(None, changed=False) == 60
    with pytest.raises(ValueError, match="minimum <= maximum"):
        RevisitPolicy(minimum_s=10, maximum_s=5)
    with pytest.raises(ValueError, match="grow >= 1"):
        RevisitPolicy(grow=0.9)


def test_profile_incremental_section_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "name: good\nplatform_type: forum\nstart_urls: ['http://x.test/']\n"
        "incremental: {enabled: true, row: 'li.row', marker: 'dd.lastpost', stop_pagination: false}\n"
    )
    profile = load_profile(good)
    assert not isinstance(profile, ProfileError)
    assert (profile.incremental.enabled, profile.incremental.row, profile.incremental.marker) == (
        True,
        "li.row",
        "dd.lastpost",
    )
    assert (profile.incremental.stop_pagination, profile.incremental.skip_unchanged) == (False, True)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nplatform_type: forum\nstart_urls: ['http://x.test/']\nincremental: {stop: yes}\n")
    error = load_profile(bad)
    assert isinstance(error, ProfileError)
    assert (error.source, error.field) == (str(bad), "incremental.stop")


# -- the page-state store: markers recorded when the page is fetched, by whichever request fetches it ---------------


def _fetched(store: PageStateStore, url: str, marker: str | None = None) -> PageState:
    return store.fetched(url, now=NOW, changed=True, interval_s=3600, etag='"e"', last_modified=None, body=b"<p>x</p>",
                         content_type="text/html", marker=marker, head=None)  # fmt: skip


def test_row_and_anchor_markers_wait_for_the_fetch_of_their_page(db: pymongo.database.Database) -> None:
    store = PageStateStore(db, "s")
    # A list row's request was dropped as a duplicate of a "featured" link's, which fetched the page without
    # the marker: the row's marker is recorded all the same, at that fetch.
    store.expect_marker("http://h/ad/1", "row-1")
    store.expect_anchor("http://h/biz/x?page=2", "review-7", "feed-7")
    store.expect_anchor("http://h/biz/x?page=2", "review-9", "feed-9")
    assert store.get("http://h/ad/1") is None and store.get("http://h/biz/x?page=2") is None  # nothing before
    assert _fetched(store, "http://h/ad/1").marker == "row-1"
    page = _fetched(store, "http://h/biz/x?page=2#review-7")  # the fragment names no other page
    assert (page.marker, page.anchors) == (None, {anchor_key("review-7"): "feed-7", anchor_key("review-9"): "feed-9"})
    store.set_anchor(page, "review-7", "feed-7b")  # a later row, once the page was fetched in this run
    assert _fetched(store, "http://h/ad/1", marker="row-2").marker == "row-2"  # the request's own marker wins
    store.close()
    again = PageStateStore(db, "s")
    assert again.load() == 2
    assert again.get("http://h/ad/1").marker == "row-2"
    assert again.get("http://h/biz/x?page=2").anchors == {anchor_key("review-7"): "feed-7b",
                                                          anchor_key("review-9"): "feed-9"}  # fmt: skip
    again.close()


def test_a_row_request_dropped_as_a_duplicate_keeps_its_marker_for_a_page_another_worker_fetches(
    db: pymongo.database.Database,
) -> None:
    from types import SimpleNamespace

    import scrapy

    from crawler.incremental.markers import ROW_MARKER, duplicate_dropped

    # Worker B fetched the ad through a "featured" link (no marker); worker A saw its list row afterwards, and the
    # shared queue dropped A's row request as a duplicate. Only A knows the row's marker: it is stored by A.
    fetcher, lister = PageStateStore(db, "s"), PageStateStore(db, "s")
    _fetched(fetcher, "http://h/ad/1")
    fetcher.close()
    duplicate_dropped(SimpleNamespace(page_states=lister), scrapy.Request("http://h/ad/1", meta={ROW_MARKER: "row-1"}))
    duplicate_dropped(SimpleNamespace(page_states=lister), scrapy.Request("http://h/ad/2"))  # not from a row
    lister.close()
    again = PageStateStore(db, "s")
    assert again.load() == 1
    assert again.get("http://h/ad/1").marker == "row-1"
    again.close()


# -- the demo generators' change_fraction ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["forum", "market", "reviews"])
def test_change_fraction_changes_exactly_the_listings_it_records(name: str) -> None:
    module = {"forum": forum, "market": market, "reviews": reviews}[name]
    plain = module.build(BuildOptions(seed=7, now=NOW, depth=2))
    changed = module.build(BuildOptions(seed=7, now=NOW, depth=2, change_fraction=0.01))
    before = {item["_id"]: item for item in plain.truth("http://h", "s")}
    after = {item["_id"]: item for item in changed.truth("http://h", "s")}
    recorded = {
        "forum": lambda: changed.changed_ids("s"),
        "market": lambda: {f"s:ad:{ad_id}" for ad_id in changed.changed},
        "reviews": lambda: {f"s:{kind}:{native}" for kind, native in changed.changed},
    }[name]()
    assert set(after) == set(before)
    assert {key for key in before if before[key] != after[key]} == recorded
    # ~1% of the listings (a forum edit changes two listings: the post and its thread)
    assert (len(recorded), len(before)) == {"forum": (6, 553), "market": (2, 240), "reviews": (5, 492)}[name]
    assert (
        module.build(BuildOptions(seed=7, now=NOW)).pages()
        == module.build(BuildOptions(seed=7, now=NOW, change_fraction=0.0, depth=1)).pages()
    )


# -- recrawls of the demo marketplace --------------------------------------------------------------------------------


@dataclass
class Recrawls:
    env: dict[str, str]
    db: pymongo.database.Database
    var: Path
    port_base: int
    runs: int = 0

    def crawl(self, options: BuildOptions, *extra: str, platform: str = "market") -> dict:
        self.runs += 1
        stats_file = self.var / f"stats-{self.runs}.json"
        with DemoServer(options, self.port_base, only=platform) as server:
            site = f"demo-{platform}"
            args = ["crawl", site, "--no-progress", "--set", f"TRAWLER_STATS_FILE={stats_file}", *extra]
            result = run_cli(args, {**self.env, **server.env})
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
        return json.loads(stats_file.read_text())


@pytest.fixture(scope="module")
def recrawls(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recrawls]:
    var = tmp_path_factory.mktemp("incremental")
    name = f"incremental_{datetime.now(UTC):%H%M%S%f}"
    env = {
        "MONGO_URI": mongo.uri,
        "MONGO_DATABASE": name,
        "TRAWLER_VAR_DIR": str(var / "var"),
        "TRAWLER_INCREMENTAL": "1",
        **EXTRACTION_ONLY,
    }
    client = pymongo.MongoClient(mongo.uri, tz_aware=True)
    yield Recrawls(env, client[name], var, _free_port_base())
    client.drop_database(name)
    client.close()


def _pages(stats: dict) -> int:
    return int(stats.get("downloader/request_count", 0))


def test_recrawl_fetches_only_what_changed(recrawls: Recrawls) -> None:
    first_options = BuildOptions(seed=7, scale=1, now=NOW, depth=DEPTH)
    changed_options = BuildOptions(seed=7, scale=1, now=NOW, depth=DEPTH, change_fraction=0.01)
    changed = {f"{SITE}:ad:{ad_id}" for ad_id in build_market(changed_options).changed}
    all_ids = {ad.id for ad in build_market(first_options).ads}
    assert len(changed) == 5  # 1% of 480 ads

    first = recrawls.crawl(first_options)
    assert first["trawler/listings_new"] == len(all_ids)
    assert first.get("trawler/incremental/pages_skipped", 0) == 0
    first_started = datetime.now(UTC)

    # 1% of the ads edited and bumped: only the first result page of each category and the edited ads.
    second = recrawls.crawl(changed_options)
    assert _pages(second) <= 0.10 * _pages(first), (_pages(second), _pages(first))
    assert second["trawler/listings_updated"] == len(changed)
    assert second.get("trawler/listings_new", 0) == 0
    assert second["trawler/incremental/pagination_stopped"] == 4  # one per category
    versions = {doc["listing_id"] for doc in recrawls.db.listing_versions.find({}, {"listing_id": 1})}
    assert versions == changed
    assert recrawls.db.listings.count_documents({"site": SITE, "crawl.removed_at": {"$ne": None}}) == 0
    for ad_id in changed:
        doc = recrawls.db.listings.find_one({"_id": ad_id})
        assert doc["crawl"]["version"] == 2
        assert doc["body"].endswith("Update: still available, price negotiable.")
    # last_seen moved for exactly the ads on the result pages walked (re-read, or confirmed by their cards):
    # each category up to its first page without a changed ad; the ads further down keep theirs, unremoved.
    shown = set()
    for category in build_market(changed_options).categories:
        for start in range(0, len(category.ads), 12):
            page = {f"{SITE}:ad:{ad.id}" for ad in category.ads[start : start + 12]}
            shown |= page
            if not page & changed:
                break
    moved = {d["_id"] for d in recrawls.db.listings.find({"crawl.last_seen": {"$gte": first_started}}, {"_id": 1})}
    assert moved == shown
    states = recrawls.db.page_states.count_documents({"site": SITE})
    assert states == _pages(first)

    # Nothing changed since: the pages fetched are answered 304, nothing is extracted or stored again.
    third = recrawls.crawl(changed_options)
    # robots.txt, the home page, the first result page of each of the 4 categories, the 4 ads the home page
    # features (linked outside any result card, so fetched conditionally): all answered 304.
    assert _pages(third) == 10
    assert third["trawler/incremental/pages_not_modified"] == 10
    assert third.get("trawler/incremental/pages_changed", 0) == 0
    assert third.get("trawler/listings_extracted", 0) == 0
    assert recrawls.db.listing_versions.count_documents({}) == len(changed)

    # --full fetches every page again, unconditionally, and the clean full sweep marks nothing removed.
    full = recrawls.crawl(changed_options, "--full")
    assert _pages(full) == _pages(first)
    assert full.get("trawler/incremental/pages_not_modified", 0) == 0
    assert full["trawler/listings_unchanged"] == len(all_ids)
    assert full.get("trawler/listings_removed", 0) == 0

    # Time passes: every page is due by its revisit interval. The site meanwhile edited 5% of its ads without
    # bumping them (revision 1) and took 3 down (revision 2). Due pages are requested from the stored states:
    # the edits are found though no list shows them, and the pages taken down answer 404 and are marked.
    recrawls.db.page_states.update_many({}, {"$set": {"next_due": datetime(2020, 1, 1, tzinfo=UTC)}})
    later = BuildOptions(seed=7, scale=1, now=NOW, depth=DEPTH, change_fraction=0.01, revision=2)
    before = {item["_id"]: item for item in build_market(changed_options).truth("http://h", SITE)}
    after = {item["_id"]: item for item in build_market(later).truth("http://h", SITE)}
    taken_down = {f"{SITE}:ad:{ad_id}" for ad_id in build_market(later).removed}
    edited = {ad_id for ad_id, item in after.items() if item != before[ad_id]}
    versions_before = recrawls.db.listing_versions.count_documents({})
    due = recrawls.crawl(later)
    assert due["trawler/incremental/pages_due"] == len(all_ids)
    assert due["trawler/listings_updated"] == len(edited)
    assert due["trawler/incremental/listings_gone"] == len(taken_down) == 3
    assert recrawls.db.listing_versions.count_documents({}) == versions_before + len(edited)
    removed = {d["_id"] for d in recrawls.db.listings.find({"crawl.removed_at": {"$ne": None}}, {"_id": 1})}
    assert removed == taken_down


# -- recrawls of the demo review site --------------------------------------------------------------------------------

REVIEWS = "demo-reviews"


def test_review_recrawl_refetches_only_the_pages_of_edited_reviews(recrawls: Recrawls) -> None:
    # depth 4: 84 businesses, 889 reviews; 1% of the listings is 10 edited reviews.
    first_options = BuildOptions(seed=7, scale=1, now=NOW, depth=DEPTH)
    changed_options = BuildOptions(seed=7, scale=1, now=NOW, depth=DEPTH, change_fraction=0.01)
    plain, site = build_reviews(first_options), build_reviews(changed_options)
    changed = {f"{REVIEWS}:review:{native}" for _kind, native in site.changed}
    assert len(changed) == 10

    # The first crawl walks the site's structure and, to record its rows, the latest-activity feed:
    # robots.txt, the home page, the category directory, every business list page, every review page, the feed.
    first = recrawls.crawl(first_options, platform="reviews")
    structure = 3 + sum(c.list_pages for c in plain.categories) + sum(b.review_pages for b in plain.businesses)
    assert _pages(first) == structure + plain.feed_pages == 3 + 18 + 160 + 10
    assert first["trawler/listings_new"] == len(plain.truth("http://h", REVIEWS)) == 973
    assert first.get("trawler/incremental/anchors_changed", 0) == 0  # a first crawl requests no feed row

    # 10 reviews edited: they head the feed, and nothing else on the lists changed. Requested: robots.txt, the
    # home page, the directory, the first list page of each category (all cards unchanged: stop), the feed
    # up to its first page without an edit, and the one review page holding each edited review.
    second = recrawls.crawl(changed_options, platform="reviews")
    by_id = {review.id: review for review in site.reviews}
    edited_pages = {(r.business.slug, r.business.page_of(r)) for r in (by_id[native] for _k, native in site.changed)}
    feed_walked = min(-(-len(changed) // FEED_PER_PAGE) + 1, site.feed_pages)
    assert (len(edited_pages), feed_walked) == (10, 2)
    assert _pages(second) == 3 + len(site.categories) + feed_walked + len(edited_pages) == 18
    assert _pages(second) <= 0.10 * _pages(first)
    assert second["trawler/incremental/anchors_changed"] == len(changed)
    assert second["trawler/incremental/pages_not_modified"] == 3 + len(site.categories)  # 304s: all but those
    assert second["trawler/listings_updated"] == len(changed)
    assert second.get("trawler/listings_new", 0) == 0
    versions = {d["listing_id"] for d in recrawls.db.listing_versions.find({"listing_id": {"$regex": "^demo-rev"}})}
    assert versions == changed
    assert recrawls.db.listings.count_documents({"site": REVIEWS, "crawl.removed_at": {"$ne": None}}) == 0
    for listing_id in changed:
        doc = recrawls.db.listings.find_one({"_id": listing_id})
        assert (doc["crawl"]["version"], doc["body"].endswith("it was the same.")) == (2, True)

    # Nothing changed since: the same fixed pages and the feed's first page, all answered 304.
    third = recrawls.crawl(changed_options, platform="reviews")
    assert _pages(third) == third["trawler/incremental/pages_not_modified"] == 3 + len(site.categories) + 1
    assert third.get("trawler/listings_extracted", 0) == 0
    assert third.get("trawler/incremental/anchors_changed", 0) == 0
