"""``trawler db``: the embedded database server, and spooled writes."""

from __future__ import annotations

import typer

from crawler.cli.common import console, fail
from crawler.crawling import project_settings
from crawler.storage import embedded
from crawler.storage.connection import database_config, open_database
from crawler.storage.embedded import EmbeddedServerError

app = typer.Typer(help="Start, stop and inspect the embedded database; write spooled items.", no_args_is_help=True)


def _var_dir() -> str:
    return str(project_settings().get("TRAWLER_VAR_DIR"))


@app.command("start")
def db_start() -> None:
    """Start the embedded SecantusDB server (or report the one already running)."""
    try:
        state = embedded.ensure_running(_var_dir())
    except EmbeddedServerError as exc:
        fail(str(exc))
    console.print(f"embedded database running: {state.uri} (pid {state.pid}, data in {state.storage_path})")


@app.command("stop")
def db_stop() -> None:
    """Stop the embedded database server."""
    state = embedded.stop(_var_dir())
    console.print(f"stopped the embedded database (pid {state.pid})" if state else "no embedded database was running")


@app.command("status")
def db_status() -> None:
    """Say which database Trawler uses and whether it answers."""
    settings = project_settings()
    config = database_config(settings, start_embedded=False)
    if not config.embedded:
        reachable = embedded.ping(config.uri, timeout_ms=3000)
        console.print(f"MONGO_URI: {config.safe_uri} ({'reachable' if reachable else 'NOT reachable'})")
        raise typer.Exit(0 if reachable else 1)
    state = embedded.status(config.var_dir)
    if state is None:
        console.print("embedded database: not running (it starts on the next crawl, or with `trawler db start`)")
        raise typer.Exit(1)
    console.print(f"embedded database: {state.uri} (pid {state.pid}, data in {state.storage_path})")


@app.command("replay")
def db_replay() -> None:
    """Write the items spooled to disk while the database was unreachable."""
    from pathlib import Path

    from crawler.storage.spool import Spool
    from crawler.storage.writer import ListingWriter

    config = database_config(project_settings())
    spool = Spool(Path(config.var_dir) / "spool" / config.name)
    listings, quarantined = spool.replay(ListingWriter(open_database(config)))
    console.print(f"wrote {listings} spooled listings and {quarantined} quarantined items")
