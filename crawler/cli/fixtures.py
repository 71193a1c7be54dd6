"""``trawler fixtures``: record a live page as an extraction fixture, check them all, score the extractors."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from crawler import fixtures as fx
from crawler.cli.common import console, err_console, fail
from crawler.crawling import project_settings
from crawler.plugins import get_plugin_manager
from crawler.scoring import markdown_table, score
from crawler.spiderloader import load_catalog

app = typer.Typer(help="Record, check, update and score extraction fixtures (saved pages + expected listings).")


def _fetch_http(url: str, user_agent: str) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), dict(response.headers.items())


def _fetch_browser(url: str, wait_for: str | None) -> tuple[bytes, dict[str, str]]:
    from playwright.sync_api import sync_playwright

    from crawler.browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        response = page.goto(url, wait_until="domcontentloaded")
        if wait_for:
            page.wait_for_selector(wait_for, state="attached")
        body = page.content().encode("utf-8")
        headers = response.all_headers() if response else {}
        browser.close()
    headers.pop("content-encoding", None)
    return body, headers


@app.command("record")
def record(
    url: str = typer.Argument(..., help="The page to save."),
    into: Path = typer.Option(..., "--into", help="The new fixture folder, e.g. plugins/forum/fixtures/my-board."),
    page_type: str = typer.Option(..., "--page-type", help="What the spider takes the page for (thread, ad...)."),
    site: str = typer.Option(None, "--site", help="Take platform type, engine, timezone... from this site profile."),
    platform_type: str = typer.Option(None, "--platform-type", help="Without --site: forum, marketplace, review..."),
    render: str = typer.Option("http", help="http, or browser to save the page as Chromium renders it."),
    wait_for: str = typer.Option(None, help="With --render browser: CSS selector to wait for."),
) -> None:
    """Save a live page (body, headers, URL, render mode) and the current extraction as its expected output.

    Read expected.json afterwards and correct it by hand where the extractor is wrong: it is the truth the
    extractor is tested and scored against.
    """
    profile: dict[str, Any] = {}
    if site:
        settings = project_settings()
        found = load_catalog(get_plugin_manager(), settings).profiles.get(site)
        if found is None:
            fail(f"no valid site profile named {site!r}", "list them with: trawler sites")
        platform_type = found.platform_type
        profile = found.model_dump(include={"name", "engine", "selectors", "timezone", "country"}, exclude_none=True)
        wait_for = wait_for or found.browser.wait_for
    if not platform_type:
        fail("give --site or --platform-type")
    if (into / fx.META).exists():
        fail(f"{into} already holds a fixture", "choose another --into, or delete it first")
    try:
        if render == "browser":
            body, headers = _fetch_browser(url, wait_for)
        else:
            body, headers = _fetch_http(url, str(project_settings().get("USER_AGENT")))
    except Exception as exc:
        fail(f"cannot fetch {url}: {exc}")
    fixture = fx.save(
        into, url=url, body=body, page_type=page_type, platform_type=platform_type, headers=headers,
        profile=profile, render=render,
    )  # fmt: skip
    count = fx.write_expected(get_plugin_manager(), fixture)
    console.print(f"saved {fixture.path} ({len(body)} bytes) with {count} expected listings: check expected.json")


@app.command("check")
def check_all(
    name: list[str] = typer.Argument(None, help="Only fixtures whose name contains one of these."),
) -> None:
    """Run every plugin's fixtures; print a field-by-field diff for each one whose output changed."""
    pm = get_plugin_manager()
    chosen = [f for f in fx.discover(pm) if not name or any(n in f.name for n in name)]
    failed = 0
    for fixture in chosen:
        problems = fx.check(pm, fixture)
        if problems:
            failed += 1
            err_console.print(f"[red]FAIL[/] {escape(fixture.name)} ({fixture.path})")
            for problem in problems:
                err_console.print(f"  {escape(problem)}")
        else:
            console.print(f"[green]ok[/]   {escape(fixture.name)}")
    console.print(f"{len(chosen) - failed} ok, {failed} changed")
    if failed:
        raise typer.Exit(1)


@app.command("update")
def update(name: list[str] = typer.Argument(..., help="Fixtures (name or part of it) to re-record.")) -> None:
    """Record the current extraction as the expected output, after a deliberate extractor change."""
    pm = get_plugin_manager()
    chosen = [f for f in fx.discover(pm) if any(n in f.name for n in name)]
    if not chosen:
        fail("no fixture matches", "list them with: trawler fixtures check")
    for fixture in chosen:
        console.print(f"{fixture.name}: {fx.write_expected(pm, fixture)} listings")


@app.command("score")
def score_command(
    engine: str = typer.Option(None, help="Force one layer: generic or structured (default: the full chain)."),
    platform_type: str = typer.Option(None, "--platform-type", help="Only fixtures of this platform type."),
) -> None:
    """Field-level precision and recall of the extractors against every fixture's hand-checked output."""
    pm = get_plugin_manager()
    chosen = [f for f in fx.discover(pm) if not platform_type or f.platform_type == platform_type]
    result = score(pm, chosen, engine)
    table = Table(title=f"extraction accuracy ({engine or 'full chain'})")
    for column in ("platform type", "fixtures", "field", "precision", "recall", "expected values"):
        table.add_column(column)
    for line in markdown_table(result).splitlines()[2:]:
        table.add_row(*[cell.strip() for cell in line.strip("|").split("|")])
    console.print(table)
