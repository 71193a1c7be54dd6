"""Extension: write a crawl's final Scrapy stats as JSON to ``TRAWLER_STATS_FILE`` (for scripts and monitors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured


class StatsFile:
    def __init__(self, crawler: Any, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StatsFile:
        path = crawler.settings.get("TRAWLER_STATS_FILE")
        if not path:
            raise NotConfigured("TRAWLER_STATS_FILE is not set")
        return cls(crawler, Path(path))

    def engine_stopped(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.crawler.stats.get_stats(), default=str, indent=1), encoding="utf-8")
