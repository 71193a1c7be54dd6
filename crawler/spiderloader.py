"""Scrapy spider loader that turns site profiles into spiders.

Set as ``SPIDER_LOADER_CLASS``, it makes ``scrapy list`` and ``scrapy crawl NAME``
work on site profiles: every valid profile is a spider named after it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request

from crawler.browser import BrowserUnavailable, playwright_settings
from crawler.plugins import TrawlerPluginManager, shared_plugin_manager
from crawler.profiles import ProfileCatalog, SiteProfile, load_profiles

logger = logging.getLogger("trawler.sites")


class ProfileNotFound(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def profile_paths(pm: TrawlerPluginManager, settings: Any = None) -> list[str]:
    paths: list[str] = []
    for found in pm.hook.trawler_register_site_profiles():
        paths.extend(str(p) for p in found or [])
    if settings is not None:
        paths.extend(str(Path(p)) for p in settings.getlist("TRAWLER_PROFILE_DIRS"))
    return paths


def load_catalog(pm: TrawlerPluginManager, settings: Any = None) -> ProfileCatalog:
    return load_profiles(profile_paths(pm, settings), set(pm.platform_types()), pm.profile_option_models())


def spider_class(pm: TrawlerPluginManager, profile: SiteProfile) -> type:
    base = pm.hook.trawler_spider_for_profile(profile=profile) or pm.platform_types()[profile.platform_type].spider
    custom_settings = profile.scrapy_settings()
    if profile.render != "http":
        custom_settings = {**custom_settings, **playwright_settings(profile.browser, profile.proxy)}
        custom_settings.update(profile.settings)  # the profile's own Scrapy settings still win
    attrs = {
        "name": profile.name,
        "profile": profile,
        "allowed_domains": list(profile.allowed_domains),
        "custom_settings": custom_settings,
        "__module__": base.__module__,
    }
    return type(f"{base.__name__}[{profile.name}]", (base,), attrs)


class ProfileSpiderLoader:
    def __init__(self, settings: Any) -> None:
        self.plugins = shared_plugin_manager(settings)
        self.catalog = load_catalog(self.plugins, settings)
        for error in self.catalog.errors:
            logger.error("invalid site profile %s", error)

    @classmethod
    def from_settings(cls, settings: Any) -> ProfileSpiderLoader:
        return cls(settings)

    def load(self, spider_name: str) -> type:
        profile = self.catalog.profiles.get(spider_name)
        if profile is None:
            error = self.catalog.error_for(spider_name)
            if error:
                raise ProfileNotFound(f"site profile {spider_name!r} is invalid: {error}")
            raise ProfileNotFound(f"Spider not found: {spider_name}")
        try:
            return spider_class(self.plugins, profile)
        except BrowserUnavailable as exc:
            raise ProfileNotFound(f"site profile {spider_name!r} ({profile.source}): {exc}") from exc

    def list(self) -> list[str]:
        return sorted(self.catalog.profiles)

    def find_by_request(self, request: Request) -> list[str]:
        host = urlsplit(request.url).hostname or ""
        return [
            name
            for name, profile in sorted(self.catalog.profiles.items())
            if any(host == d or host.endswith("." + d) for d in profile.allowed_domains)
        ]
