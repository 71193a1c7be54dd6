"""``trawler demo``: the whole product in one command, on bundled synthetic platforms."""

from __future__ import annotations

import contextlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from crawler.browser import BrowserUnavailable, chromium_path
from crawler.cli.common import console, fail
from crawler.cli.crawl import prepare_database, run_and_report
from crawler.cli.serve import serve_demo
from crawler.crawling import project_settings
from crawler.demo.base import BuildOptions
from crawler.demo.process import DemoServer, DemoServerError
from crawler.demo.server import (
    CRAWLED_BY_DEMO,
    DEFAULT_PORT_BASE,
    NEEDS_BROWSER,
    PLATFORMS,
    env_for,
    ground_truth,
    urls_for,
)
from crawler.storage.connection import database_config, open_database
from crawler.storage.entities import cross_site_entities
from crawler.storage.schema import LISTINGS

app = typer.Typer(help="Run the demo: serve synthetic platforms on 127.0.0.1, crawl them, show what was found.")


def _ports_free(port_base: int) -> bool:
    for entry in PLATFORMS:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port_base + entry.port_offset)) == 0:
                return False
    return True


def _pick_port_base(wanted: int) -> int:
    for base in range(wanted, wanted + 400, 10):
        if _ports_free(base):
            return base
    fail(f"no free ports near {wanted} for the demo server", "pass --port-base with a free range")


def _show_findings(sites: list[str]) -> None:
    db = open_database(database_config(project_settings()))
    table = Table(title="collected listings")
    for column in ("site", "kind", "listings"):
        table.add_column(column)
    for site in sites:
        for kind in ("thread", "post", "ad", "business", "review"):
            count = db[LISTINGS].count_documents({"site": site, "kind": kind})
            if count:
                table.add_row(site, kind, str(count))
    console.print(table)
    # Links across kinds of platform first: a forum post and an ad sharing a phone say more than two ads.
    linked = sorted(cross_site_entities(db), key=lambda e: (-len(e["platform_types"]), -len(e["sites"]), e["_id"]))
    console.print(f"{len(linked)} phone numbers, e-mails or handles appear on more than one site, e.g.:")
    for entity in linked[:3]:
        console.print(f"  {escape(entity['_id'])}: {len(entity['listings'])} listings on {', '.join(entity['sites'])}")
    riskiest = db[LISTINGS].find({"site": {"$in": sites}, "risk.score": {"$gt": 0}}).sort("risk.score", -1).limit(3)
    for listing in riskiest:
        reasons = "; ".join(listing["risk"]["reasons"][:2])
        console.print(f"risk {listing['risk']['score']:.1f} [bold]{escape(listing['_id'])}[/]: {escape(reasons)}")
    console.print(
        "\n[bold]Query what was collected[/] (paste any of these):\n"
        "  trawler search --site demo-market --limit 5\n"
        "  trawler search visa --sort risk --limit 20\n"
        "  trawler search --contact '07700 900123'        [dim]# any written form of the number[/]\n"
        "  trawler entity '+44 7700 900123'               [dim]# that number's listings across sites, by date[/]\n"
        "  trawler search --site demo-forum --kind post --jsonl | head -3\n"
        "  trawler runs\n"
        "  trawler demo serve                             [dim]# serve again; it prints the variables for:[/]\n"
        "  trawler crawl demo-forum-members               [dim]# logs in and also collects the members-only board[/]\n"
        "  trawler demo                                   [dim]# again: every listing comes back unchanged[/]\n"
        "  trawler demo --revision 1                      [dim]# the platforms with some listings edited[/]"
    )


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    scale: int = typer.Option(1, min=1, max=200, help="Size of the demo platforms (1 = a few hundred listings)."),
    seed: int = typer.Option(7, help="Random seed of the generated platforms."),
    revision: int = typer.Option(
        0, min=0, max=2, help="0 = original, 1 = some listings edited, 2 = also a few ads taken down."
    ),
    port_base: int = typer.Option(DEFAULT_PORT_BASE, help="First port of the demo server (one port per platform)."),
    keep_serving: bool = typer.Option(False, help="Leave the demo platforms running after the crawl (Ctrl-C stops)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a live progress table."),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="End with the analyst web page on 127.0.0.1 and a fresh analyst login."
    ),
    web_port: int = typer.Option(8000, help="Port of the analyst web page (the next free one if taken)."),
) -> None:
    """Start the embedded database, serve the demo platforms, crawl them, show the results and the web page."""
    if ctx.invoked_subcommand:
        return
    settings = project_settings()
    console.print(prepare_database(settings))
    base = _pick_port_base(port_base)
    options = BuildOptions(seed=seed, scale=scale, revision=revision, now=datetime.now(UTC).replace(microsecond=0))
    try:
        server = DemoServer(options, base).start()
    except DemoServerError as exc:
        fail(str(exc))
    try:
        try:
            chromium_path()
            crawled = CRAWLED_BY_DEMO
        except BrowserUnavailable as exc:
            crawled = tuple(n for n in CRAWLED_BY_DEMO if n not in NEEDS_BROWSER)
            console.print(f"[yellow]{escape(str(exc))}: the JavaScript platform is served but not crawled[/]")
        for name, url in server.urls.items():
            note = "  (JavaScript-rendered, crawled in Chromium)" if name in NEEDS_BROWSER else ""
            console.print(f"demo platform {name}: {url}{note}")
        os.environ.update(server.env)
        sites = [e.site for e in PLATFORMS if e.name in crawled]
        outcomes = run_and_report(sites, {}, progress)
        _show_findings(sites)
        if serve:
            # The demo platforms keep serving meanwhile, so the listings' links still open.
            serve_demo(settings, web_port)
        elif keep_serving:
            console.print("demo platforms still serving; Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                server.proc.wait()
    finally:
        server.stop()
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


@app.command("serve")
def serve(
    scale: int = typer.Option(1, min=1, max=200),
    seed: int = typer.Option(7),
    revision: int = typer.Option(0, min=0, max=2),
    port_base: int = typer.Option(DEFAULT_PORT_BASE),
) -> None:
    """Only serve the demo platforms (until Ctrl-C), for crawling with `trawler crawl` or `scrapy crawl`."""
    from crawler.demo.server import main as serve_main

    console.print("export " + " ".join(f"{name}={value}" for name, value in env_for(urls_for(port_base)).items()))
    serve_main(["--port-base", str(port_base), "--seed", str(seed), "--scale", str(scale), "--revision", str(revision)])


@app.command("truth")
def truth(
    output: Path = typer.Option(Path("demo-truth.json"), "--output", "-o", help="Where to write the ground truth."),
    scale: int = typer.Option(1, min=1, max=200),
    seed: int = typer.Option(7),
    revision: int = typer.Option(0, min=0, max=2),
    port_base: int = typer.Option(DEFAULT_PORT_BASE),
    now: str = typer.Option("", help="ISO time the relative dates were rendered against (the server's --now)."),
) -> None:
    """Export the demo generator's ground truth: every listing a perfect crawl stores, per site."""
    moment = datetime.fromisoformat(now) if now else datetime.now(UTC).replace(microsecond=0)
    found = ground_truth(BuildOptions(seed=seed, scale=scale, revision=revision, now=moment), urls_for(port_base))
    output.write_text(json.dumps(found, default=str, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"wrote {sum(map(len, found.values()))} listings for {len(found)} sites to {output}")
