"""The ``trawler`` command line: one module per command group."""

from __future__ import annotations

import typer

from crawler.cli import crawl, db, demo, evidence, fixtures, listings, plugins, scaffold, schema, sites

app = typer.Typer(
    name="trawler",
    help="Trawler: crawl forums, marketplaces and review sites into MongoDB for OSINT investigations.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.command("crawl")(crawl.crawl)
app.add_typer(db.app, name="db")
app.add_typer(demo.app, name="demo")
app.add_typer(fixtures.app, name="fixtures")
app.add_typer(evidence.app, name="evidence")
app.command("reextract")(evidence.reextract_command)
app.add_typer(plugins.app, name="plugins")
app.add_typer(sites.app, name="sites")
app.command("listings")(listings.listings)
app.command("runs")(listings.runs)
app.command("schema")(schema.schema)
app.command("new-plugin")(scaffold.new_plugin)


def main() -> None:
    app()
