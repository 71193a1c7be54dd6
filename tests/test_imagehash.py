"""The optional photo-hash enricher: hashing, photo keys, the demo's planted reposted photos, crawls on and off."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pytest
from PIL import Image
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from twisted.internet.defer import CancelledError
from twisted.internet.error import TCPTimedOutError

from crawler.demo import market
from crawler.demo.base import BuildOptions
from crawler.demo.photos import MISSING, NOT_AN_IMAGE, Photo, jpeg
from crawler.images import ImageHashPipeline
from crawler.plugin_settings import PluginSettingError, check
from crawler.plugins import get_plugin_manager
from crawler.spiders import PageListings
from crawler.storage.entities import entities_of, listings_sharing
from crawler.testkit import diff_listings
from plugins.imagehash import ImageHashSettings
from plugins.imagehash.hashing import ImageTooLarge, NotAnImage, PhotoIndex, distance, phash
from tests.conftest import EXTRACTION_ONLY, MongoServer, RunningDemo, run_cli, start_demo

SITE = "demo-market"
MAX_IMAGES = ImageHashSettings().TRAWLER_IMAGE_HASH_MAX_IMAGES
DISTANCE = ImageHashSettings().TRAWLER_IMAGE_HASH_DISTANCE


def _encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


# ---------------------------------------------------------------------------
# Hashing and photo keys
# ---------------------------------------------------------------------------


def test_copies_of_a_photo_hash_near_and_different_photos_far() -> None:
    subjects = [f"s{n}" for n in range(60)]
    originals = {s: phash(jpeg(Photo(s), seed=3)) for s in subjects}
    copies = [distance(originals[s], phash(jpeg(Photo(s, copy), seed=3))) for s in subjects for copy in (1, 2, 3)]
    assert max(copies) <= DISTANCE
    others = [distance(originals[a], originals[b]) for a, b in itertools.combinations(subjects, 2)]
    assert min(others) > DISTANCE
    assert sum(others) / len(others) > 28  # unrelated photos differ in about half of the 64 bits

    # Other ways a photo is copied: saved as PNG, halved in size, cropped by 2%, turned grey.
    image = Image.open(io.BytesIO(jpeg(Photo("s1"), seed=3)))
    width, height = image.size
    variants = {
        "png": _encode(image, "PNG"),
        "half": _encode(image.resize((width // 2, height // 2)), quality=70),
        "crop": _encode(image.crop((2, 2, width - 2, height - 2)), quality=80),
        "grey": _encode(image.convert("L"), quality=90),
    }
    near = {name: distance(originals["s1"], phash(data)) for name, data in variants.items()}
    assert all(d <= DISTANCE for d in near.values()), near


def test_what_is_not_an_image_or_too_large_is_refused() -> None:
    with pytest.raises(NotAnImage):
        phash(b"<!doctype html><html><body>Image unavailable</body></html>")
    with pytest.raises(NotAnImage):
        phash(b"")
    data = jpeg(Photo("s1"), seed=3)
    with pytest.raises(NotAnImage):
        phash(data[: len(data) // 3])  # a download cut short
    with pytest.raises(ImageTooLarge):
        phash(data, max_pixels=100)
    assert phash(data) == phash(bytes(data))  # deterministic
    assert len(phash(data)) == 16


def test_photo_index_keys_copies_by_their_first_hash_and_never_chains() -> None:
    index = PhotoIndex(max_distance=8)
    first = "ffff0000ffff0000"
    assert index.photo_of(first) == (first, True)
    assert index.photo_of("ffff0000ffff00f0") == (first, False)  # 4 bits away: the same photo
    assert index.photo_of(first) == (first, False)
    eight = "ffff0000ffff00ff"  # 8 bits from the key: still the same photo
    assert index.photo_of(eight) == (first, False)
    twelve = "ffff0000ffff0fff"  # 12 bits from the key, 4 from a copy: a new photo (no chaining through copies)
    assert distance(twelve, eight) == 4
    assert index.photo_of(twelve) == (twelve, True)
    assert len(index) == 2
    # A hash as near to two keys goes to the smaller one, whatever order the keys came in.
    tie = PhotoIndex(max_distance=8)
    tie.add_known(["00000000000000ff", "000000000000ff00"])
    assert tie.photo_of("0000000000000ff0") == ("00000000000000ff", False)
    strict = PhotoIndex(max_distance=0)
    assert strict.photo_of("0000000000000001") == ("0000000000000001", True)
    assert strict.photo_of("0000000000000003") == ("0000000000000003", True)


def test_each_photograph_of_a_listing_is_one_image_entity() -> None:
    doc = {
        "contacts": {"phones": ["+447700900123"]},
        "image_hashes": [
            {"url": "http://x/1.jpg", "phash": "00000000000000ff", "photo": "00000000000000ff"},
            {"url": "http://x/2.jpg", "phash": "00000000000000fe", "photo": "00000000000000ff"},
            {"url": "http://x/3.jpg", "phash": "ff00000000000000", "photo": "ff00000000000000"},
        ],
    }
    assert entities_of(doc) == [
        ("phone", "+447700900123"),
        ("image", "00000000000000ff"),
        ("image", "ff00000000000000"),
    ]


def test_settings_are_off_by_default_and_validated() -> None:
    pm = get_plugin_manager()
    assert ImageHashSettings().TRAWLER_IMAGE_HASH is False
    good = {"TRAWLER_IMAGE_HASH": "true", "TRAWLER_IMAGE_HASH_MAX_IMAGES": "4"}  # as --set gives them
    check(pm, good)
    with pytest.raises(PluginSettingError, match="TRAWLER_IMAGE_HASH_DISTANCE=40"):
        check(pm, {**good, "TRAWLER_IMAGE_HASH_DISTANCE": 40})
    with pytest.raises(PluginSettingError, match="TRAWLER_IMAGE_HASH_MAX_IMAGES=0"):
        check(pm, {**good, "TRAWLER_IMAGE_HASH_MAX_IMAGES": 0})


# ---------------------------------------------------------------------------
# The demo marketplace's photos
# ---------------------------------------------------------------------------


def test_the_demo_serves_its_photos_and_plants_reposted_ones() -> None:
    built = market.build(BuildOptions())
    ads = {ad.id: ad for ad in built.ads}
    repost = ads["a10185"]  # the rental ad reposted by another account: its two photos, re-encoded
    assert repost.repost_of == "a10148"
    assert repost.images == ["/img/a10185-1.jpg", "/img/a10185-2.jpg"]
    assert [p.subject for p in repost.photos] == [p.subject for p in ads["a10148"].photos] == ["a10148-1", "a10148-2"]
    original, copy = built.lazy_page("/img/a10148-1.jpg"), built.lazy_page("/img/a10185-1.jpg")
    assert original.content_type == copy.content_type == "image/jpeg"
    assert original.body != copy.body
    assert distance(phash(original.body), phash(copy.body)) <= DISTANCE
    assert Image.open(io.BytesIO(original.body)).size != Image.open(io.BytesIO(copy.body)).size
    assert market.build(BuildOptions()).lazy_page("/img/a10185-1.jpg") == copy  # deterministic
    assert built.lazy_page("/img/a99999-1.jpg") is None
    assert built.lazy_page("/ad/a10148") is None  # pages are pre-rendered, not drawn
    # Every recruiter shows one photo of theirs on each of their ads; the failures are planted once each.
    for ad in built.ads:
        if ad.persons:
            assert [p.subject for p in ad.photos] == [f"recruiter-{ad.persons[0]}"]
    broken = {path: p.broken for path, p in built.photos.items() if p.broken}
    assert broken == {"/img/a10037-2.jpg": MISSING, "/img/a10041-2.jpg": NOT_AN_IMAGE}
    assert built.lazy_page("/img/a10037-2.jpg").status == 404
    assert built.lazy_page("/img/a10041-2.jpg").content_type.startswith("text/html")


# ---------------------------------------------------------------------------
# Crawls with the enricher on and off
# ---------------------------------------------------------------------------


@dataclass
class Crawls:
    demo: RunningDemo
    truth: list[dict]
    on: pymongo.database.Database
    off: pymongo.database.Database
    stats_on: dict
    stats_again: dict
    stats_off: dict


def _crawl(env: dict[str, str], stats: Path, *sets: str) -> dict:
    args = ["crawl", SITE, "--no-progress", "--set", f"TRAWLER_STATS_FILE={stats}"]
    for pair in sets:
        args += ["--set", pair]
    result = run_cli(args, env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return json.loads(stats.read_text())


@pytest.fixture(scope="module")
def crawls(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawls]:
    demo = start_demo()
    client = mongo.client()
    names = ("imagehash_on", "imagehash_off")
    for name in names:
        client.drop_database(name)
    tmp = tmp_path_factory.mktemp("imagehash")
    base = {**demo.env, **EXTRACTION_ONLY, "MONGO_URI": mongo.uri, "TRAWLER_VAR_DIR": str(tmp / "var")}
    try:
        on = {**base, "MONGO_DATABASE": names[0], "TRAWLER_IMAGE_HASH": "1"}  # on through the environment
        stats_on = _crawl(on, tmp / "on.json")
        stats_again = _crawl({**on, "TRAWLER_IMAGE_HASH": ""}, tmp / "again.json", "TRAWLER_IMAGE_HASH=true")
        stats_off = _crawl({**base, "MONGO_DATABASE": names[1]}, tmp / "off.json")
        truth = demo.truth()[SITE]
        yield Crawls(demo, truth, client[names[0]], client[names[1]], stats_on, stats_again, stats_off)
    finally:
        demo.server.stop()
        for name in names:
            client.drop_database(name)
        client.close()


def _hashed_images(item: dict) -> list[tuple[str, str | None]]:
    """``(url, photo subject or None for a planted failure)`` of the images the enricher fetches for a truth item."""
    photos = item.get("_truth", {}).get("photos", [])
    return list(zip(item["images"], photos, strict=True))[:MAX_IMAGES]


def test_listings_sharing_a_photo_share_exactly_one_image_entity(crawls: Crawls) -> None:
    by_subject: dict[str, set[str]] = defaultdict(set)
    for item in crawls.truth:
        for _url, subject in _hashed_images(item):
            if subject:
                by_subject[subject].add(item["_id"])
    found = {e["_id"]: e for e in crawls.on.entities.find({"type": "image"})}
    assert len(found) == len(by_subject) == 250
    assert sorted(sorted(e["listings"]) for e in found.values()) == sorted(sorted(s) for s in by_subject.values())
    shared = sorted(sorted(ids) for ids in by_subject.values() if len(ids) > 1)
    assert shared == [
        [f"{SITE}:ad:a10007", f"{SITE}:ad:a10070", f"{SITE}:ad:a10092"],  # recruiter R3, one repost
        [f"{SITE}:ad:a10014", f"{SITE}:ad:a10051", f"{SITE}:ad:a10104"],
        [f"{SITE}:ad:a10026", f"{SITE}:ad:a10109", f"{SITE}:ad:a10125"],
        [f"{SITE}:ad:a10045", f"{SITE}:ad:a10257"],
        [f"{SITE}:ad:a10074", f"{SITE}:ad:a10275"],
        [f"{SITE}:ad:a10090", f"{SITE}:ad:a10336"],
        [f"{SITE}:ad:a10148", f"{SITE}:ad:a10185"],  # the rental ad and its repost: two photos, two entities
        [f"{SITE}:ad:a10148", f"{SITE}:ad:a10185"],
    ]
    # Pivots follow the photos: the rental ad's repost (another account, another phone) is one hop away.
    assert listings_sharing(crawls.on, f"{SITE}:ad:a10148") == {f"{SITE}:ad:a10185": 1}


def test_each_listing_records_the_hashes_of_its_first_photos(crawls: Crawls) -> None:
    docs = {d["_id"]: d for d in crawls.on.listings.find({}, {"image_hashes": 1})}
    assert len(docs) == 120
    for item in crawls.truth:
        hashes = docs[item["_id"]]["image_hashes"]
        assert [h["url"] for h in hashes] == [url for url, subject in _hashed_images(item) if subject]
        assert all(distance(h["phash"], h["photo"]) <= DISTANCE for h in hashes)
    # The ads with a missing photo and with an HTML page for a photo keep their other photo.
    assert [h["url"].rsplit("/", 1)[1] for h in docs[f"{SITE}:ad:a10037"]["image_hashes"]] == ["a10037-1.jpg"]
    assert [h["url"].rsplit("/", 1)[1] for h in docs[f"{SITE}:ad:a10041"]["image_hashes"]] == ["a10041-1.jpg"]
    # Nothing else about the listings changed.
    stored = [{k: v for k, v in d.items() if k not in ("crawl", "image_hashes")} for d in crawls.on.listings.find()]
    assert diff_listings(crawls.truth, stored) == []


def test_photo_requests_and_failures_are_counted(crawls: Crawls) -> None:
    urls = [url for item in crawls.truth for url, _ in _hashed_images(item)]
    over = sum(max(0, len(item["images"]) - MAX_IMAGES) for item in crawls.truth)
    stats = crawls.stats_on
    assert (len(urls), len(set(urls)), over) == (263, 263, 12)
    assert {k: v for k, v in stats.items() if k.startswith("trawler/images/")} == {
        "trawler/images/photos_known": 0,
        "trawler/images/requested": 263,
        "trawler/images/hashed": 261,
        "trawler/images/failed/http_404": 1,
        "trawler/images/failed/not_image": 1,
        "trawler/images/over_limit": 12,
        "trawler/images/photos_new": 250,
    }
    # Through Scrapy's downloader, as the pages are: exactly one request more per photo than without the enricher.
    assert stats["downloader/request_count"] == crawls.stats_off["downloader/request_count"] + 263
    assert stats["downloader/response_status_count/404"] == 1


def test_a_second_crawl_keeps_the_photo_keys_and_versions_nothing(crawls: Crawls) -> None:
    again = crawls.stats_again
    assert again["trawler/images/photos_known"] == 250
    assert "trawler/images/photos_new" not in again
    assert (again["trawler/listings_unchanged"], again.get("trawler/listings_updated", 0)) == (120, 0)
    assert crawls.on.listing_versions.count_documents({}) == 0
    assert crawls.on.entities.count_documents({"type": "image"}) == 250


def test_off_by_default_no_photo_is_fetched_or_hashed(crawls: Crawls) -> None:
    stats = crawls.stats_off
    assert [k for k in stats if k.startswith("trawler/images/")] == []
    assert "downloader/response_status_count/404" not in stats
    assert stats["trawler/listings_new"] == 120
    assert crawls.off.listings.count_documents({"image_hashes": {"$ne": []}}) == 0
    assert crawls.off.entities.count_documents({"type": "image"}) == 0


# ---------------------------------------------------------------------------
# Failures the demo does not plant (an engine that answers as told)
# ---------------------------------------------------------------------------


class _Engine:
    """Answers ``download_async`` from a table: a response, or an exception to raise."""

    def __init__(self, answers: dict[str, object]) -> None:
        self.answers = answers
        self.requests: list[Request] = []

    async def download_async(self, request: Request) -> object:
        self.requests.append(request)
        answer = self.answers[request.url]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_failed_downloads_are_counted_and_the_listings_kept() -> None:
    crawler = get_crawler(settings_dict={"TRAWLER_IMAGE_HASH": True, "TRAWLER_IMAGE_HASH_MAX_IMAGES": 2})
    pipeline = ImageHashPipeline(crawler)
    pipeline.index = PhotoIndex(8)
    base = "http://shop.example/img/"
    too_big = "Cancelling download of x: received response size (6000000) larger than download max size (5000000)."
    crawler.engine = _Engine({
        base + "robots.jpg": IgnoreRequest("Forbidden by robots.txt"),
        base + "big.jpg": CancelledError(too_big),
        base + "slow.jpg": TCPTimedOutError(),
        base + "gone.jpg": Response(base + "gone.jpg", status=410),
    })  # fmt: skip
    listings = [
        {"url": "http://shop.example/ad/1", "images": [base + "robots.jpg", base + "big.jpg", base + "third.jpg"]},
        {"url": "http://shop.example/ad/2", "images": [base + "slow.jpg", base + "gone.jpg", base + "slow.jpg"]},
        {"url": "http://shop.example/ad/3", "images": 5},  # not a list: a bug-like input must not cost the page
    ]
    item = PageListings("http://shop.example/c/1", "ad", listings)
    assert asyncio.run(pipeline.process_item(item)) is item
    assert item.listings is listings and len(listings) == 3
    assert [listing.get("image_hashes") for listing in listings] == [None, None, None]
    assert {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("trawler/images/")} == {
        "trawler/images/errors": 1,
        "trawler/images/over_limit": 1,  # counted before the third listing failed, nothing fetched
    }
    listings.pop()
    assert asyncio.run(pipeline.process_item(item)) is item
    assert [listing["image_hashes"] for listing in listings] == [[], []]
    assert {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("trawler/images/")} == {
        "trawler/images/errors": 1,
        "trawler/images/over_limit": 2,
        "trawler/images/requested": 4,  # the same URL twice in a listing is fetched once
        "trawler/images/failed/ignored": 1,
        "trawler/images/failed/too_large": 1,
        "trawler/images/failed/download_error/TCPTimedOutError": 1,
        "trawler/images/failed/http_410": 1,
    }
    first = crawler.engine.requests[0]
    assert (first.url, first.headers["Referer"]) == (base + "robots.jpg", b"http://shop.example/ad/1")
    assert (first.meta["download_maxsize"], first.meta["playwright"]) == (5_000_000, False)
