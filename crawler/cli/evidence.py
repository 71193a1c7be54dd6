"""``trawler evidence`` and ``trawler reextract``: the stored pages, out as WARC or read again."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from crawler.cli.common import console, fail
from crawler.crawling import project_settings
from crawler.evidence import export_listing, export_site_warc
from crawler.plugins import get_plugin_manager
from crawler.reextract import reextract
from crawler.spiderloader import load_catalog
from crawler.storage.connection import database_config, open_database

app = typer.Typer(help="Export evidence: stored page snapshots as WARC, one listing's case file as a zip.")


def _db():
    return open_database(database_config(project_settings()))


@app.command("warc")
def warc(
    site: str = typer.Option(..., help="The site whose page snapshots to export."),
    output: Path = typer.Option(..., "--output", "-o", help="The .warc.gz file to write."),
) -> None:
    """Write every stored snapshot of a site as a gzipped WARC file (readable by warcio and web archives)."""
    count = export_site_warc(_db(), str(site), output)
    console.print(f"wrote {count} WARC records to {output}")


@app.command("listing")
def listing(
    listing_id: str = typer.Argument(..., help="The listing's id, e.g. demo-market:ad:a10014."),
    output: Path = typer.Option(..., "--output", "-o", help="The .zip file to write."),
) -> None:
    """Write a listing's evidence archive: its state, versions, snapshots as WARC, and a manifest of hashes."""
    try:
        manifest = export_listing(_db(), str(listing_id), output)
    except KeyError as exc:
        fail(str(exc.args[0]), "list listings with: trawler listings")
    console.print(f"wrote {output}: {len(manifest['snapshots'])} snapshots, manifest with sha256 of every file")


def reextract_command(
    site: str = typer.Argument(..., help="Site profile name."),
) -> None:
    """Run today's extractors on the stored snapshots of a site (no fetching); changed listings get versions."""
    settings = project_settings()
    pm = get_plugin_manager()
    profile = load_catalog(pm, settings).profiles.get(site)
    if profile is None:
        fail(f"no valid site profile named {site!r}", "list them with: trawler sites")
    result = reextract(_db(), pm, profile)
    console.print(
        escape(f"{site}: {result.pages} pages read again: {result.new} new, {result.updated} updated, "
               f"{result.unchanged} unchanged, {result.invalid} invalid")
    )  # fmt: skip
