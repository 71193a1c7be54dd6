"""``trawler seed`` and ``trawler worker``: one crawl drained by worker processes on many machines (Redis)."""

from __future__ import annotations

import os

import typer
from rich.markup import escape

from crawler.cli.common import console, err_console, fail
from crawler.cli.crawl import _parse_sets, prepare_database
from crawler.crawling import outcome_table, project_settings
from crawler.plugins import PluginLoadError, shared_plugin_manager
from crawler.spiderloader import load_catalog


def _check(settings: object, names: list[str]) -> None:
    try:
        found = load_catalog(shared_plugin_manager(settings), settings)
    except PluginLoadError as exc:
        fail(str(exc), "fix or uninstall the plugin, or block it with --block NAME")
    for name in names:
        if name not in found.profiles:
            error = found.error_for(name)
            fail(
                f"site profile {name!r} is invalid: {error}" if error else f"no site profile named {name!r}",
                "check the file with: trawler sites check",
            )


def _redis(settings: object) -> None:
    import redis

    from crawler.scaleout.state import connect, redis_url

    try:
        connect(settings).ping()
    except redis.RedisError as exc:
        fail(f"cannot reach Redis at {redis_url(settings)} ({exc})", "start redis-server, or set REDIS_URL")


def seed(
    sites: list[str] = typer.Argument(..., help="Site profile names (see `trawler sites`)."),
    force: bool = typer.Option(False, "--force", help="Replace a crawl of a site that is still in progress."),
    sets: list[str] = typer.Option([], "--set", "-s", help="Override a Scrapy or Trawler setting: NAME=VALUE."),
    full: bool = typer.Option(
        False, "--full", help="An incremental site: fetch every page this time, unconditionally (docs/incremental.md)."
    ),
) -> None:
    """Start a distributed crawl of each SITE: queue its start requests in Redis, once, for `trawler worker`s.

    Replaces the site's previous distributed crawl (its queue and seen set are deleted), so a site can be
    crawled again; refuses while that crawl is still being worked on, unless --force, and while another
    crawl holds the site's lease (a plain `trawler crawl`). The crawl holds the lease until its workers are
    done. An incremental site (docs/incremental.md) is recrawled incrementally by every worker, and its
    stored pages due by their revisit interval are queued with the start requests. Prints each crawl id;
    the crawl's run record has it as its _id.
    """
    from crawler.scaleout.seeding import SeedError
    from crawler.scaleout.seeding import seed as seed_crawl

    overrides = _parse_sets(sets)
    if full:
        overrides["TRAWLER_INCREMENTAL_FULL"] = "1"
    settings = project_settings(overrides)
    _check(settings, sites)
    _redis(settings)
    console.print(prepare_database(settings))
    for site in sites:
        try:
            seeded = seed_crawl(site, settings, force=force)
        except SeedError as exc:
            fail(str(exc))
        if seeded.replaced:
            console.print(f"replaced crawl {escape(seeded.replaced)}")
        console.print(f"seeded crawl {escape(seeded.crawl_id)}: {seeded.queued} start requests queued")
        if seeded.incremental != "off":
            console.print(f"  {seeded.incremental} recrawl; {seeded.due} of them stored pages due for a revisit")


def worker(
    sites: list[str] = typer.Argument(None, help="Site profile names; none = every site with a seeded crawl."),
    max_idle: float = typer.Option(
        float(os.environ.get("TRAWLER_WORKER_MAX_IDLE", "60")),
        "--max-idle",
        help="Exit after this many seconds with no seeded crawl to work on; 0 = never (a service).",
    ),
    poll: float = typer.Option(2.0, "--poll", help="Seconds between looks for a new seeded crawl."),
    sets: list[str] = typer.Option([], "--set", "-s", help="Override a Scrapy or Trawler setting: NAME=VALUE."),
    block: list[str] = typer.Option([], "--block", "-p", help="Do not load this plugin (repeatable)."),
) -> None:
    """Work on seeded crawls (see `trawler seed`) with other workers, through Redis (REDIS_URL).

    Every worker pops pages from the crawl's shared queue, queues the pages they link to, and writes
    listings to MongoDB (MONGO_URI; all workers must use the same one). A crawl ends when its queue is
    empty and every worker is idle; the worker then waits for the next seed, up to --max-idle seconds.
    Workers keep the crawl's lease on the site alive; a crawl whose site another crawl holds (a plain
    `trawler crawl`) waits until the site is free.
    SIGTERM (or Ctrl-C): take nothing more, finish the requests taken, leave the crawl to the other workers
    (or to the next one started); a second SIGTERM stops at once. Exits 1 if a crawl it took part in did not
    finish (stopped or cancelled included: `trawler runs cancel CRAWL_ID` makes every worker leave it).
    """
    from crawler.scaleout.worker import Worker

    if block:
        os.environ["TRAWLER_BLOCK_PLUGINS"] = ",".join(block)
    settings = project_settings()
    _check(settings, list(sites or []))
    _redis(settings)
    console.print(prepare_database(settings))
    outcomes = Worker(list(sites or []), _parse_sets(sets), max_idle, poll).run()
    console.print(outcome_table(outcomes, "worker summary"))
    for o in outcomes:
        if not o.ok:
            err_console.print(f"[red]{escape(o.site)}: {escape(o.reason)}[/]")
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)
