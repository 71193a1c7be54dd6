"""The ``trawler`` command line: one module per command group."""

from __future__ import annotations

import typer

from crawler.cli import (
    alerts,
    crawl,
    db,
    demo,
    evidence,
    fixtures,
    listings,
    plugins,
    query,
    runs,
    scaffold,
    scheduler,
    schema,
    sites,
    watch,
)
from crawler.cli import serve as web_serve
from crawler.cli import users as accounts
from crawler.cli import worker as scaleout

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
app.command("search")(query.search_command)
app.command("show")(query.show_command)
app.command("entity")(query.entity_command)
app.command("pivot")(query.pivot_command)
app.command("export")(query.export_command)
app.command("index")(query.index_command)
app.command("reindex")(query.reindex_command)
app.command("listings", hidden=True)(listings.listings)  # the first name of `search`, kept as an alias
app.add_typer(runs.app, name="runs")
app.command("alerts")(alerts.alerts)
app.add_typer(scheduler.app, name="scheduler")
app.command("schema")(schema.schema)
app.command("new-plugin")(scaffold.new_plugin)
app.command("seed")(scaleout.seed)
app.command("worker")(scaleout.worker)
app.add_typer(accounts.app, name="users")
app.command("serve")(web_serve.serve)
app.add_typer(watch.app, name="watch")


def main() -> None:
    app()
