"""Trawler's Scrapy settings (``scrapy.cfg`` points here).

Trawler's own settings are prefixed ``TRAWLER_`` and documented in
``docs/configuration.md``; everything else is plain Scrapy. Site profiles
override the politeness settings per site.
"""

import os

BOT_NAME = "trawler"

# Site profiles are the spiders.
SPIDER_LOADER_CLASS = "crawler.spiderloader.ProfileSpiderLoader"
SPIDER_MODULES: list[str] = []

# One add-on wires Trawler's pipeline and extensions into Scrapy.
ADDONS = {"crawler.addon.TrawlerAddon": 0}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Politeness by default.
USER_AGENT = os.environ.get("TRAWLER_USER_AGENT", "Trawler/0.1 (OSINT research crawler)")
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2

# Scrapy's telnet console opens a port for every crawl; Trawler does not use it.
TELNETCONSOLE_ENABLED = False

LOG_LEVEL = os.environ.get("TRAWLER_LOG_LEVEL", "INFO")
FEED_EXPORT_ENCODING = "utf-8"

# Storage (MongoDB). MONGO_URI empty = the embedded SecantusDB server under TRAWLER_VAR_DIR.
MONGO_URI = os.environ.get("MONGO_URI", "")
MONGO_DATABASE = os.environ.get("MONGO_DATABASE", "trawler")
TRAWLER_VAR_DIR = os.environ.get("TRAWLER_VAR_DIR", "var")
TRAWLER_STORE = True
TRAWLER_BATCH_SIZE = 500
TRAWLER_FLUSH_INTERVAL = 2.0
TRAWLER_WRITE_CONCERN = 1
TRAWLER_BLOCKED_PLUGINS = [p for p in os.environ.get("TRAWLER_BLOCK_PLUGINS", "").split(",") if p]
TRAWLER_PROFILE_DIRS = [p for p in os.environ.get("TRAWLER_PROFILE_DIRS", "sites").split(os.pathsep) if p]
