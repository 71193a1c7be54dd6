"""Scrapy extension for benchmarks: the CPU seconds the crawl process spent between spider open and close.

CPU time (all threads of the process) is far less sensitive than wall time to other work on a shared
machine: ``bench/scaleout.py`` reports CPU milliseconds per page next to pages/s. Enabled only by the bench,
with ``--set EXTENSIONS='{"bench.cputime.CpuTime": 0}'``; the value lands in the stats as ``bench/cpu_seconds``.
"""

from __future__ import annotations

import time
from typing import Any

from scrapy import signals


class CpuTime:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.started = 0.0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CpuTime:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.started = time.process_time()

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.crawler.stats.set_value("bench/cpu_seconds", time.process_time() - self.started)
