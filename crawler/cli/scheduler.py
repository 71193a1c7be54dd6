"""``trawler scheduler``: run scheduled crawls unattended, and show the schedules."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.common import console, err_console, fail
from crawler.cli.crawl import prepare_database
from crawler.crawling import project_settings
from crawler.plugins import PluginLoadError, shared_plugin_manager
from crawler.profiles import ProfileCatalog
from crawler.scheduling import leases
from crawler.scheduling.scheduler import Scheduler, scheduled_sites
from crawler.spiderloader import load_catalog
from crawler.storage.connection import database_config, open_database
from crawler.storage.schema import SCHEDULES, ensure_indexes

app = typer.Typer(help="Crawl sites on their profiles' schedules, each crawl in its own process.", no_args_is_help=True)


def _catalog() -> tuple[Any, ProfileCatalog]:
    settings = project_settings()
    try:
        return settings, load_catalog(shared_plugin_manager(settings), settings)
    except PluginLoadError as exc:
        fail(str(exc), "fix or uninstall the plugin, or block it with TRAWLER_BLOCK_PLUGINS")


@app.command("run")
def run(
    sites: list[str] = typer.Option([], "--site", help="Schedule only this site (repeatable; default: all)."),
    max_crawls: int = typer.Option(None, min=1, help="Crawls at once (default: TRAWLER_SCHEDULER_MAX_CRAWLS, 4)."),
    stop_timeout: float = typer.Option(
        None,
        min=0,
        help="Seconds to wait for crawls on SIGTERM before killing them "
        "(default: TRAWLER_SCHEDULER_STOP_TIMEOUT, 300).",
    ),
) -> None:
    """Run until stopped: start each scheduled site's crawl on time, in its own process.

    Schedules come from the profiles' `schedule` field; next run times are kept in MongoDB.
    A restart loses nothing, and runs missed while stopped are made up by one run, not a burst.
    Several schedulers may share a database; a site's lease keeps crawls of one site from overlapping.
    A distributed schedule (`distributed: true` in the schedule, or TRAWLER_SCHEDULER_DISTRIBUTED) seeds
    the crawl into Redis for `trawler worker`s instead (docs/deployment.md).
    SIGTERM or Ctrl-C: no new runs, running crawls stop gracefully (status "interrupted"), and the next
    start crawls them again (trigger "retry"). See docs/scheduling.md.
    """
    settings, found = _catalog()
    for error in found.errors:
        err_console.print(f"[yellow]skipped invalid profile:[/] {escape(str(error))}")
    for name in sites:
        if name not in found.profiles:
            fail(f"no valid site profile named {name!r}", "list them with: trawler sites")
    distributed = settings.getlist("TRAWLER_SCHEDULER_DISTRIBUTED")
    scheduled = scheduled_sites(found.profiles, sites or None, distributed)
    if not scheduled:
        fail("no site profile has a schedule", "add e.g. `schedule: every 6h` to a profile (docs/scheduling.md)")
    console.print(prepare_database(settings))
    db = open_database(database_config(settings))
    ensure_indexes(db)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    # Its "maximum number of running instances reached" warning is the scheduler's normal coalescing;
    # the scheduler logs it in its own words.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    scheduler = Scheduler(
        db,
        scheduled,
        var_dir=str(settings.get("TRAWLER_VAR_DIR")),
        lease_ttl=settings.getfloat("TRAWLER_LEASE_TTL", 60.0),
        max_crawls=max_crawls or settings.getint("TRAWLER_SCHEDULER_MAX_CRAWLS", 4),
        stop_timeout=settings.getfloat("TRAWLER_SCHEDULER_STOP_TIMEOUT", 300.0)
        if stop_timeout is None
        else stop_timeout,
        unscheduled=sorted(set(found.profiles) - {s.site for s in scheduled}) if not sites else [],
        settings=settings,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    while not stop.wait(1.0):
        pass
    logging.getLogger("trawler.scheduler").info("stopping: no new runs; waiting for %s", scheduler.running() or "none")
    scheduler.stop()


@app.command("list")
def list_schedules() -> None:
    """Show each scheduled site: its schedule, next run, last run and whether it is being crawled now."""
    settings, found = _catalog()
    db = open_database(database_config(settings))
    names = sorted(name for name, p in found.profiles.items() if p.schedule is not None)
    stored = {doc["_id"]: doc for doc in db[SCHEDULES].find({"_id": {"$in": names}})}
    now = datetime.now(UTC)
    table = Table(title="schedules")
    for column in ("site", "schedule", "next run", "last run", "last status", "crawling now"):
        table.add_column(column)
    for name in names:
        profile = found.profiles[name]
        assert profile.schedule is not None
        doc = stored.get(name, {})
        lease = leases.get(db, name)
        table.add_row(
            name,
            escape(profile.schedule.describe(profile.timezone)),
            str(doc.get("next_run_at", "(not started by a scheduler yet)"))[:19],
            escape(str(doc.get("last_run_id", ""))),
            str(doc.get("last_status", "")),
            escape(lease.run_id or lease.holder) if lease and lease.live(now) else "",
        )
    console.print(table)
    if not names:
        console.print("[dim]no profile has a schedule; see docs/scheduling.md[/]")
