"""The marketplace plugin: registration, the classifieds extractor against the demo's truth, spider navigation."""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from protego import Protego
from scrapy import Request

import plugins.marketplace as plugin
from crawler.demo import market
from crawler.demo.base import REFERENCE_NOW, BuildOptions
from crawler.plugins import get_plugin_manager
from crawler.profiles import SiteProfile
from crawler.spiderloader import load_catalog, spider_class
from crawler.testkit import diff_listings, extract, html_response
from plugins.marketplace.extractors import parse_posted
from plugins.marketplace.spider import MarketplaceSpider

BASE = "http://127.0.0.1:8472"
SITE = "demo-market"


@pytest.fixture(scope="module")
def pm():
    return get_plugin_manager()


@pytest.fixture(scope="module")
def profile() -> SiteProfile:
    return SiteProfile(
        name=SITE, platform_type="marketplace", start_urls=[BASE + "/"], timezone=market.TIMEZONE, engine="classifieds"
    )


@pytest.fixture(scope="module")
def platform() -> market.Marketplace:
    return market.build(BuildOptions())


def _response(path: str, body: bytes, now: datetime = REFERENCE_NOW):
    """The page as the demo server sends it, with the fetch time in its Date header."""
    return html_response(BASE + path, body).replace(headers={"Date": format_datetime(now, usegmt=True)})


def _extract_all(pm, profile: SiteProfile, platform: market.Marketplace, now: datetime = REFERENCE_NOW) -> list[dict]:
    pages = platform.pages()
    found: list[dict] = []
    for ad in platform.ads:
        found.extend(extract(pm, _response(ad.path, pages[ad.path].body, now), profile, "ad"))
    return found


# ---------------------------------------------------------------------------
# Registration and the site profile
# ---------------------------------------------------------------------------


def test_registers_the_marketplace_platform_type(pm) -> None:
    spec = pm.platform_types()["marketplace"]
    assert spec.spider is MarketplaceSpider
    assert spec.page_types == ("ad",)


def test_demo_profile_matches_the_demo_platform(pm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAWLER_DEMO_MARKET_URL", raising=False)
    found = load_catalog(pm).profiles["demo-market"]
    assert found.platform_type == market.PLATFORM_TYPE
    assert found.start_urls == [f"http://127.0.0.1:{market.DEFAULT_PORT}/"]
    assert found.timezone == market.TIMEZONE  # relative and date-only dates are read in the site's zone
    assert found.engine == "classifieds" and found.country is None  # international: see the profile
    monkeypatch.setenv("TRAWLER_DEMO_MARKET_URL", "http://127.0.0.1:9999")
    assert load_catalog(pm).profiles["demo-market"].start_urls == ["http://127.0.0.1:9999/"]


# ---------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------


def test_extracts_the_full_truth(pm, profile: SiteProfile, platform: market.Marketplace) -> None:
    found = _extract_all(pm, profile, platform)
    assert len(found) == 120
    assert diff_listings(platform.truth(BASE, SITE), found) == []


def test_relative_dates_count_from_the_fetch_time(pm, profile: SiteProfile) -> None:
    now = REFERENCE_NOW + timedelta(days=3, hours=5, minutes=7)
    later = market.build(BuildOptions(now=now))
    assert diff_listings(later.truth(BASE, SITE), _extract_all(pm, profile, later, now)) == []


def test_extracts_the_revised_truth(pm, profile: SiteProfile) -> None:
    revised = market.build(BuildOptions(revision=1))
    assert diff_listings(revised.truth(BASE, SITE), _extract_all(pm, profile, revised)) == []


def test_spot_checks(pm, profile: SiteProfile, platform: market.Marketplace) -> None:
    found = {item["native_id"]: item for item in _extract_all(pm, profile, platform)}
    receptionist = found["a10063"]
    assert receptionist["title"] == "Hotel receptionist"
    assert receptionist["price"] == {"amount": 3050.0, "currency": "GBP", "raw": "£3,050/month"}
    assert receptionist["author"] == {"name": "mihailop14", "id": "u1075", "url": BASE + "/user/u1075"}
    assert receptionist["posted_at"] == datetime(2026, 10, 4, 23, 55, tzinfo=UTC)
    assert receptionist["posted_at_raw"] == "Oct 5, 2026"
    assert receptionist["category"] == "Jobs"
    assert receptionist["location"] == {"raw": "Manchester, Ancoats"}
    assert receptionist["images"] == [BASE + "/img/a10063-1.jpg"]
    assert receptionist["contacts"] == {"raw": ["020 7946 0210", "mihailop14@example.com"]}
    assert receptionist["body"].splitlines()[0] == "We are a small family business looking for a reliable colleague."
    assert receptionist["extra"]["attributes"] == {
        "Job type": "Temporary",
        "Experience": "2+ years",
        "Contract": "Permanent",
    }
    house = found["a10235"]  # "vor 2 Tagen", counted from the fetch time
    assert (house["posted_at_raw"], house["posted_at"]) == ("vor 2 Tagen", datetime(2026, 10, 30, 12, tzinfo=UTC))
    assert house["extra"]["attributes"]["Size"] == "96 m²"
    recruiter = found["a10045"]  # a date-only, day-first date: midnight in Berlin
    assert (recruiter["posted_at_raw"], recruiter["posted_at"]) == ("01.10.2026", datetime(2026, 9, 30, 22, tzinfo=UTC))
    assert recruiter["price"] == {"amount": 2600.0, "currency": "PLN", "raw": "2 600,00 zł/week"}
    assert recruiter["contacts"]["raw"] == ["5 1 2 3 4 5 6 7 8", "Telegram: @piotr_praca_tg"]
    assert recruiter["body"].startswith("Praca za granica")
    repost = found["a10125"]
    assert repost["price"] == {"amount": None, "currency": None, "raw": "Negotiable"}
    assert repost["author"]["name"] == "Global Staff Kyiv"
    assert repost["body"].startswith("Робота за кордоном")
    currencies = {item["price"].get("currency") for item in found.values()}
    assert currencies == {"EUR", "GBP", "PLN", "RON", "USD", None}


def test_empty_broken_and_other_pages_give_no_listings(pm, profile: SiteProfile, platform: market.Marketplace) -> None:
    pages = platform.pages()
    assert extract(pm, html_response(BASE + "/ad/a1", b""), profile, "ad") == []
    assert extract(pm, html_response(BASE + "/ad/a1", b"<html><body><div class='ad'><p>oops"), profile, "ad") == []
    assert extract(pm, _response("/c/jobs", pages["/c/jobs"].body), profile, "ad") == []
    assert extract(pm, _response("/ad/a10063", pages["/ad/a10063"].body), profile, "results") == []


def test_answers_only_for_marketplaces_and_known_engines(platform: market.Marketplace) -> None:
    response = _response("/ad/a10063", platform.pages()["/ad/a10063"].body)
    forum = SiteProfile(name="f", platform_type="forum", start_urls=[BASE + "/"])
    other_engine = SiteProfile(name="m", platform_type="marketplace", start_urls=[BASE + "/"], engine="nope")
    assert plugin.trawler_extract_listings(response=response, profile=forum, page_type="ad") is None
    assert plugin.trawler_extract_listings(response=response, profile=other_engine, page_type="ad") is None


def test_profile_selectors_override_the_preset(platform: market.Marketplace) -> None:
    body = platform.pages()["/ad/a10063"].body.replace(b'class="ad-title"', b'class="headline"')
    response = _response("/ad/a10063", body)
    custom = SiteProfile(name="m", platform_type="marketplace", start_urls=[BASE + "/"], selectors={"title": "h1"})
    [found] = plugin.trawler_extract_listings(response=response, profile=custom, page_type="ad")
    assert found["title"] == "Hotel receptionist"


def test_reads_dt_dd_attribute_tables(profile: SiteProfile) -> None:
    body = (
        "<html><body><article class='ad' data-ad-id='x1'><h1 class='ad-title'>Bike</h1>"
        "<dl class='attributes'><dt>Condition</dt><dd>Used</dd><dt>Size</dt><dd>M</dd></dl>"
        "<div class='description'><p>Fine bike.</p></div></article></body></html>"
    )
    [found] = plugin.trawler_extract_listings(response=_response("/x", body.encode()), profile=profile, page_type="ad")
    assert found["extra"] == {"attributes": {"Condition": "Used", "Size": "M"}}
    assert (found["native_id"], found["body"], found["price"], found["author"]) == ("x1", "Fine bike.", {}, {})


def test_date_helpers() -> None:
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    berlin = market.TIMEZONE
    assert parse_posted("2026-10-28T14:32:00+01:00", "whatever", timezone=berlin, now=now) == datetime(
        2026, 10, 28, 13, 32, tzinfo=UTC
    )
    assert parse_posted(None, "12.03.2026", timezone=berlin, now=now) == datetime(2026, 3, 11, 23, tzinfo=UTC)
    assert parse_posted(None, "12.03.2026 08:15", timezone=berlin, now=now) == datetime(2026, 3, 12, 7, 15, tzinfo=UTC)
    assert parse_posted(None, "vor 3 Tagen", timezone=berlin, now=now) == datetime(2026, 10, 29, 12, tzinfo=UTC)
    assert parse_posted(None, "yesterday", timezone=berlin, now=now) == datetime(2026, 10, 31, 12, tzinfo=UTC)
    assert parse_posted(None, "31.02.2026", timezone=berlin, now=now) is None
    assert parse_posted(None, None, timezone=berlin, now=now) is None


# ---------------------------------------------------------------------------
# Navigation: drive the spider over the demo's pages, without a network
# ---------------------------------------------------------------------------


class _Stats:
    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] += count


class _Crawler:
    def __init__(self) -> None:
        self.stats = _Stats()


async def _start(spider: Any) -> list[Request]:
    return [request async for request in spider.start()]


def test_spider_reaches_every_ad_and_nothing_disallowed(pm, platform: market.Marketplace) -> None:
    pages = platform.pages()
    robots = Protego.parse(pages["/robots.txt"].body.decode())
    profile = SiteProfile(name="demo-x", platform_type="marketplace", start_urls=[BASE + "/"], timezone=market.TIMEZONE)
    spider = spider_class(pm, profile)()
    spider.plugins = pm
    spider.crawler = _Crawler()
    queue = deque(asyncio.run(_start(spider)))
    fetched: list[str] = []
    listings: list[dict] = []
    while queue:
        request = queue.popleft()
        path = request.url.removeprefix(BASE)
        assert robots.can_fetch(request.url, "*"), f"the spider asked for {path}"
        if path in fetched:
            continue  # what Scrapy's duplicate filter does
        fetched.append(path)
        assert path in pages, f"the spider asked for {path}, which is not served"
        for out in request.callback(_response(path, pages[path].body)) or []:
            if isinstance(out, Request):
                queue.append(out)
            else:
                listings.extend(out.listings)  # a PageListings item
    assert len(fetched) == 1 + 12 + 120  # home, result pages, ads
    assert not [p for p in fetched if p.startswith(("/user/", "/about", "/help", "/terms"))]
    for item in listings:
        item["site"] = SITE  # the demo-x profile stands in for demo-market
    assert diff_listings(platform.truth(BASE, SITE), listings) == []
    assert spider.crawler.stats.values["trawler/pages/ad"] == 120
    assert spider.crawler.stats.values["trawler/listings_extracted"] == 120
