"""``trawler runs``: the crawl runs: list them, show one, cancel a running one, start one now.

Run ids and site names reach MongoDB only as plain values of ``_id``/``site``, never as operators.
Text from the run record (errors, log lines: they can quote scraped pages) is printed escaped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.common import console, err_console, fail
from crawler.crawling import project_settings
from crawler.plugins import shared_plugin_manager
from crawler.scheduling import launch as launcher
from crawler.scheduling.logtail import clean
from crawler.scheduling.runstate import RUN_STATUSES, mark_interrupted, request_cancel
from crawler.spiderloader import load_catalog
from crawler.storage.connection import database_config, open_database
from crawler.storage.schema import RUNS, ensure_indexes

app = typer.Typer(help="Crawl runs: list them (the default), show one, cancel a running one, start one now.")

COUNT_COLUMNS = (
    ("pages", "pages"),
    ("new", "listings_new"),
    ("updated", "listings_updated"),
    ("unchanged", "listings_unchanged"),
    ("removed", "listings_removed"),
    ("quarantined", "listings_quarantined"),
    ("errors", "errors"),
)
ERROR_KINDS = (
    "download_errors",
    "spider_exceptions",
    "hook_errors",
    "storage_errors",
    "pages_unextracted",
    "robots_forbidden",
    "items_spooled",
)


def _db() -> Any:
    return open_database(database_config(project_settings()))


def _text(value: Any) -> str:
    return escape(clean(str(value)))


def _time(value: Any) -> str:
    return str(value)[:19] if value else ""


def list_runs(site: str | None, status: str | None, limit: int, as_json: bool = False) -> None:
    db = _db()
    mark_interrupted(db)
    query: dict[str, str] = {}
    if site:
        query["site"] = str(site)
    if status:
        query["status"] = str(status)
    found = list(db[RUNS].find(query, {"log_tail": 0}).sort("started_at", -1).limit(limit))
    if as_json:
        for run in found:
            print(json.dumps(run, default=str, ensure_ascii=False))
        return
    table = Table(title="crawl runs")
    for column in ("run", "trigger", "status", "started", "ended", *(name for name, _ in COUNT_COLUMNS)):
        table.add_column(column)
    for run in found:
        counts = run.get("counts", {})
        table.add_row(
            escape(run["_id"]),
            str(run.get("trigger", "")),
            str(run.get("status", "")),
            _time(run.get("started_at")),
            _time(run.get("finished_at")),
            *(str(counts.get(key, "")) for _, key in COUNT_COLUMNS),
        )
    console.print(table)


@app.callback(invoke_without_command=True)
def runs_default(
    ctx: typer.Context,
    site: str = typer.Option(None, help="Only this site."),
    limit: int = typer.Option(10, min=1, max=500, help="How many runs to show."),
) -> None:
    """Without a subcommand: the latest runs, like `trawler runs list`."""
    if ctx.invoked_subcommand is None:
        list_runs(site, None, limit)


@app.command("list")
def runs_list(
    site: str = typer.Option(None, help="Only this site."),
    status: str = typer.Option(None, help=f"Only runs with this status ({', '.join(RUN_STATUSES)})."),
    limit: int = typer.Option(10, min=1, max=500, help="How many runs to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON Lines instead of a table."),
) -> None:
    """The latest runs, newest first: trigger, status, times and counts.

    Runs whose crawl process is gone without finishing (killed, host down) are marked "interrupted" first.
    """
    if status and status not in RUN_STATUSES:
        fail(f"unknown status {status!r}", f"use one of: {', '.join(RUN_STATUSES)}")
    list_runs(site, status, limit, as_json)


@app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., help="The run id (first column of `trawler runs`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole run record as JSON."),
) -> None:
    """One run: status, trigger, times, counts, errors by kind, alerts, and the end of its log."""
    db = _db()
    mark_interrupted(db)
    run = db[RUNS].find_one({"_id": str(run_id)})
    if run is None:
        fail(f"no run {run_id!r}", "list them with: trawler runs")
    if as_json:
        print(json.dumps(run, default=str, ensure_ascii=False, indent=1))
        return
    print_run(run)


def print_run(run: dict[str, Any]) -> None:
    console.print(f"[bold]run {escape(run['_id'])}[/]")
    facts = [
        ("site", run.get("site")),
        ("status", run.get("status")),
        ("finish reason", run.get("finish_reason")),
        ("trigger", run.get("trigger")),
        ("started", _time(run.get("started_at"))),
        ("ended", _time(run.get("finished_at"))),
        ("elapsed", f"{run['elapsed_seconds']:.1f} s" if run.get("elapsed_seconds") else None),
        ("host / pid", f"{run.get('host', '')} / {run.get('pid', '')}"),
        ("exit code", run.get("exit_code")),
        ("cancel requested", _time(run.get("cancel_requested_at")) if run.get("cancel_requested") else None),
        ("error", run.get("error")),
    ]
    for label, value in facts:
        if value not in (None, ""):
            console.print(f"  {label}: {_text(value)}")
    counts = run.get("counts") or {}
    if counts:
        console.print(
            "  counts: " + ", ".join(f"{name} {counts.get(key, 0)}" for name, key in COUNT_COLUMNS if key != "errors")
        )
        kinds = [f"{kind} {counts[kind]}" for kind in ERROR_KINDS if counts.get(kind)]
        console.print(f"  errors: {counts.get('errors', 0)}" + (f" ({', '.join(kinds)})" if kinds else ""))
        if counts.get("backoff_waits") or counts.get("backoff_gave_up"):
            console.print(
                f"  rate limits: waited {counts.get('backoff_waits', 0)} times ({counts.get('backoff_seconds', 0)} s), "
                f"gave up on {counts.get('backoff_gave_up', 0)} pages that asked for longer"
            )
    polite = run.get("politeness") or {}
    if polite:
        robots = "robots.txt obeyed" if polite.get("obey_robots") else "robots.txt ignored"
        throttle = "AutoThrottle on" if polite.get("autothrottle") else "AutoThrottle off"
        console.print(
            f"  politeness: {robots}, {throttle}, delay {polite.get('download_delay')} s, "
            f"{polite.get('concurrency_per_domain')} per domain, proxy {_text(polite.get('proxy') or 'none')}"
        )
    for plugin, count in sorted((run.get("hook_errors") or {}).items()):
        console.print(f"    hook errors in {_text(plugin)}: {count}")
    alerts = run.get("alerts") or []
    if alerts:
        console.print(f"  alerts: {len(alerts)}")
        for alert in alerts:
            text = (alert.get("message") or json.dumps(alert, default=str)) if isinstance(alert, dict) else alert
            console.print(f"    - {_text(text)}")
    tail = run.get("log_tail") or []
    if tail:
        console.print(f"  log tail ({len(tail)} lines):")
        for line in tail:
            console.print(f"    {_text(line)}", soft_wrap=True, highlight=False)


@app.command("cancel")
def runs_cancel(
    run_id: str = typer.Argument(..., help="The run id of a running crawl."),
    wait: float = typer.Option(0, min=0, help="Wait up to this many seconds for the crawl to stop."),
) -> None:
    """Ask a running crawl to stop: it notices within seconds, closes, and its status becomes "cancelled".

    A distributed crawl (started by `trawler seed`, `runs start --distributed` or a distributed schedule) is
    cancelled in Redis: its queue is dropped, its workers leave it within seconds and the last one completes
    its record; an interrupted one (no worker left in it) is completed at once. Needs REDIS_URL.
    """
    db = _db()
    run = db[RUNS].find_one({"_id": str(run_id)}, {"distributed": 1, "site": 1, "status": 1})
    if run is not None and run.get("distributed"):
        _cancel_distributed(db, run, wait)
        return
    outcome = request_cancel(db, str(run_id))
    if outcome == "unknown":
        fail(f"no run {run_id!r}", "list them with: trawler runs")
    if outcome != "requested":
        fail(f"run {run_id} is {outcome}: nothing to cancel")
    console.print(f"cancel requested for run {escape(run_id)}")
    if wait:
        status = _wait_for_end(db, str(run_id), wait)
        console.print(f"run {escape(run_id)} is {status}")
        if status == "running":
            raise typer.Exit(1)


def _cancel_distributed(db: Any, run: dict[str, Any], wait: float) -> None:
    from redis.exceptions import RedisError

    from crawler.scaleout import record
    from crawler.scaleout.state import connect, prefix_of, redis_url

    run_id, status = str(run["_id"]), run.get("status")
    if status not in ("running", "interrupted"):
        fail(f"run {run_id} is not running ({status}): nothing to cancel")
    settings = project_settings()
    db[RUNS].update_one({"_id": run_id}, {"$set": {"cancel_requested": True, "cancel_requested_at": datetime.now(UTC)}})
    server = connect(settings)
    try:
        outcome = record.cancel(db, server, prefix_of(settings), run_id, str(run.get("site")))
    except RedisError as exc:
        fail(f"cannot reach Redis at {redis_url(settings)} to cancel distributed run {run_id}: {exc}",
             "its queue is in Redis: start redis-server, or set REDIS_URL to the workers' Redis")  # fmt: skip
    finally:
        server.close()
    if outcome == "done":  # its keys are gone (replaced by a later seed): nothing can resume it any more
        db[RUNS].update_one(
            {"_id": run_id, "status": {"$in": ["running", "interrupted"]}},
            {"$set": {"status": "cancelled", "finish_reason": "cancelled", "finished_at": datetime.now(UTC)}},
        )
    if outcome == "workers":
        console.print(f"cancel requested for run {escape(run_id)}: its workers leave it within seconds")
    else:
        console.print(f"cancelled run {escape(run_id)} (no worker was in it)")
    if wait:
        status = _wait_for_end(db, run_id, wait)
        console.print(f"run {escape(run_id)} is {status}")
        if status == "running":
            raise typer.Exit(1)


def _wait_for_end(db: Any, run_id: str, seconds: float) -> str:
    import time

    deadline = time.monotonic() + seconds
    while True:
        run = db[RUNS].find_one({"_id": run_id}, {"status": 1}) or {}
        if run.get("status") != "running" or time.monotonic() >= deadline:
            return str(run.get("status"))
        time.sleep(0.5)


@app.command("start")
def runs_start(
    site: str = typer.Argument(..., help="A site profile name (see `trawler sites`)."),
    wait: bool = typer.Option(False, "--wait", help="Wait for the crawl to end and print its run."),
    distributed: bool = typer.Option(
        False,
        "--distributed",
        help="Seed it in Redis for the `trawler worker`s instead (as `trawler seed` does); needs REDIS_URL.",
    ),
) -> None:
    """Crawl a site now, in its own background process (trigger "manual"); prints the run id.

    Refused while the site is being crawled (by a scheduler or by hand). The crawl's output goes to
    var/logs/runs/RUN_ID.log; follow it with `trawler runs show RUN_ID`, stop it with `trawler runs cancel`.
    With --distributed the crawl is seeded for the workers (their logs are their own); the run id is the
    crawl id, and `runs show` / `runs cancel` work on it the same way.
    """
    settings = project_settings()
    found = load_catalog(shared_plugin_manager(settings), settings)
    if site not in found.profiles:
        error = found.error_for(site)
        fail(f"site profile {site!r} is invalid: {error}" if error else f"no site profile named {site!r}")
    db = open_database(database_config(settings))
    ensure_indexes(db)
    if distributed:
        run_id = _seed_manual(settings, site)
        if wait:
            _wait_and_print(db, run_id)
        return
    try:
        child = launcher.launch(
            db, site, "manual", var_dir=str(settings.get("TRAWLER_VAR_DIR")), ttl=settings.getfloat("TRAWLER_LEASE_TTL")
        )
    except launcher.SiteBusy as exc:
        fail(str(exc), "wait for it, or cancel it with: trawler runs cancel RUN_ID")
    console.print(f"started run {escape(child.run_id)} (pid {child.proc.pid}, log {escape(str(child.log_path))})")
    if not wait:
        return
    _print_end(launcher.record_exit(db, child, child.proc.wait()))


def _seed_manual(settings: Any, site: str) -> str:
    from redis.exceptions import RedisError

    from crawler.scaleout.seeding import SeedError, seed
    from crawler.scaleout.state import redis_url

    try:
        seeded = seed(site, settings, trigger="manual")
    except SeedError as exc:
        fail(str(exc), "wait for it, or cancel it with: trawler runs cancel RUN_ID")
    except RedisError as exc:
        fail(f"cannot reach Redis at {redis_url(settings)} ({exc})", "start redis-server, or set REDIS_URL")
    console.print(
        f"started distributed run {escape(seeded.crawl_id)} ({seeded.queued} start requests queued for the workers)"
    )
    return seeded.crawl_id


def _wait_and_print(db: Any, run_id: str) -> None:
    """Until the workers complete the crawl's record (none running: it waits for them)."""
    import time

    console.print("waiting for the workers to finish it (Ctrl-C stops waiting, not the crawl)")
    while (db[RUNS].find_one({"_id": run_id}, {"status": 1}) or {}).get("status") == "running":
        time.sleep(0.5)
    _print_end(db[RUNS].find_one({"_id": run_id}) or {"_id": run_id})


def _print_end(run: dict[str, Any]) -> None:
    print_run(run)
    if run.get("status") != "finished":
        err_console.print(f"[red]run {escape(str(run.get('_id')))} ended {escape(str(run.get('status')))}[/]")
        raise typer.Exit(1)
