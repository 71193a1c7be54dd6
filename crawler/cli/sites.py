"""``trawler sites``: the site profiles Trawler knows, and whether they are valid."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.common import console, err_console
from crawler.crawling import project_settings
from crawler.plugins import shared_plugin_manager
from crawler.spiderloader import load_catalog

app = typer.Typer(help="List and check site profiles (each one is a Scrapy spider).")


def catalog():
    settings = project_settings()
    return load_catalog(shared_plugin_manager(settings), settings)


@app.callback(invoke_without_command=True)
def sites_list(ctx: typer.Context) -> None:
    """List every site profile: name, platform type, start URLs, file; invalid ones with their error."""
    if ctx.invoked_subcommand:
        return
    found = catalog()
    table = Table(title="Site profiles")
    for column in ("name", "platform type", "render", "start urls", "file"):
        table.add_column(column)
    for name, profile in sorted(found.profiles.items()):
        table.add_row(name, profile.platform_type, profile.render, "\n".join(profile.start_urls), profile.source or "")
    console.print(table)
    for error in found.errors:
        err_console.print(f"[red]invalid:[/] {escape(str(error))}")


@app.command("check")
def sites_check() -> None:
    """Validate every profile; exit 1 and name the file and field of each broken one."""
    found = catalog()
    for error in found.errors:
        err_console.print(f"[red]invalid:[/] {escape(str(error))}")
    console.print(f"{len(found.profiles)} valid, {len(found.errors)} invalid")
    if found.errors:
        raise typer.Exit(1)
