"""Trawler's Scrapy add-on: the one switch that wires Trawler into a Scrapy project.

Enabled in ``settings/default.py`` through ``ADDONS``. It installs the storage
pipeline, the per-site proxy, browser-rendering and login-session middlewares, the stats-file
extension, and applies the settings defaults that plugins contribute (``trawler_register_settings``) at
add-on priority, below the project's settings and the site profile's.
"""

from __future__ import annotations

from typing import Any

from crawler.plugin_settings import declared_settings, defaults
from crawler.plugins import shared_plugin_manager

STORAGE_PIPELINE = "crawler.storage.pipeline.StoragePipeline"
PROXY_MIDDLEWARE = "crawler.proxy.ProfileProxyMiddleware"
RENDER_MIDDLEWARE = "crawler.render.BrowserRenderMiddleware"
STATS_FILE_EXTENSION = "crawler.statsfile.StatsFile"
LOGIN_MIDDLEWARE = "crawler.login.LoginSessionMiddleware"
SETTINGS_CHECK_EXTENSION = "crawler.plugin_settings.PluginSettingsCheck"


def _offline_public_suffixes() -> None:
    """Scrapy's cookie middleware downloads the public suffix list on first use. Crawls must not call
    third parties (no network here, and an investigator's crawler should not announce itself): use the
    snapshot bundled with tldextract."""
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


class TrawlerAddon:
    def update_settings(self, settings: Any) -> None:
        _offline_public_suffixes()
        pipelines = settings["ITEM_PIPELINES"]
        if STORAGE_PIPELINE not in pipelines:  # a project may disable it with None
            pipelines[STORAGE_PIPELINE] = 800
        middlewares = settings["DOWNLOADER_MIDDLEWARES"]
        if PROXY_MIDDLEWARE not in middlewares:
            middlewares[PROXY_MIDDLEWARE] = 740  # just before Scrapy's HttpProxyMiddleware (750)
        if RENDER_MIDDLEWARE not in middlewares:
            middlewares[RENDER_MIDDLEWARE] = 745
        if LOGIN_MIDDLEWARE not in middlewares:
            middlewares[LOGIN_MIDDLEWARE] = 590  # sees responses after redirects are followed
        extensions = settings["EXTENSIONS"]
        if STATS_FILE_EXTENSION not in extensions:
            extensions[STATS_FILE_EXTENSION] = 500
        if SETTINGS_CHECK_EXTENSION not in extensions:
            extensions[SETTINGS_CHECK_EXTENSION] = 0
        for _, declared in declared_settings(shared_plugin_manager(settings)):
            for name, value in defaults(declared).items():
                settings.set(name, value, priority="addon")
