"""The review platform-type plugin: registration, extraction against the demo's ground truth, navigation."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response

import plugins.review as review_plugin
from crawler.demo.base import BuildOptions
from crawler.demo.reviews import build
from crawler.plugins import get_plugin_manager
from crawler.profiles import SiteProfile, load_profile
from crawler.spiderloader import spider_class
from crawler.testkit import diff_listings, extract, html_response
from plugins.review.extractors import parse_out_of
from plugins.review.spider import ReviewSpider

BASE = "http://127.0.0.1:9"
SITE = "demo-reviews"
PROFILE_FILE = Path(__file__).parents[1] / "plugins" / "demo_sites" / "profiles" / "demo-reviews.yaml"


@pytest.fixture(scope="module")
def pm():
    return get_plugin_manager()


@pytest.fixture(scope="module")
def profile():
    return SiteProfile(name=SITE, platform_type="review", start_urls=[f"{BASE}/"])


@pytest.fixture(scope="module")
def site():
    # Relative dates ("3 days ago") are resolved against the fetch time: build against the real clock.
    return build(BuildOptions(now=datetime.now(UTC)))


@pytest.fixture(scope="module")
def extracted(pm, profile, site):
    found = []
    for path, page in site.pages().items():
        if path.startswith("/biz/"):
            found.extend(extract(pm, html_response(BASE + path, page.body), profile, "business"))
    return {item.get("native_id"): item for item in found} | {"_all": found}


def test_platform_type_registered(pm):
    spec = pm.platform_types()["review"]
    assert spec.spider is ReviewSpider
    assert spec.page_types == ("business",)


def test_profile_file_loads(pm, monkeypatch):
    monkeypatch.delenv("TRAWLER_DEMO_REVIEWS_URL", raising=False)
    profile = load_profile(PROFILE_FILE, set(pm.platform_types()))
    assert isinstance(profile, SiteProfile), profile
    assert profile.name == SITE and profile.platform_type == "review" and profile.engine == "yelpish"
    assert profile.start_urls == ["http://127.0.0.1:8473/"]
    monkeypatch.setenv("TRAWLER_DEMO_REVIEWS_URL", "http://127.0.0.1:9999")
    assert load_profile(PROFILE_FILE).start_urls == ["http://127.0.0.1:9999/"]


def test_extraction_matches_the_full_truth(site, extracted):
    assert diff_listings(site.truth(BASE, SITE), extracted["_all"]) == []


def test_business_fields(extracted):
    hotel = extracted["old-town-residence-london"]
    assert hotel["kind"] == "business"
    assert hotel["title"] == "Old Town Residence"
    assert hotel["url"] == f"{BASE}/biz/old-town-residence-london"
    assert hotel["category"] == "Hotels"
    assert hotel["rating"] == {"value": 3.5, "raw": 7.0, "scale": 10.0}
    assert hotel["location"] == {"raw": "Commercial Road 161, London N1 9GU, United Kingdom"}
    assert hotel["contacts"] == {"raw": ["+44 20 7946 0213", "www.old-town-residence.example"]}
    assert hotel["extra"]["review_count"] == 25
    assert hotel["extra"]["address"]["postal_code"] == "N1 9GU"
    hostile = extracted["muller-sohne-wellness-spa-vienna"]
    assert hostile["title"] == 'Müller & Söhne "Wellness" <Spa>'
    assert hostile["rating"] == {"value": 3.7, "raw": 3.7, "scale": 5.0}


def test_review_fields(extracted):
    review = extracted["211363"]
    assert review["title"] == "Recomand"
    assert (
        review["body"] == "Personal amabil, recomand. Pat comod și cameră liniștită.\nRaport calitate-preț foarte bun."
    )
    assert review["author"] == {"name": "Tom S.", "id": "1a8f7d71ff", "url": f"{BASE}/user/1a8f7d71ff"}
    assert review["rating"] == {"value": 4.5, "raw": 9.0, "scale": 10.0}
    assert review["posted_at"] == datetime(2026, 3, 10, 21, 2, tzinfo=UTC)
    assert review["posted_at_raw"] == "10.03.2026"
    assert review["language"] == "ro"
    assert review["parent_id"] == f"{SITE}:business:old-town-residence-london"
    assert review["url"] == f"{BASE}/biz/old-town-residence-london?page=2"
    answered = extracted["211508"]
    assert answered["extra"]["owner_response"] == {
        "text": "We are sorry to read about your experience. Please contact our office so we can look into it.",
        "posted_at_raw": "Feb 11, 2026",
    }
    assert "sorry" not in answered["body"]
    hostile = extracted["204059"]
    assert hostile["title"] == 'Great <script>alert("owned")</script> place'


def test_textual_and_relative_dates(extracted):
    relative = extracted["206110"]
    assert relative["posted_at_raw"] == "vor 9 Stunden"
    age = datetime.now(UTC) - relative["posted_at"]
    assert abs(age.total_seconds() - 9 * 3600) < 120
    textual = [i for i in extracted["_all"] if i["kind"] == "review" and i["posted_at_raw"].endswith("2026")]
    assert any(i["posted_at"].hour == 0 and " " in i["posted_at_raw"] for i in textual)


def test_relative_dates_use_the_date_header(pm, profile, site):
    page = site.pages()["/biz/global-hands-staffing-berlin"]
    url = f"{BASE}/biz/global-hands-staffing-berlin"
    headers = {"Date": "Sun, 01 Nov 2026 12:00:00 GMT"}
    response = HtmlResponse(url=url, body=page.body, encoding="utf-8", headers=headers, request=Request(url))
    review = next(i for i in extract(pm, response, profile, "business") if i.get("native_id") == "206110")
    assert review["posted_at"] == datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def test_business_only_on_its_first_review_page(pm, profile, site):
    pages = site.pages()

    def run(path: str) -> list[dict]:
        return extract(pm, html_response(BASE + path, pages[path].body), profile, "business")

    assert Counter(i["kind"] for i in run("/biz/old-town-residence-london?page=2")) == {"review": 8}
    first = run("/biz/aqua-spa-sauna-lyon")
    assert [i["kind"] for i in first] == ["business"]
    assert first[0]["rating"] == {} and first[0]["extra"]["review_count"] == 0


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body><p>Service unavailable</p></body></html>", b"\x00\xff garbage", b"<article class='review'>"],
)
def test_broken_pages_give_no_listings(pm, profile, body):
    assert extract(pm, html_response(f"{BASE}/biz/some-business", body), profile, "business") == []


def test_hook_declines_what_it_does_not_handle(pm, profile, site):
    body = site.pages()["/biz/old-town-residence-london"].body
    response = html_response(f"{BASE}/biz/old-town-residence-london", body)
    hook = review_plugin.trawler_extract_listings
    forum = SiteProfile(name="other", platform_type="forum", start_urls=[f"{BASE}/"])
    assert hook(response=response, profile=forum, page_type="business") is None
    unknown = SiteProfile(name="other", platform_type="review", start_urls=[f"{BASE}/"], engine="nonesuch")
    assert hook(response=response, profile=unknown, page_type="business") is None
    assert hook(response=response, profile=profile, page_type="thread") is None
    binary = Response(url=response.url, body=b"\x89PNG")
    assert hook(response=binary, profile=profile, page_type="business") == []


def test_profile_selectors_override_the_engine(pm, site):
    custom = SiteProfile(
        name=SITE, platform_type="review", start_urls=[f"{BASE}/"], selectors={"business_name": ".biz-meta .claimed"}
    )
    body = site.pages()["/biz/old-town-residence-london"].body
    found = extract(pm, html_response(f"{BASE}/biz/old-town-residence-london", body), custom, "business")
    assert found[0]["title"] == "Claimed"


def test_parse_out_of():
    assert parse_out_of("4.2 out of 5") == (4.2, 5.0)
    assert parse_out_of("8/10") == (8.0, 10.0)
    assert parse_out_of("no rating") is None


class _Stats:
    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] += count


def crawl(pm, profile, pages):
    """A tiny network-free crawl: robots.txt obeyed, duplicates dropped, every callback run (Scrapy's order aside)."""
    spider = spider_class(pm, profile)()
    spider.plugins = pm
    spider.crawler = SimpleNamespace(stats=_Stats())
    robots = RobotFileParser()
    robots.parse(pages["/robots.txt"].body.decode().splitlines())

    async def start():
        return [request async for request in spider.start()]

    queue = asyncio.run(start())
    seen: set[str] = set()
    fetched: list[str] = []
    items: list[dict] = []
    while queue:
        request = queue.pop(0)
        if request.url in seen or not robots.can_fetch("*", request.url):
            continue
        seen.add(request.url)
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        fetched.append(path)
        page = pages[path]
        response = HtmlResponse(url=request.url, body=page.body, encoding="utf-8", request=request)
        for result in (request.callback or spider.parse)(response) or []:
            if isinstance(result, Request):
                queue.append(result)
            else:
                items.extend(result.listings)  # a PageListings item
    return spider, fetched, items


def test_spider_reaches_every_listing(pm, profile, site):
    pages = site.pages()
    spider, fetched, items = crawl(pm, profile, pages)
    truth = site.truth(BASE, SITE)
    assert {i["_id"] for i in truth} == {f"{i['site']}:{i['kind']}:{i['native_id']}" for i in items}
    assert diff_listings(truth, items) == []
    assert len(items) == len(truth)
    assert not any(p.startswith(("/write-review", "/login", "/user/")) for p in fetched)
    assert Counter(p.split("/")[1].split("?")[0] or "/" for p in fetched) == {
        "/": 1,
        "categories": 1,
        "c": 6,
        "biz": 35,
    }
    assert spider.crawler.stats.values["trawler/pages/business"] == 35
    assert spider.crawler.stats.values["trawler/listings_extracted"] == len(truth)


def test_spider_can_start_from_a_business_page(pm, site):
    start = SiteProfile(name=SITE, platform_type="review", start_urls=[f"{BASE}/biz/old-town-residence-london"])
    _, fetched, items = crawl(pm, start, site.pages())
    assert fetched == [f"/biz/old-town-residence-london{q}" for q in ("", "?page=2", "?page=3", "?page=4")]
    assert Counter(i["kind"] for i in items) == {"business": 1, "review": 25}
