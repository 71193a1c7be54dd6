"""JavaScript-rendered platforms, crawled with the system Chromium through scrapy-playwright."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.browser import chromium_path, render_meta, wants_render
from crawler.plugins import get_plugin_manager
from crawler.profiles import BrowserOptions, SiteProfile
from crawler.render import RENDER_FLAG, BrowserRenderMiddleware
from crawler.spiderloader import spider_class
from crawler.testkit import diff_listings
from tests.conftest import EXTRACTION_ONLY, MongoServer, run_cli, start_demo


def test_the_system_chromium_is_found() -> None:
    assert Path(chromium_path()).name.startswith(("chromium", "google-chrome"))


def test_render_meta_waits_for_the_content_and_scrolls_within_bounds() -> None:
    options = BrowserOptions(wait_for="#app[data-ready]", scroll={"items": ".card", "max_times": 5, "pause_ms": 100})
    meta = render_meta(options)
    assert meta["playwright"] is True
    assert meta["playwright_page_goto_kwargs"] == {"wait_until": "domcontentloaded"}
    wait, scroll = meta["playwright_page_methods"]
    assert (wait.method, wait.args, wait.kwargs) == ("wait_for_selector", ("#app[data-ready]",), {"state": "attached"})
    assert scroll.method == "evaluate" and scroll.args[1] == [".card", 5, 100]


def test_only_matching_urls_of_browser_profiles_are_rendered() -> None:
    profile = SiteProfile(
        name="js", platform_type="marketplace", start_urls=["http://js.test/"], render="browser",
        browser={"render_urls": [r"/ad\.html"]},
    )  # fmt: skip
    assert wants_render(profile, "http://js.test/ad.html?id=1")
    assert not wants_render(profile, "http://js.test/about")
    assert not wants_render(profile, "http://js.test/robots.txt")

    class Spider:
        pass

    spider = Spider()
    spider.profile = profile
    middleware = BrowserRenderMiddleware()
    rendered, plain = Request("http://js.test/ad.html?id=1"), Request("http://js.test/about")
    flagged = Request("http://js.test/about", meta={RENDER_FLAG: True})
    for request in (rendered, plain, flagged):
        middleware.process_request(request, spider)
    assert rendered.meta["playwright"] is True and flagged.meta["playwright"] is True
    assert "playwright" not in plain.meta


def test_render_auto_renders_a_page_again_when_its_html_holds_nothing() -> None:
    pm = get_plugin_manager()
    profile = SiteProfile(name="auto-site", platform_type="marketplace", start_urls=["http://a.test/"], render="auto")
    spider = spider_class(pm, profile)()
    spider.plugins = pm

    class Stats(dict):
        def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
            self[key] = self.get(key, start) + count

    class Crawler:
        stats = Stats()

    spider.crawler = Crawler()
    shell = HtmlResponse(
        "http://a.test/ad/1",
        body=b"<html><body><div id=app></div></body></html>",
        request=Request("http://a.test/ad/1"),
    )
    (again,) = list(spider.extract(shell, "ad"))
    assert isinstance(again, Request) and again.url == "http://a.test/ad/1"
    assert again.meta[RENDER_FLAG] is True and again.dont_filter
    rendered = shell.replace(request=again.replace(meta={**again.meta, "playwright": True}))
    assert list(spider.extract(rendered, "ad")) == []  # rendered and still empty: no endless loop
    assert spider.crawler.stats == {"trawler/pages_rerendered": 1, "trawler/pages/ad": 2}


@pytest.fixture(scope="module")
def js_crawl(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory):
    demo = start_demo()
    env = {**demo.env, "MONGO_URI": mongo.uri, "MONGO_DATABASE": "browser_e2e",
           "TRAWLER_VAR_DIR": str(tmp_path_factory.mktemp("var")), **EXTRACTION_ONLY}  # fmt: skip
    client = mongo.client()
    client.drop_database("browser_e2e")
    stats_file = tmp_path_factory.mktemp("stats") / "stats.json"
    try:
        args = ["crawl", "demo-market-js", "--no-progress", "--set", f"TRAWLER_STATS_FILE={stats_file}"]
        js = run_cli(args, env, timeout=600)
        js.stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        yield demo, js, client["browser_e2e"], client
    finally:
        demo.server.stop()
        client.drop_database("browser_e2e")


def test_the_javascript_platform_is_crawled_with_a_real_browser(js_crawl) -> None:
    demo, result, db, _ = js_crawl
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    truth = demo.truth()["demo-market-js"]
    stored = [{k: v for k, v in d.items() if k != "crawl"} for d in db.listings.find()]
    assert len(stored) == len(truth) == 23
    assert diff_listings(truth, stored) == []
    run = db.crawl_runs.find_one()
    assert run["status"] == "finished"
    assert run["counts"]["listings_new"] == 23


def test_browser_pages_are_reused_and_heavy_resources_blocked(js_crawl) -> None:
    stats = js_crawl[1].stats
    # the home page, its second page and the 23 ads, rendered in at most two browser pages (the pool's size).
    assert stats["trawler/pages_rendered"] == 25
    assert stats["playwright/page_count"] <= 2
    assert stats["playwright/request_count/aborted"] >= 23  # every ad's photos


def test_a_plain_site_with_render_auto_never_starts_the_browser(js_crawl, tmp_path: Path) -> None:
    demo, _, _, client = js_crawl
    profile = tmp_path / "auto-market.yaml"
    profile.write_text(
        "name: auto-market\nplatform_type: marketplace\nengine: classifieds\ntimezone: Europe/Berlin\n"
        f"start_urls: ['{demo.server.urls['market']}/']\nrender: auto\n"
    )
    env = {**demo.env, "MONGO_URI": f"mongodb://{client.address[0]}:{client.address[1]}",
           "MONGO_DATABASE": "browser_auto", "TRAWLER_VAR_DIR": str(tmp_path / "var"),
           "TRAWLER_PROFILE_DIRS": str(tmp_path)}  # fmt: skip
    result = run_cli(["crawl", "auto-market", "--no-progress", "--set", "LOG_LEVEL=INFO"], env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert client.browser_auto.listings.count_documents({}) == 120
    assert "'playwright/page_count'" not in result.stderr
    assert "trawler/pages_rerendered" not in result.stderr
    client.drop_database("browser_auto")


def test_infinite_scroll_is_followed_within_its_bound(js_crawl, tmp_path: Path) -> None:
    demo, _, _, client = js_crawl
    feed = demo.server.urls["market-js"] + "/feed"
    base = "platform_type: marketplace\nengine: classifieds\ntimezone: Europe/Berlin\nrender: browser\n"
    (tmp_path / "scrolled.yaml").write_text(
        f"name: scrolled\n{base}start_urls: ['{feed}']\n"
        "browser: {wait_for: '#app[data-ready]', scroll: {items: 'div.listing-card', max_times: 6, pause_ms: 300}}\n"
    )
    (tmp_path / "unscrolled.yaml").write_text(
        f"name: unscrolled\n{base}start_urls: ['{feed}']\nbrowser: {{wait_for: '#app[data-ready]'}}\n"
    )
    env = {**demo.env, "MONGO_URI": f"mongodb://{client.address[0]}:{client.address[1]}",
           "MONGO_DATABASE": "browser_scroll", "TRAWLER_VAR_DIR": str(tmp_path / "var"),
           "TRAWLER_PROFILE_DIRS": str(tmp_path)}  # fmt: skip
    result = run_cli(["crawl", "scrolled", "unscrolled", "--no-progress"], env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    db = client.browser_scroll
    # The feed shows 12 ads, and 11 more once scrolled to the end.
    assert db.listings.count_documents({"site": "scrolled"}) == 23
    assert db.listings.count_documents({"site": "unscrolled"}) == 12
    client.drop_database("browser_scroll")


def test_browser_pages_are_recycled_so_memory_stays_bounded(js_crawl, tmp_path: Path) -> None:
    demo, _, _, client = js_crawl
    stats_file = tmp_path / "stats.json"
    env = {**demo.env, "MONGO_URI": f"mongodb://{client.address[0]}:{client.address[1]}",
           "MONGO_DATABASE": "browser_recycle", "TRAWLER_VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    args = ["crawl", "demo-market-js", "--no-progress", "--set", "TRAWLER_BROWSER_PAGE_USES=5",
            "--set", f"TRAWLER_STATS_FILE={stats_file}"]  # fmt: skip
    result = run_cli(args, env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(stats_file.read_text())
    assert stats["trawler/pages_rendered"] == 25
    # 25 renders, each page closed after its 5th: 4 or 5 closed pages (2 pages share the work), and every
    # page opened is either closed or still one of the 2 in the pool at the end.
    recycled = stats["trawler/browser_pages_recycled"]
    assert recycled in (4, 5)
    assert recycled <= stats["playwright/page_count"] <= recycled + 2
    assert client.browser_recycle.listings.count_documents({}) == 23
    client.drop_database("browser_recycle")
