"""Monitoring of crawl runs: field coverage and blocked pages during a crawl, checks against the site's
recent runs after it, and alerts to the run record, the log, a webhook and e-mail.

Modules: ``coverage`` (per-listing counting), ``blocking`` (the blocked-pages downloader middleware),
``config`` (thresholds and the profile's ``monitoring:`` section), ``checks`` (the checks, pure functions),
``store`` (database reads and writes), ``channels`` (webhook and e-mail, reusable), ``monitor`` (what the
storage pipeline calls). This package imports nothing at import time, so ``crawler.profiles`` can use
``crawler.monitoring.config`` without a cycle.
"""
