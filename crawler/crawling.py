"""Run site crawls in this process with Scrapy, with an optional live progress table.

One Scrapy process per run: Scrapy's reactor cannot be restarted, so each CLI
invocation crawls once (several sites at once are fine) and exits.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

SETTINGS_MODULE = "settings.default"


def project_settings(overrides: dict[str, Any] | None = None) -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


@dataclass
class CrawlOutcome:
    site: str
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    @property
    def reason(self) -> str:
        if self.error:
            return self.error
        reason = str(self.stats.get("finish_reason", "not started"))
        spooled = self.stat("trawler/spooled_left")
        return f"{reason}, {spooled} items spooled" if spooled else reason

    @property
    def ok(self) -> bool:
        """Finished, and everything it collected is in the database."""
        return self.error is None and self.reason == "finished"

    def stat(self, name: str) -> int:
        return int(self.stats.get(name, 0) or 0)


PROGRESS_COLUMNS = (
    ("pages", "response_received_count"),
    ("listings", "trawler/listings_extracted"),
    ("new", "trawler/listings_new"),
    ("updated", "trawler/listings_updated"),
    ("unchanged", "trawler/listings_unchanged"),
    ("removed", "trawler/listings_removed"),
    ("quarantined", "trawler/listings_quarantined"),
    ("spooled", "trawler/spooled"),
    ("errors", None),
)


def error_count(stats: dict[str, Any]) -> int:
    keys = ("trawler/hook_errors", "spider_exceptions/count", "downloader/exception_count", "trawler/storage_errors")
    return sum(int(stats.get(k, 0) or 0) for k in keys)


def outcome_table(outcomes: list[CrawlOutcome], title: str) -> Table:
    table = Table(title=title)
    table.add_column("site")
    table.add_column("status")
    for name, _ in PROGRESS_COLUMNS:
        table.add_column(name, justify="right")
    table.add_column("time", justify="right")
    for o in outcomes:
        stats = o.stats
        status = o.reason if (o.error or o.ended) else "running"
        style = "green" if o.ok else ("yellow" if status == "running" else "red")
        cells = [
            str(error_count(stats)) if key is None else str(int(stats.get(key, 0) or 0)) for _, key in PROGRESS_COLUMNS
        ]
        elapsed = (o.ended or time.monotonic()) - o.started
        table.add_row(o.site, f"[{style}]{status}[/]", *cells, f"{elapsed:.1f}s")
    return table


class _Board:
    def __init__(self, crawlers: list[tuple[CrawlOutcome, Any]]) -> None:
        self.crawlers = crawlers

    def __rich__(self) -> Table:
        for outcome, crawler in self.crawlers:
            if outcome.ended is None and getattr(crawler, "stats", None) is not None:
                outcome.stats = dict(crawler.stats.get_stats())
        return outcome_table([o for o, _ in self.crawlers], "crawling")


def run_crawls(
    sites: list[str],
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
    console: Console | None = None,
    log_file: Path | None = None,
) -> list[CrawlOutcome]:
    """Crawl ``sites`` (site profile names) concurrently in this process and return how each ended."""
    from scrapy.crawler import CrawlerProcess

    overrides = dict(overrides or {})
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        overrides.setdefault("LOG_FILE", str(log_file))
    settings = project_settings(overrides)
    process = CrawlerProcess(settings)
    crawlers: list[tuple[CrawlOutcome, Any]] = []
    for site in sites:
        outcome = CrawlOutcome(site)
        crawler = process.create_crawler(site)
        deferred = process.crawl(crawler)

        def done(result: Any, outcome: CrawlOutcome = outcome, crawler: Any = crawler) -> None:
            outcome.ended = time.monotonic()
            if crawler.stats is not None:
                outcome.stats = dict(crawler.stats.get_stats())
            if result is not None and hasattr(result, "getErrorMessage"):
                outcome.error = result.getErrorMessage()

        deferred.addBoth(done)
        crawlers.append((outcome, crawler))
    if progress:
        # Transient: the summary table printed afterwards replaces the live one.
        with Live(
            _Board(crawlers), console=console or Console(stderr=True, emoji=False), refresh_per_second=4, transient=True
        ):
            process.start()
    else:
        process.start()
    return [o for o, _ in crawlers]
