"""``trawler plugins``: what is loaded, and the hook reference."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from crawler.cli.common import console
from crawler.hookdocs import render_hook_docs
from crawler.plugins import get_plugin_manager

app = typer.Typer(help="List the loaded plugins and document the hooks they can implement.", no_args_is_help=False)


@app.callback(invoke_without_command=True)
def plugins_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    block: list[str] = typer.Option([], "--block", "-p", help="Block a plugin by name (repeatable), as a crawl would."),
) -> None:
    """List every loaded plugin (built-in and third-party), its version, platform types and hooks."""
    if ctx.invoked_subcommand:
        return
    pm = get_plugin_manager(blocked=block)
    infos = pm.plugin_infos()
    if as_json:
        console.print_json(json.dumps([info.__dict__ for info in infos]))
        return
    table = Table(title="Trawler plugins")
    for column in ("name", "origin", "version", "platform types", "hooks"):
        table.add_column(column, overflow="fold")
    for info in infos:
        origin = "built-in" if info.builtin else (info.distribution or "third-party")
        table.add_row(info.name, origin, info.version or "", ", ".join(info.platform_types), "\n".join(info.hooks))
    console.print(table)
    blocked = [name for name, plugin in pm.list_name_plugin() if plugin is None]
    if blocked:
        console.print(f"blocked: {', '.join(blocked)}")
    if pm.opted_out:
        names = ", ".join(sorted(pm.opted_out))
        console.print(f"opt-in, not enabled: {names} (enable with TRAWLER_ENABLE_PLUGINS=NAME)")


@app.command("docs")
def plugins_docs(
    output: Path = typer.Option(Path("docs/hooks.md"), "--output", "-o", help="Where to write the hook reference."),
) -> None:
    """Regenerate the hook reference (docs/hooks.md) from crawler/hookspecs.py."""
    output.write_text(render_hook_docs(), encoding="utf-8")
    console.print(f"wrote {output}")
