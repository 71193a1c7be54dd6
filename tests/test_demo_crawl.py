"""End to end: crawl the three demo platforms into the real database and compare with the ground truth.

Then crawl again unchanged (nothing new, no version), then crawl revision 1 of
the same platforms (exactly the edited listings get a new version).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pytest

from crawler.models import DERIVED_FIELDS, Listing
from crawler.storage.snapshots import body_of
from crawler.testkit import diff_listings
from tests.conftest import ENRICHERS, EXTRACTION_ONLY, MongoServer, RunningDemo, run_cli, start_demo

SITES = ["demo-forum", "demo-market", "demo-reviews"]


@dataclass
class Crawled:
    demo: RunningDemo
    env: dict[str, str]
    db: pymongo.database.Database
    truth: dict[str, list[dict]]
    outputs: list[str]

    def crawl(self, demo: RunningDemo | None = None) -> None:
        demo = demo or self.demo
        result = run_cli(["crawl", *SITES, "--no-progress"], {**self.env, **demo.env})
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
        self.outputs.append(result.stdout)


@pytest.fixture(scope="module")
def crawled(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    demo = start_demo()
    name = "demo_e2e"
    env = {
        "MONGO_URI": mongo.uri,
        "MONGO_DATABASE": name,
        "TRAWLER_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        **EXTRACTION_ONLY,
    }
    client = mongo.client()
    client.drop_database(name)
    truth = {site: items for site, items in demo.truth().items() if site in SITES}
    state = Crawled(demo, env, client[name], truth, [])
    state.crawl()
    yield state
    demo.server.stop()
    client.drop_database(name)


def stored(db: pymongo.database.Database, site: str) -> list[dict]:
    return [{k: v for k, v in doc.items() if k != "crawl"} for doc in db.listings.find({"site": site})]


@pytest.mark.parametrize("site", SITES)
def test_first_crawl_stores_exactly_the_ground_truth(crawled: Crawled, site: str) -> None:
    assert diff_listings(crawled.truth[site], stored(crawled.db, site)) == []


def test_listing_counts_per_site_and_kind(crawled: Crawled) -> None:
    counts = Counter((d["site"], d["kind"]) for d in crawled.db.listings.find({}, {"site": 1, "kind": 1}))
    expected = Counter((site, item["kind"]) for site, items in crawled.truth.items() for item in items)
    assert counts == expected
    assert sum(counts.values()) == sum(len(v) for v in crawled.truth.values())


def test_each_site_has_a_finished_run_record_with_its_counts(crawled: Crawled) -> None:
    runs = {run["site"]: run for run in crawled.db.crawl_runs.find()}
    assert sorted(runs) == SITES
    for site, run in runs.items():
        assert run["status"] == "finished", run
        counts = run["counts"]
        assert counts["listings_new"] == len(crawled.truth[site])
        assert counts["listings_updated"] == counts["listings_unchanged"] == 0
        assert counts["listings_quarantined"] == 0
        assert counts["errors"] == 0
        assert run["hook_errors"] == {}


def test_nothing_was_quarantined_and_every_listing_has_crawl_metadata(crawled: Crawled) -> None:
    assert crawled.db.quarantine.count_documents({}) == 0
    for doc in crawled.db.listings.find():
        meta = doc["crawl"]
        assert meta["version"] == 1
        assert meta["first_seen"] == meta["last_seen"]
        content = {k: v for k, v in doc.items() if k not in DERIVED_FIELDS}  # search data is derived, not content
        assert meta["content_hash"] == Listing.model_validate(content).content_hash()


def test_every_listing_points_at_the_stored_page_it_was_read_from(crawled: Crawled) -> None:
    pages = {item["url"].split("#")[0] for items in crawled.truth.values() for item in items}
    snapshots = {doc["_id"]: doc for doc in crawled.db.snapshots.find()}
    assert len(snapshots) == len(pages) == 45 + 120 + 35  # topic pages, ad pages, business pages
    assert {doc["url"] for doc in snapshots.values()} == pages
    for listing in crawled.db.listings.find({}, {"crawl.snapshot_id": 1, "url": 1}):
        snapshot = snapshots[listing["crawl"]["snapshot_id"]]
        assert snapshot["url"] == listing["url"].split("#")[0]
    some = next(iter(snapshots.values()))
    assert hashlib.sha256(body_of(some)).hexdigest() == some["_id"]
    assert (some["status"], some["headers"]["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert set(some["plugin_versions"]) >= {"forum", "marketplace", "review"}


def test_snapshots_export_as_warc_read_back_with_matching_hashes(crawled: Crawled, tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    path = tmp_path / "market.warc.gz"
    result = run_cli(["evidence", "warc", "--site", "demo-market", "-o", str(path)], crawled.env)
    assert result.returncode == 0, result.stderr
    stored = {d["_id"] for d in crawled.db.snapshots.find({"site": "demo-market"}, {"_id": 1})}
    read = set()
    with open(path, "rb") as warc:
        for record in ArchiveIterator(warc):
            assert record.rec_type == "response"
            body = record.content_stream().read()
            digest = hashlib.sha256(body).hexdigest()
            assert record.rec_headers.get_header("WARC-Trawler-Snapshot") == digest
            assert record.http_headers.get_statuscode() == "200"
            read.add(digest)
    assert read == stored and len(read) == 120


def test_an_evidence_archive_holds_state_snapshots_and_a_manifest(crawled: Crawled, tmp_path: Path) -> None:
    listing_id = "demo-market:ad:a10014"
    path = tmp_path / "evidence.zip"
    result = run_cli(["evidence", "listing", listing_id, "-o", str(path)], crawled.env)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert sorted(archive.namelist()) == ["listing.json", "manifest.json", "snapshots.warc.gz", "versions.json"]
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        assert json.loads(archive.read("listing.json"))["_id"] == listing_id
    stored = crawled.db.listings.find_one({"_id": listing_id})
    assert [s["sha256"] for s in manifest["snapshots"]] == [stored["crawl"]["snapshot_id"]]


def test_reextraction_from_snapshots_changes_nothing_when_extractors_did_not(crawled: Crawled) -> None:
    result = run_cli(["reextract", "demo-reviews"], crawled.env)
    assert result.returncode == 0, result.stderr
    assert "35 pages read again: 0 new, 0 updated, 209 unchanged, 0 invalid" in " ".join(result.stdout.split())
    assert crawled.db.listing_versions.count_documents({}) == 0


def test_recrawl_of_unchanged_sites_adds_nothing(crawled: Crawled) -> None:
    before = crawled.db.listings.count_documents({})
    crawled.crawl()
    assert crawled.db.listings.count_documents({}) == before
    assert crawled.db.listing_versions.count_documents({}) == 0
    latest = {
        run["site"]: run["counts"]
        for run in crawled.db.crawl_runs.find().sort("started_at", pymongo.DESCENDING).limit(3)
    }
    for site in SITES:
        assert latest[site]["listings_new"] == 0
        assert latest[site]["listings_updated"] == 0
        assert latest[site]["listings_unchanged"] == len(crawled.truth[site])
    moved = crawled.db.listings.count_documents({"$expr": {"$gt": ["$crawl.last_seen", "$crawl.first_seen"]}})
    assert moved == before


def test_revision_one_versions_exactly_the_edited_listings(crawled: Crawled) -> None:
    crawled.demo.server.stop()
    revised = start_demo(revision=1, port_base=crawled.demo.server.port_base, now=crawled.demo.options.now)
    try:
        crawled.crawl(revised)
        new_truth = {site: items for site, items in revised.truth().items() if site in SITES}
    finally:
        revised.server.stop()
    crawled.demo = start_demo(port_base=crawled.demo.server.port_base, now=crawled.demo.options.now)

    def hashes(truth: dict[str, list[dict]]) -> dict[str, str]:
        clean = ({k: v for k, v in i.items() if not k.startswith("_truth")} for items in truth.values() for i in items)
        return {listing.id: listing.content_hash() for listing in map(Listing.model_validate, clean)}

    old, new = hashes(crawled.truth), hashes(new_truth)
    assert set(old) == set(new)
    changed = {listing_id for listing_id in old if old[listing_id] != new[listing_id]}
    assert changed, "revision 1 of the demo must edit some listings"
    versioned = {v["listing_id"] for v in crawled.db.listing_versions.find()}
    assert versioned == changed
    assert crawled.db.listings.count_documents({"crawl.version": 2}) == len(changed)
    for site in SITES:
        assert diff_listings(new_truth[site], stored(crawled.db, site)) == []
    for version in crawled.db.listing_versions.find():
        assert version["version"] == 1
        assert version["diff"], f"{version['_id']} has an empty diff"


def test_ads_taken_down_are_marked_removed_never_deleted(crawled: Crawled) -> None:
    crawled.demo.server.stop()
    taken_down = start_demo(revision=2, port_base=crawled.demo.server.port_base, now=crawled.demo.options.now)
    try:
        result = run_cli(["crawl", "demo-market", "--no-progress"], {**crawled.env, **taken_down.env})
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        taken_down.server.stop()
    crawled.demo = start_demo(port_base=crawled.demo.server.port_base, now=crawled.demo.options.now)
    from crawler.demo.market import build

    removed = build(taken_down.options).removed
    assert len(removed) == 3
    marked = {d["_id"] for d in crawled.db.listings.find({"site": "demo-market", "crawl.removed_at": {"$ne": None}})}
    assert marked == {f"demo-market:ad:{ad_id}" for ad_id in removed}
    assert crawled.db.listings.count_documents({"site": "demo-market"}) == 120  # still there, as evidence
    run = crawled.db.crawl_runs.find_one({"site": "demo-market"}, sort=[("started_at", pymongo.DESCENDING)])
    assert (run["counts"]["listings_removed"], run["counts"]["listings_unchanged"]) == (3, 117)


def test_reextraction_versions_what_an_improved_extractor_reads_differently(crawled: Crawled) -> None:
    from crawler.plugins import get_plugin_manager, hookimpl
    from crawler.reextract import reextract
    from crawler.spiderloader import load_catalog

    class BetterTitles:
        """Stands in for an improved extractor: business titles come out upper-case."""

        @hookimpl
        def trawler_enrich_listing(self, listing: dict, profile: object) -> None:
            if listing.get("kind") == "business":
                listing["title"] = listing["title"].upper()

    pm = get_plugin_manager(blocked=ENRICHERS, extra_plugins=[BetterTitles()])
    profile = load_catalog(pm).profiles["demo-reviews"]
    before = crawled.db.listing_versions.count_documents({})
    result = reextract(crawled.db, pm, profile)
    assert (result.pages, result.new, result.updated, result.unchanged) == (35, 0, 21, 188)
    versions = list(crawled.db.listing_versions.find({"run_id": {"$regex": "^reextract-demo-reviews-"}}))
    assert len(versions) == 21 == crawled.db.listing_versions.count_documents({}) - before
    assert all(list(v["diff"]) == ["title"] for v in versions)
