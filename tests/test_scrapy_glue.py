"""How Trawler plugs into Scrapy: the add-on, the profile spider loader, the proxy middleware."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.settings import Settings

from crawler.addon import PROXY_MIDDLEWARE, STORAGE_PIPELINE, TrawlerAddon
from crawler.browser import chromium_path
from crawler.profiles import SiteProfile
from crawler.proxy import ProfileProxyMiddleware
from crawler.spiderloader import ProfileNotFound, ProfileSpiderLoader


def test_the_addon_installs_the_pipeline_and_middleware_and_respects_a_disabled_pipeline() -> None:
    settings = Settings()
    TrawlerAddon().update_settings(settings)
    assert settings.getwithbase("ITEM_PIPELINES")[STORAGE_PIPELINE] == 800
    assert settings.getwithbase("DOWNLOADER_MIDDLEWARES")[PROXY_MIDDLEWARE] == 740
    disabled = Settings({"ITEM_PIPELINES": {STORAGE_PIPELINE: None}})
    TrawlerAddon().update_settings(disabled)
    assert disabled.getwithbase("ITEM_PIPELINES")[STORAGE_PIPELINE] is None


def test_profile_proxy_is_applied_unless_the_request_has_its_own() -> None:
    class Spider:
        profile = SiteProfile(
            name="p", platform_type="forum", start_urls=["http://a.test/"], proxy="http://proxy.test:3128"
        )

    middleware = ProfileProxyMiddleware()
    plain, own = Request("http://a.test/x"), Request("http://a.test/y", meta={"proxy": "http://other:1"})
    middleware.process_request(plain, Spider())
    middleware.process_request(own, Spider())
    assert plain.meta["proxy"] == "http://proxy.test:3128"
    assert own.meta["proxy"] == "http://other:1"


def _loader(tmp_path: Path, text: str) -> ProfileSpiderLoader:
    (tmp_path / "site.yaml").write_text(text)
    return ProfileSpiderLoader(Settings({"TRAWLER_PROFILE_DIRS": [str(tmp_path)]}))


def test_each_profile_is_a_spider_with_its_politeness_settings(tmp_path: Path) -> None:
    loader = _loader(
        tmp_path,
        "name: my-forum\nplatform_type: forum\nstart_urls: ['http://forum.test/']\n"
        "politeness: {download_delay: 2.5, concurrency_per_domain: 2, obey_robots: false}\n"
        "settings: {DOWNLOAD_TIMEOUT: 7}\n",
    )
    assert "my-forum" in loader.list()
    spider = loader.load("my-forum")
    assert spider.name == "my-forum"
    assert spider.allowed_domains == ["forum.test"]
    assert spider.custom_settings == {
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": True,
        "DOWNLOAD_DELAY": 2.5,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_TIMEOUT": 7,
    }
    assert spider.profile.platform_type == "forum"
    assert loader.find_by_request(Request("http://forum.test/x")) == ["my-forum"]


def test_a_browser_profile_gets_playwright_with_the_system_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "name: js-site\nplatform_type: marketplace\nstart_urls: ['http://js.test/']\nrender: browser\n"
    spider = _loader(tmp_path, text).load("js-site")
    settings = spider.custom_settings
    assert settings["DOWNLOAD_HANDLERS"]["https"] == "crawler.browser_pool.PooledPlaywrightDownloadHandler"
    assert settings["PLAYWRIGHT_LAUNCH_OPTIONS"]["executable_path"] == chromium_path()
    assert settings["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"] == 2
    assert settings["PLAYWRIGHT_ABORT_REQUEST"].resource_types == {"image", "font", "media"}
    other = tmp_path / "plain"
    other.mkdir()
    plain = _loader(other, "name: p\nplatform_type: forum\nstart_urls: ['http://p.test/']\n").load("p")
    assert "DOWNLOAD_HANDLERS" not in plain.custom_settings
    monkeypatch.setenv("TRAWLER_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(ProfileNotFound, match=r"TRAWLER_CHROMIUM=.* is not an executable file"):
        _loader(tmp_path, text).load("js-site")


def test_loading_an_unknown_or_broken_profile_says_which(tmp_path: Path) -> None:
    loader = _loader(tmp_path, "name: broken\nplatform_type: forum\n")
    with pytest.raises(ProfileNotFound, match=r"site profile 'broken' is invalid: .*site.yaml: field 'start_urls'"):
        loader.load("broken")
    with pytest.raises(ProfileNotFound, match="Spider not found: nope"):
        loader.load("nope")
