"""``trawler crawl``: crawl one or more sites now, with a live progress table."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.markup import escape

from crawler.cli.common import console, err_console, fail
from crawler.crawling import CrawlOutcome, outcome_table, project_settings, run_crawls
from crawler.jobs.jobdir import prepare_jobs
from crawler.plugins import PluginLoadError, shared_plugin_manager
from crawler.spiderloader import load_catalog
from crawler.storage.connection import database_config
from crawler.storage.embedded import EmbeddedServerError, ping


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            fail(f"--set {pair!r} is not NAME=VALUE", "example: --set DOWNLOAD_DELAY=1")
        name, value = pair.split("=", 1)
        out[name.strip()] = value
    return out


def prepare_database(settings: object) -> str:
    """Start the embedded database or check MONGO_URI; return a line saying which one is used."""
    try:
        config = database_config(settings)
    except EmbeddedServerError as exc:
        fail(str(exc))
    if not ping(config.uri, timeout_ms=5000):
        fail(
            f"cannot reach MongoDB at {config.safe_uri}",
            "start it, fix MONGO_URI, or unset MONGO_URI to use the embedded database",
        )
    kind = "embedded SecantusDB" if config.embedded else "MongoDB"
    return f"{kind} at {config.safe_uri}, database {config.name!r}"


def run_and_report(sites: list[str], overrides: dict[str, object], progress: bool) -> list[CrawlOutcome]:
    settings = project_settings()
    log_file = Path(str(settings.get("TRAWLER_VAR_DIR"))) / "logs" / f"crawl-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    outcomes = run_crawls(sites, overrides, progress=progress, log_file=log_file if progress else None)
    console.print(outcome_table(outcomes, "crawl summary"))
    if progress:
        console.print(f"[dim]Scrapy log: {log_file}[/]")
    for o in outcomes:
        if not o.ok:
            detail = o.stats.get("trawler/error")
            err_console.print(
                f"[red]{escape(o.site)}: {escape(o.reason)}[/]" + (f" ({escape(detail)})" if detail else "")
            )
    return outcomes


def crawl(
    sites: list[str] = typer.Argument(None, help="Site profile names (see `trawler sites`)."),
    all_sites: bool = typer.Option(False, "--all", help="Crawl every valid site profile."),
    sets: list[str] = typer.Option([], "--set", "-s", help="Override a Scrapy or Trawler setting: NAME=VALUE."),
    block: list[str] = typer.Option([], "--block", "-p", help="Do not load this plugin (repeatable)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a live progress table."),
    full: bool = typer.Option(
        False, "--full", help="Fetch every page, even where an incremental recrawl would skip it (docs/incremental.md)."
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Discard the state of an interrupted crawl of these sites and start over."
    ),
    job_state: bool = typer.Option(
        True,
        "--job-state/--no-job-state",
        help="Keep each crawl's queue and seen pages on disk until it finishes, so a killed or stopped crawl "
        "resumes on the next start (docs/operations.md).",
    ),
) -> None:
    """Crawl sites now into MongoDB (the embedded database unless MONGO_URI is set).

    Exits 1 if any crawl did not finish cleanly (the summary says why).
    """
    if block:
        os.environ["TRAWLER_BLOCK_PLUGINS"] = ",".join(block)
    settings = project_settings()
    try:
        found = load_catalog(shared_plugin_manager(settings), settings)
    except PluginLoadError as exc:
        fail(str(exc), "fix or uninstall the plugin, or block it with --block NAME")
    names = sorted(found.profiles) if all_sites else list(sites or [])
    if not names:
        fail("name at least one site profile, or use --all", "list them with: trawler sites")
    for name in names:
        if name not in found.profiles:
            error = found.error_for(name)
            fail(
                f"site profile {name!r} is invalid: {error}" if error else f"no site profile named {name!r}",
                "check the file with: trawler sites check",
            )
    console.print(prepare_database(settings))
    overrides: dict[str, object] = {**_parse_sets(sets), **({"TRAWLER_INCREMENTAL_FULL": True} if full else {})}
    if not job_state:
        overrides["TRAWLER_JOB_STATE"] = False
    for line in prepare_jobs(project_settings(overrides), names, fresh):
        console.print(escape(line))
    outcomes = run_and_report(names, overrides, progress)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)
