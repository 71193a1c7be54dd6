"""The forum plugin: extraction against the demo forum's ground truth, and the spider's navigation."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import scrapy
from parsel import Selector
from protego import Protego
from scrapy.http import HtmlResponse, TextResponse

from crawler.demo import forum
from crawler.demo.base import REFERENCE_NOW, BuildOptions
from crawler.extract import select_xpath
from crawler.plugins import TrawlerPluginManager, get_plugin_manager
from crawler.profiles import SiteProfile, load_profile
from crawler.spiderloader import spider_class
from crawler.testkit import diff_listings, extract, html_response
from plugins import forum as forum_plugin
from plugins.forum.extractors import PhpBB, day_time, engine_for, lines_text

BASE = "http://127.0.0.1:9"
SITE = "demo-forum"
PROFILE = SiteProfile(name=SITE, platform_type="forum", start_urls=[f"{BASE}/"], timezone="Europe/Berlin")
PROFILE_FILE = Path(__file__).resolve().parent.parent / "plugins/demo_sites/profiles/demo-forum.yaml"


@pytest.fixture(scope="module")
def pm() -> TrawlerPluginManager:
    return get_plugin_manager()


@pytest.fixture(scope="module")
def platform() -> forum.ForumPlatform:
    return forum.build(BuildOptions())


@pytest.fixture(scope="module")
def truth(platform: forum.ForumPlatform) -> list[dict]:
    return platform.truth(BASE, SITE)


def _response(platform: forum.ForumPlatform, url: str) -> HtmlResponse:
    """The page as the demo server sends it to a visitor without a login, with a ``Date`` header at the build time."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    gate = platform.login_gate()
    page = gate.required_page if path in gate.protected else platform.pages()[path]
    response = html_response(url, page.body)
    response.headers[b"Date"] = format_datetime(platform.options.now, usegmt=True)
    return response


@pytest.fixture(scope="module")
def extracted(pm: TrawlerPluginManager, platform: forum.ForumPlatform) -> list[dict]:
    found: list[dict] = []
    for path in platform.pages():
        if path.startswith("/viewtopic.php"):
            found.extend(extract(pm, _response(platform, BASE + path), PROFILE, "thread") or [])
    return found


def test_extraction_matches_the_whole_truth(truth: list[dict], extracted: list[dict]) -> None:
    assert diff_listings(truth, extracted) == []
    assert Counter(item["kind"] for item in extracted) == {"thread": 24, "post": 341}


def test_spot_checks(platform: forum.ForumPlatform, extracted: list[dict]) -> None:
    by_id = {item["native_id"] + ":" + item["kind"]: item for item in extracted}
    thread = by_id["21:thread"]
    assert thread["title"] == "Well paid work abroad, travel paid!!!"
    assert thread["author"] == {
        "name": "viktor_work",
        "id": "113",
        "url": f"{BASE}/memberlist.php?mode=viewprofile&u=113",
    }
    assert thread["posted_at"].isoformat() == "2026-10-29T03:23:00+00:00"
    assert thread["posted_at_raw"] == "Thu Oct 29, 2026 4:23 am"
    assert thread["url"] == f"{BASE}/viewtopic.php?t=21"
    assert thread["category"] == "Jobs abroad"
    assert thread["extra"] == {"reply_count": 24, "view_count": 852}
    assert thread["body"] == (
        "Urgent: hostess jobs in London, flight ticket paid by us, we keep your passport safe. "
        "Salary 1300 EUR. Write on Telegram @viktor_work_tg"
    )
    assert "contacts" not in thread  # no contact element on a forum: phones stay in the text

    hostile = by_id["22:thread"]
    assert hostile["title"] == "CV format for applying in Austria <b>URGENT</b> & more"

    legacy = next(
        p for p in platform.posts if not p.has_time and not forum.forum_pages.is_relative_text(p, REFERENCE_NOW)
    )
    item = by_id[f"{legacy.pid}:post"]
    assert item["posted_at_raw"] == forum.forum_pages.legacy_date(legacy.at, REFERENCE_NOW)
    assert "2026" in item["posted_at_raw"] and "<time" not in item["posted_at_raw"]
    assert item["posted_at"] == legacy.at

    second_page = next(p for p in platform.posts if p.number == 11)
    item = by_id[f"{second_page.pid}:post"]
    assert item["extra"]["post_number"] == 11
    assert item["url"] == f"{BASE}/viewtopic.php?t={second_page.topic.tid}&start=10#p{second_page.pid}"
    assert item["parent_id"] == f"{SITE}:thread:{second_page.topic.tid}"

    quoting = next(p for p in platform.posts if p.quote_of is not None)
    item = by_id[f"{quoting.pid}:post"]
    assert item["extra"]["quotes"] == [quoting.quote_of.paragraphs[0]]
    assert quoting.quote_of.paragraphs[0] not in item["body"].split("\n")[1:]

    guest = next(p for p in platform.posts if p.author.uid is None)
    assert by_id[f"{guest.pid}:post"]["author"] == {"name": guest.author.name, "id": None, "url": None}


def test_signature_and_quote_are_not_in_the_body(extracted: list[dict]) -> None:
    signed = [item for item in extracted if item["kind"] == "post" and item["extra"]["signature"]]
    assert signed
    for item in signed:
        assert item["extra"]["signature"] not in item["body"]
    recruiter_sig = next(i for i in signed if i["author"]["name"] == "viktor_work")
    assert (
        recruiter_sig["extra"]["signature"]
        == "Viktor Petrenko · International Staffing\nWhatsApp/Viber +44 7700 900123"
    )


def test_only_the_first_page_gives_the_thread(pm: TrawlerPluginManager, platform: forum.ForumPlatform) -> None:
    topic = next(t for t in platform.topics if len(t.page_starts) > 1)
    first = extract(pm, _response(platform, BASE + topic.page_path(0)), PROFILE, "thread")
    later = extract(pm, _response(platform, BASE + topic.page_path(10)), PROFILE, "thread")
    assert [i["kind"] for i in first] == ["thread"] + ["post"] * 10
    assert {i["kind"] for i in later} == {"post"}


def test_broken_and_foreign_pages(pm: TrawlerPluginManager, platform: forum.ForumPlatform) -> None:
    for body in ("", "<html><body><div class='post'>no id</div></body></html>", "<<<>>>\x00"):
        assert extract(pm, html_response(f"{BASE}/viewtopic.php?t=1", body), PROFILE, "thread") == []
    board_page = _response(platform, f"{BASE}/viewforum.php?f=2")
    assert extract(pm, board_page, PROFILE, "thread") == []
    assert extract(pm, board_page, PROFILE, "index") == []
    plain = TextResponse(url=f"{BASE}/robots.txt", body=b"User-agent: *", encoding="utf-8")
    assert extract(pm, plain, PROFILE, "thread") == []
    other_type = PROFILE.model_copy(update={"platform_type": "marketplace"})
    assert forum_plugin.trawler_extract_listings(board_page, other_type, "thread") is None
    unknown_engine = PROFILE.model_copy(update={"engine": "vbulletin"})
    assert forum_plugin.trawler_extract_listings(board_page, unknown_engine, "thread") is None
    assert pm.hook.trawler_extract_listings(response=board_page, profile=unknown_engine, page_type="thread") is None


def test_selector_override_from_the_profile(pm: TrawlerPluginManager, platform: forum.ForumPlatform) -> None:
    topic = platform.topics[0]
    profile = PROFILE.model_copy(update={"selectors": {"views": "span.no-such-thing"}})
    assert isinstance(engine_for(profile), PhpBB)
    found = extract(pm, _response(platform, BASE + topic.page_path(0)), profile, "thread")
    assert found[0]["extra"] == {"reply_count": len(topic.posts) - 1, "view_count": None}


def test_bigger_forum_across_a_dst_switch(pm: TrawlerPluginManager) -> None:
    """Scale 2 adds a Romanian board; built the night summer time ends, "gestern, 03:13" is still right."""
    bigger = forum.build(BuildOptions(scale=2, seed=11, now=datetime(2026, 10, 25, 1, 10, tzinfo=UTC)))
    found: list[dict] = []
    for path in bigger.pages():
        if path.startswith("/viewtopic.php"):
            found.extend(extract(pm, _response(bigger, BASE + path), PROFILE, "thread") or [])
    assert diff_listings(bigger.truth(BASE, SITE), found) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gestern, 03:13", "2026-10-24T01:13:00+00:00"),  # CEST, the day before the switch
        ("heute, 00:30", "2026-10-24T22:30:00+00:00"),
        ("Yesterday, 2:05 pm", "2026-10-24T12:05:00+00:00"),
        ("09. März 2026 14:05", None),
        ("vor 3 Stunden", None),
    ],
)
def test_day_time(text: str, expected: str | None) -> None:
    found = day_time(text, datetime(2026, 10, 25, 1, 10, tzinfo=UTC), "Europe/Berlin")
    assert (found.isoformat() if found else None) == expected


def test_lines_text_keeps_breaks() -> None:
    node = Selector(text="<div>a  b<br>c<blockquote>x</blockquote><br><br>d</div>").css("div")
    assert lines_text(node.xpath(PhpBB.BODY_XPATH)) == "a b\nc\nd"
    assert lines_text(select_xpath(node[0].root, PhpBB.BODY_XPATH)) == "a b\nc\nd"  # lxml nodes, as extractors pass


def test_site_profile_loads(pm: TrawlerPluginManager, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAWLER_DEMO_FORUM_URL", raising=False)
    profile = load_profile(PROFILE_FILE, set(pm.platform_types()))
    assert isinstance(profile, SiteProfile), profile
    assert profile.name == SITE and profile.platform_type == "forum" and profile.engine == "phpbb"
    assert profile.start_urls == ["http://127.0.0.1:8471/"]
    assert profile.timezone == "Europe/Berlin"


class _Stats:
    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] += count


def _crawl(pm: TrawlerPluginManager, platform: forum.ForumPlatform) -> tuple[list[str], list[dict[str, Any]], _Stats]:
    """A network-free Scrapy: breadth-first over the spider's requests, deduplicated, obeying robots.txt."""
    cls = spider_class(pm, PROFILE)
    spider = cls()
    spider.plugins = pm
    stats = _Stats()
    spider.crawler = type("Crawler", (), {"stats": stats})()
    robots = Protego.parse(platform.pages()["/robots.txt"].body.decode())

    async def first_requests() -> list[scrapy.Request]:
        return [request async for request in spider.start()]

    queue = asyncio.run(first_requests())
    seen: set[str] = set()
    fetched: list[str] = []
    items: list[dict[str, Any]] = []
    while queue:
        request = queue.pop(0)
        url = request.url.split("#")[0]
        if url in seen or not robots.can_fetch(url, "*"):
            continue
        seen.add(url)
        fetched.append(url)
        response = _response(platform, url)
        response.request = request
        for output in request.callback(response) or []:
            if isinstance(output, scrapy.Request):
                queue.append(output)
            else:
                items.extend(output.listings)  # a PageListings item
    return fetched, items, stats


def test_spider_reaches_every_listing(
    pm: TrawlerPluginManager, platform: forum.ForumPlatform, truth: list[dict]
) -> None:
    fetched, items, stats = _crawl(pm, platform)
    paths = {urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "") for u in fetched}
    topic_pages = {p for p in platform.pages() if p.startswith("/viewtopic.php")}
    board_pages = {p for p in platform.pages() if p.startswith("/viewforum.php") and p != "/viewforum.php?f=1"}
    members_board = next(b for b in platform.members.boards)  # linked from the index; without a login it
    assert paths == {"/"} | board_pages | topic_pages | {members_board.page_path(0)}  # shows the login box
    assert len(fetched) == len(paths)
    assert not any(p.startswith(("/search.php", "/ucp.php", "/memberlist.php", "/posting.php")) for p in paths)
    assert {item["_id"] if "_id" in item else _id(item) for item in items} == {item["_id"] for item in truth}
    assert diff_listings(truth, items) == []
    assert stats.values["trawler/pages/thread"] == len(topic_pages)
    assert stats.values["trawler/listings_extracted"] == len(truth)
    assert stats.values["trawler/pages_unextracted"] == 0


def _id(item: dict[str, Any]) -> str:
    return f"{item['site']}:{item['kind']}:{item['native_id']}"
