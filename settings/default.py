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
# Scrapy starts CONCURRENT_ITEMS tasks for every response's output (scrapy/scrapy#5182): the default 100 costs more
# CPU than parsing the page. A spider's output here is one PageListings item plus its requests, and the storage
# pipeline only buffers (it never awaits), so a few are plenty (docs/benchmarks.md).
CONCURRENT_ITEMS = 4
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# 429/503 answers (crawler/backoff.py): wait Retry-After, or BASE x 2^retries up to MAX seconds, holding every
# request to the host meanwhile; a site asking for more than RETRY_AFTER_MAX seconds is not retried.
TRAWLER_BACKOFF_BASE = 1.0
TRAWLER_BACKOFF_MAX = 60.0
TRAWLER_RETRY_AFTER_MAX = 600.0

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
# Opt-in plugins (their module says OPT_IN = True, e.g. neardup) load only when named here.
TRAWLER_ENABLED_PLUGINS = [p for p in os.environ.get("TRAWLER_ENABLE_PLUGINS", "").split(",") if p]
TRAWLER_PROFILE_DIRS = [p for p in os.environ.get("TRAWLER_PROFILE_DIRS", "sites").split(os.pathsep) if p]

# Scale-out (`trawler seed` / `trawler worker`, crawler/scaleout/). Only workers use Redis; `trawler crawl` keeps
# Scrapy's in-memory scheduler.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TRAWLER_REDIS_PREFIX = os.environ.get("TRAWLER_REDIS_PREFIX", "trawler")
TRAWLER_WORKER_POLL = float(os.environ.get("TRAWLER_WORKER_POLL", "0.5"))

# Monitoring after each run (crawler/monitoring/, docs/monitoring.md): threshold overrides for every site
# (a profile's `monitoring:` section overrides them again), and the alert channels. Secrets
# (TRAWLER_SMTP_PASSWORD, TRAWLER_ALERT_WEBHOOK_SECRET) are read from the environment only, when alerts are sent.
TRAWLER_MONITORING: dict = {}
TRAWLER_ALERT_WEBHOOK_URL = os.environ.get("TRAWLER_ALERT_WEBHOOK_URL", "")
TRAWLER_ALERT_EMAIL_TO = [a for a in os.environ.get("TRAWLER_ALERT_EMAIL_TO", "").split(",") if a.strip()]
TRAWLER_ALERT_EMAIL_FROM = os.environ.get("TRAWLER_ALERT_EMAIL_FROM", "trawler@localhost")
TRAWLER_SMTP_HOST = os.environ.get("TRAWLER_SMTP_HOST", "localhost")
TRAWLER_SMTP_PORT = int(os.environ.get("TRAWLER_SMTP_PORT", "25"))
TRAWLER_SMTP_SECURITY = os.environ.get("TRAWLER_SMTP_SECURITY", "starttls")
TRAWLER_SMTP_USER = os.environ.get("TRAWLER_SMTP_USER", "")
TRAWLER_ALERT_TIMEOUT = 10.0
TRAWLER_ALERT_RETRIES = 2
# Watchlists (crawler/watchlists/, docs/web.md): checked after each run that stored new or changed listings; a
# check looks this many seconds before its watchlist's checkpoint again (listings written while it ran).
TRAWLER_WATCHLISTS_AFTER_RUN = os.environ.get("TRAWLER_WATCHLISTS_AFTER_RUN", "1") not in ("0", "false", "no")
TRAWLER_WATCHLIST_OVERLAP = float(os.environ.get("TRAWLER_WATCHLIST_OVERLAP", "600"))

# Incremental recrawls (crawler/incremental/, docs/incremental.md). Off unless a profile's `incremental.enabled`
# or this setting turns them on; `trawler crawl --full` sets TRAWLER_INCREMENTAL_FULL for one run.
TRAWLER_INCREMENTAL = os.environ.get("TRAWLER_INCREMENTAL", "") in ("1", "true", "yes")
TRAWLER_INCREMENTAL_FULL = False
TRAWLER_REVISIT_INITIAL_S = 86400.0
TRAWLER_REVISIT_MIN_S = 3600.0
TRAWLER_REVISIT_MAX_S = 30 * 86400.0
TRAWLER_REVISIT_GROW = 1.5
TRAWLER_REVISIT_SHRINK = 0.5

# Resumable crawls (crawler/jobs/, docs/operations.md): each site's request queue and seen set live in
# TRAWLER_JOBS_DIR/<site> (default TRAWLER_VAR_DIR/jobs) until its crawl finishes cleanly; a crawl killed or
# stopped before that resumes on the next start. TRAWLER_JOB_STATE=0 keeps them in a temporary directory.
SCHEDULER = "crawler.jobs.scheduler.JobScheduler"
DUPEFILTER_CLASS = "crawler.dupefilter.DiskDupeFilter"
TRAWLER_JOB_STATE = os.environ.get("TRAWLER_JOB_STATE", "1").lower() not in ("0", "false", "no", "off")
TRAWLER_JOBS_DIR = os.environ.get("TRAWLER_JOBS_DIR", "")
TRAWLER_JOB_CHECKPOINT_INTERVAL = 1.0
TRAWLER_JOB_FSYNC = True
TRAWLER_DUPEFILTER_CACHE_SIZE = 10_000

# Runs, leases and the scheduler (docs/scheduling.md).
TRAWLER_LEASES = os.environ.get("TRAWLER_LEASES", "1") not in ("0", "false", "False", "")
TRAWLER_LEASE_TTL = float(os.environ.get("TRAWLER_LEASE_TTL", "60"))
TRAWLER_RUN_POLL_INTERVAL = float(os.environ.get("TRAWLER_RUN_POLL_INTERVAL", "2"))
TRAWLER_LOG_TAIL_LINES = 50
TRAWLER_SCHEDULER_MAX_CRAWLS = int(os.environ.get("TRAWLER_SCHEDULER_MAX_CRAWLS", "4"))
TRAWLER_SCHEDULER_STOP_TIMEOUT = float(os.environ.get("TRAWLER_SCHEDULER_STOP_TIMEOUT", "300"))
# Scheduled sites whose runs are distributed crawls (seeded into Redis for `trawler worker`s), comma-separated.
TRAWLER_SCHEDULER_DISTRIBUTED = [s for s in os.environ.get("TRAWLER_SCHEDULER_DISTRIBUTED", "").split(",") if s.strip()]
