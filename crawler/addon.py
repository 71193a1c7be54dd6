"""Trawler's Scrapy add-on: the one switch that wires Trawler into a Scrapy project.

Enabled in ``settings/default.py`` through ``ADDONS``. It installs the storage
pipeline, the per-site proxy, browser-rendering and login-session middlewares, retries that back off as
the site asks (in place of Scrapy's ``RetryMiddleware``), the stats-file
extension, the photo-hash pipeline while the ``imagehash`` plugin is loaded, and applies the
settings defaults that plugins contribute (``trawler_register_settings``) at
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
INCREMENTAL_MIDDLEWARE = "crawler.incremental.middleware.IncrementalMiddleware"  # idle unless incremental
BLOCKED_PAGES_MIDDLEWARE = "crawler.monitoring.blocking.BlockedPagesMiddleware"  # 403/429/captcha counts
RUN_CONTROL_EXTENSION = "crawler.scheduling.runcontrol.RunControl"  # site lease, cancel, log tail
BACKOFF_MIDDLEWARE = "crawler.backoff.BackoffRetryMiddleware"  # 429/503: Retry-After, exponential backoff
SCRAPY_RETRY_MIDDLEWARE = "scrapy.downloadermiddlewares.retry.RetryMiddleware"
IMAGE_HASH_PIPELINE = "crawler.images.ImageHashPipeline"  # with the imagehash plugin; idle unless TRAWLER_IMAGE_HASH


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
        if BACKOFF_MIDDLEWARE not in middlewares:  # Scrapy's retries, waiting as a rate-limiting site asks
            middlewares[SCRAPY_RETRY_MIDDLEWARE] = None
            middlewares[BACKOFF_MIDDLEWARE] = 550
        if BLOCKED_PAGES_MIDDLEWARE not in middlewares:
            middlewares[BLOCKED_PAGES_MIDDLEWARE] = 585  # every retry attempt (550), bodies decompressed (590)
        if INCREMENTAL_MIDDLEWARE not in middlewares:
            middlewares[INCREMENTAL_MIDDLEWARE] = 580  # sees bodies decompressed and redirects followed
        extensions = settings["EXTENSIONS"]
        if STATS_FILE_EXTENSION not in extensions:
            extensions[STATS_FILE_EXTENSION] = 500
        if SETTINGS_CHECK_EXTENSION not in extensions:
            extensions[SETTINGS_CHECK_EXTENSION] = 0
        if RUN_CONTROL_EXTENSION not in extensions:
            extensions[RUN_CONTROL_EXTENSION] = 100
        plugins = shared_plugin_manager(settings)
        if plugins.get_plugin("imagehash") is not None and IMAGE_HASH_PIPELINE not in pipelines:
            pipelines[IMAGE_HASH_PIPELINE] = 700  # before storage: the hashes are stored with the listing
        for _, declared in declared_settings(plugins):
            for name, value in defaults(declared).items():
                settings.set(name, value, priority="addon")
