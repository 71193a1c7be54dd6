"""``trawler listings`` and ``trawler runs``: a first look at what was collected.

Deliberately small: the analyst query layer (search, pivots, facets) comes
with its own commands. User input only ever reaches MongoDB as values, never
as operators: text is regex-escaped and names are checked against fixed sets.
"""

from __future__ import annotations

import json
import re

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.common import console
from crawler.crawling import project_settings
from crawler.models import Kind
from crawler.storage.connection import database_config, open_database
from crawler.storage.schema import LISTINGS, RUNS


def listings(
    site: str = typer.Option(None, help="Only this site (profile name)."),
    kind: Kind = typer.Option(None, help="Only this kind of listing."),
    contains: str = typer.Option(None, help="Text that the title or body contains (case-insensitive)."),
    contact: str = typer.Option(None, help="Digits of a phone number, or an e-mail/handle, as shown on the page."),
    limit: int = typer.Option(10, min=1, max=1000, help="How many listings to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON Lines instead of a table."),
) -> None:
    """Show collected listings, newest first seen first."""
    db = open_database(database_config(project_settings()))
    query: dict[str, object] = {}
    if site:
        query["site"] = str(site)
    if kind:
        query["kind"] = kind.value
    if contains:
        pattern = re.escape(contains)
        query["$or"] = [{"title": {"$regex": pattern, "$options": "i"}}, {"body": {"$regex": pattern, "$options": "i"}}]
    if contact:
        digits = re.sub(r"\D", "", contact)
        # Digits may be split by spaces, dots or dashes on the page.
        pattern = r"[\s.\-()]*".join(map(re.escape, digits[-9:])) if len(digits) >= 6 else re.escape(contact)
        query["contacts.raw"] = {"$regex": pattern, "$options": "i"}
    docs = list(db[LISTINGS].find(query).sort("crawl.first_seen", -1).limit(limit))
    if as_json:
        for doc in docs:
            print(json.dumps(doc, default=str, ensure_ascii=False))
        return
    table = Table(title=f"{len(docs)} listings")
    for column in ("id", "kind", "title", "author", "posted", "price", "contacts"):
        table.add_column(column, overflow="fold")
    for doc in docs:
        price = doc.get("price") or {}
        table.add_row(
            escape(doc["_id"]),
            doc.get("kind", ""),
            escape((doc.get("title") or doc.get("body") or "")[:70]),
            escape((doc.get("author") or {}).get("name") or ""),
            str(doc.get("posted_at") or "")[:16],
            escape(f"{price.get('amount') or ''} {price.get('currency') or ''}".strip()),
            escape(", ".join((doc.get("contacts") or {}).get("raw") or [])),
        )
    console.print(table)


def runs(
    site: str = typer.Option(None, help="Only this site."),
    limit: int = typer.Option(10, min=1, max=500, help="How many runs to show."),
) -> None:
    """Show the latest crawl runs with their counts."""
    db = open_database(database_config(project_settings()))
    query = {"site": str(site)} if site else {}
    table = Table(title="crawl runs")
    for column in ("run", "status", "started", "pages", "new", "updated", "unchanged", "quarantined", "errors"):
        table.add_column(column)
    for run in db[RUNS].find(query).sort("started_at", -1).limit(limit):
        c = run.get("counts", {})
        table.add_row(
            escape(run["_id"]), run.get("status", ""), str(run.get("started_at", ""))[:19],
            *(str(c.get(k, "")) for k in ("pages", "listings_new", "listings_updated", "listings_unchanged",
                                          "listings_quarantined", "errors")),
        )  # fmt: skip
    console.print(table)
