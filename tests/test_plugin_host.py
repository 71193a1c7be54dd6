"""The plugin host: loading, blocking, isolation, validation, tracing and the hook reference."""

from __future__ import annotations

import logging
from pathlib import Path

import pluggy
import pytest

from crawler.hookdocs import hook_functions, render_hook_docs
from crawler.platform import PlatformTypeSpec
from crawler.plugins import PluginLoadError, get_plugin_manager, hook_error_stats, hookimpl

REPO = Path(__file__).resolve().parent.parent


class Tagger:
    def __init__(self, tag: str, fail: bool = False) -> None:
        self.tag, self.fail = tag, fail

    @hookimpl
    def trawler_enrich_listing(self, listing: dict, profile: object) -> None:
        if self.fail:
            raise RuntimeError("boom")
        listing.setdefault("tags", []).append(self.tag)


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def test_builtin_plugins_are_loaded_through_the_entry_point_group() -> None:
    pm = get_plugin_manager()
    infos = {i.name: i for i in pm.plugin_infos()}
    assert {"forum", "marketplace", "review", "demo_sites"} <= set(infos)
    assert all(infos[n].builtin and infos[n].distribution == "trawler" for n in ("forum", "marketplace", "review"))
    assert sorted(pm.platform_types()) == ["forum", "marketplace", "review"]
    assert infos["forum"].platform_types == ("forum",)


def test_a_blocked_plugin_is_not_loaded() -> None:
    pm = get_plugin_manager(blocked=["forum"])
    assert pm.get_plugin("forum") is None
    assert pm.is_blocked("forum")
    assert sorted(pm.platform_types()) == ["marketplace", "review"]


def test_blocking_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAWLER_BLOCK_PLUGINS", "review, demo_sites")
    pm = get_plugin_manager()
    assert pm.get_plugin("review") is None and pm.get_plugin("demo_sites") is None
    assert pm.get_plugin("forum") is not None


def test_a_raising_hook_is_isolated_counted_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    pm = get_plugin_manager(extra_plugins=[Tagger("a"), Tagger("b", fail=True), Tagger("c")])
    stats = Stats()
    token = hook_error_stats.set(stats)
    listing: dict = {}
    try:
        with caplog.at_level(logging.ERROR, logger="trawler.plugins"):
            pm.hook.trawler_enrich_listing(listing=listing, profile=None)
    finally:
        hook_error_stats.reset(token)
    assert sorted(listing["tags"]) == ["a", "c"]
    failing = next(name for name, plugin in pm.list_name_plugin() if getattr(plugin, "fail", False))
    assert stats.values == {f"trawler/hook_errors/{failing}/trawler_enrich_listing": 1, "trawler/hook_errors": 1}
    assert pm.hook_errors[(failing, "trawler_enrich_listing")] == 1
    assert f"plugin {failing!r} failed in trawler_enrich_listing" in caplog.text


def test_a_misspelt_hook_fails_at_start_up() -> None:
    class Misspelt:
        @hookimpl
        def trawler_enrich_listings(self, listing: dict) -> None:  # one letter too many
            pass

    with pytest.raises(pluggy.PluginValidationError, match="trawler_enrich_listings"):
        get_plugin_manager(extra_plugins=[Misspelt()])


def test_two_plugins_cannot_provide_the_same_platform_type() -> None:
    class AnotherForum:
        @hookimpl
        def trawler_register_platform_types(self) -> list[PlatformTypeSpec]:
            return [PlatformTypeSpec("forum", object)]

    pm = get_plugin_manager(extra_plugins=[AnotherForum()])
    with pytest.raises(PluginLoadError, match="platform type 'forum' is provided by both 'forum' and"):
        pm.platform_types()


def test_tracing_logs_every_hook_call(caplog: pytest.LogCaptureFixture) -> None:
    pm = get_plugin_manager(trace=True, extra_plugins=[Tagger("t")])
    with caplog.at_level(logging.DEBUG, logger="trawler.hooks"):
        pm.hook.trawler_enrich_listing(listing={}, profile=None)
    assert "trawler_enrich_listing" in caplog.text


def test_the_hook_reference_in_docs_is_generated_from_the_hookspecs() -> None:
    assert (REPO / "docs" / "hooks.md").read_text(encoding="utf-8") == render_hook_docs(), (
        "docs/hooks.md is stale: run `trawler plugins docs`"
    )


def test_every_hook_has_a_documented_contract() -> None:
    for name, fn in hook_functions():
        doc = fn.__doc__ or ""
        assert "Runs " in doc, f"{name}: say when the hook runs"
        assert ":return:" in doc or ":param" in doc, f"{name}: document parameters and return value"


def test_a_plugin_can_choose_the_spider_for_some_profiles() -> None:
    from crawler.profiles import SiteProfile
    from crawler.spiderloader import spider_class
    from crawler.spiders import ProfileSpider
    from plugins.forum.spider import ForumSpider

    class SpecialSpider(ProfileSpider):
        pass

    class Chooser:
        @hookimpl
        def trawler_spider_for_profile(self, profile: SiteProfile) -> type | None:
            return SpecialSpider if profile.name == "special" else None

    pm = get_plugin_manager(extra_plugins=[Chooser()])
    special = SiteProfile(name="special", platform_type="forum", start_urls=["http://a.test/"])
    ordinary = SiteProfile(name="ordinary", platform_type="forum", start_urls=["http://b.test/"])
    assert issubclass(spider_class(pm, special), SpecialSpider)
    chosen = spider_class(pm, ordinary)
    assert issubclass(chosen, ForumSpider) and not issubclass(chosen, SpecialSpider)
    assert (chosen.name, chosen.profile) == ("ordinary", ordinary)


def test_the_plugin_tutorial_covers_every_hook() -> None:
    tutorial = (REPO / "docs" / "writing-plugins.md").read_text(encoding="utf-8")
    missing = [name for name, _ in hook_functions() if f"`{name}`" not in tutorial]
    assert missing == [], f"docs/writing-plugins.md does not mention {missing}"


def test_plugin_settings_declared_as_a_model_get_defaults_and_validation() -> None:
    from pydantic import BaseModel, Field
    from scrapy.settings import Settings

    from crawler.plugin_settings import PluginSettingError, check, declared_settings, defaults

    class JobBoardSettings(BaseModel):
        JOB_BOARD_MAX_PAGES: int = Field(50, ge=1)
        JOB_BOARD_LANGUAGES: list[str] = Field(default_factory=lambda: ["en"])

    class Declares:
        @hookimpl
        def trawler_register_settings(self) -> type[BaseModel]:
            return JobBoardSettings

    pm = get_plugin_manager(extra_plugins=[Declares()])
    ((_, declared),) = [d for d in declared_settings(pm) if d[1] is JobBoardSettings]
    assert defaults(declared) == {"JOB_BOARD_MAX_PAGES": 50, "JOB_BOARD_LANGUAGES": ["en"]}
    check(pm, Settings({"JOB_BOARD_MAX_PAGES": 3, "JOB_BOARD_LANGUAGES": ["de"]}))
    with pytest.raises(PluginSettingError, match=r"setting JOB_BOARD_MAX_PAGES=0 is invalid: Input should be greater"):
        check(pm, Settings({"JOB_BOARD_MAX_PAGES": 0, "JOB_BOARD_LANGUAGES": ["de"]}))


def test_warm_up_loads_the_enrichers_models_before_the_crawl() -> None:
    # A fresh interpreter: nothing loaded yet, then everything after the warm-up.
    code = (
        "import sys, crawler.language as lang, plugins.location.gazetteer\n"
        "gaz = sys.modules['plugins.location.gazetteer']\n"
        "from crawler.plugins import get_plugin_manager\n"
        "before = (lang._identifier, gaz._index)\n"
        "get_plugin_manager().warm_up_enrichers()\n"
        "print(before == (None, None), lang._identifier is not None, gaz._index is not None)\n"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.split() == ["True", "True", "True"]


def test_opt_in_plugins_load_only_when_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAWLER_ENABLE_PLUGINS", raising=False)
    default = get_plugin_manager()
    assert default.get_plugin("neardup") is None and "neardup" in default.opted_out
    enabled = get_plugin_manager(enabled=["neardup"])
    assert enabled.get_plugin("neardup") is not None and not enabled.opted_out
    monkeypatch.setenv("TRAWLER_ENABLE_PLUGINS", "neardup")
    assert get_plugin_manager().get_plugin("neardup") is not None
    assert get_plugin_manager(blocked=["neardup"]).get_plugin("neardup") is None  # blocking still wins
