"""``trawler search | show | entity | pivot | export | index | reindex``: the analyst's commands over the query layer.

Each command builds typed parameters (crawler/query/models.py), asks the query
layer, and renders its answer: a table for people, ``--json``/``--jsonl``/
``--csv`` for pipes. Scraped text is hostile: it is escaped before rich sees
it, and only ever reaches the database as a value.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from crawler.cli.common import console, err_console, fail
from crawler.crawling import project_settings
from crawler.query import (
    BadCursor,
    NotFound,
    SearchPage,
    SearchParams,
    entity_view,
    iter_search,
    pivot,
    reindex,
    search,
    show_listing,
)
from crawler.query.models import Sort, Status
from crawler.query.summary import CSV_COLUMNS, csv_row
from crawler.storage.connection import database_config, open_database


class Output(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


def _db() -> Any:
    return open_database(database_config(project_settings()))


def _output(as_json: bool, as_jsonl: bool, as_csv: bool) -> Output:
    chosen = [o for o, on in ((Output.JSON, as_json), (Output.JSONL, as_jsonl), (Output.CSV, as_csv)) if on]
    if len(chosen) > 1:
        fail("choose one of --json, --jsonl, --csv")
    return chosen[0] if chosen else Output.TABLE


def _params(**values: Any) -> SearchParams:
    try:
        return SearchParams(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"bad search parameters: {problems}")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# -- options shared by search and export ---------------------------------------

TextArg = typer.Argument("", help='Words (all must occur, any accents or case) and "quoted phrases".')
Contact = typer.Option(None, "--contact", help="A phone number in any written form, an e-mail or a handle.")
SiteOpt = typer.Option(None, "--site", help="Only this site (repeat for several).")
TypeOpt = typer.Option(None, "--platform-type", help="forum, marketplace, review... (repeatable)")
KindOpt = typer.Option(None, "--kind", help="thread, post, ad, business, review, profile (repeatable)")
CountryOpt = typer.Option(None, "--country", help="ISO country code of the location (repeatable)")
CityOpt = typer.Option(None, "--city", help="Normalised city name.")
LangOpt = typer.Option(None, "--language", help="Language code, e.g. en, ro (repeatable)")
IndOpt = typer.Option(None, "--indicator", help="An indicator id, e.g. passport_retained (repeatable)")
IndCatOpt = typer.Option(None, "--indicator-category", help="An indicator category, e.g. debt (repeatable)")
CatOpt = typer.Option(None, "--category", help="The listing's own category, e.g. Jobs (repeatable)")
MinRisk = typer.Option(None, "--min-risk", min=0, help="Lowest risk score.")
MaxRisk = typer.Option(None, "--max-risk", min=0, help="Highest risk score.")
Since = typer.Option(None, "--since", help="Posted at or after (ISO date or date-time, UTC if no zone).")
Until = typer.Option(None, "--until", help="Posted at or before (a bare date: to the end of that day).")
SeenSince = typer.Option(None, "--seen-since", help="Last seen at or after.")
SeenUntil = typer.Option(None, "--seen-until", help="First seen at or before (a bare date: to the end of that day).")
HasContacts = typer.Option(None, "--has-contacts/--no-contacts", help="With (or without) phones, e-mails, handles.")
Removed = typer.Option(False, "--removed", help="Only listings taken down since (a complete crawl missed them).")
Live = typer.Option(False, "--live", help="Only listings still online at the last complete crawl.")
SortOpt = typer.Option(Sort.DATE, "--sort", help="date (newest first) or risk (highest first).")


def _status(removed: bool, live: bool) -> Status:
    if removed and live:
        fail("--removed and --live exclude each other")
    return Status.REMOVED if removed else Status.LIVE if live else Status.ANY


def _date(value: str | None, name: str) -> date | datetime | None:
    """A date-time, or a bare date (the search reads it as its whole day, as the page and the API do)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if len(value.strip()) == 10 else datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name}: not an ISO date or date-time: {value!r}", "e.g. 2026-05-01 or 2026-05-01T12:00+02:00")


def _filters(
    text: str, contact: str | None, site: list[str] | None, platform_type: list[str] | None,
    kind: list[str] | None, country: list[str] | None, city: str | None, language: list[str] | None,
    indicator: list[str] | None, indicator_category: list[str] | None, category: list[str] | None,
    min_risk: float | None, max_risk: float | None, since: str | None, until: str | None,
    seen_since: str | None, seen_until: str | None, has_contacts: bool | None, removed: bool, live: bool,
    sort: Sort,
) -> dict[str, Any]:  # fmt: skip
    return {
        "text": text,
        "contact": contact,
        "site": site,
        "platform_type": platform_type,
        "kind": kind,
        "country": country,
        "city": city,
        "language": language,
        "indicator": indicator,
        "indicator_category": indicator_category,
        "category": category,
        "min_risk": min_risk,
        "max_risk": max_risk,
        "posted_since": _date(since, "--since"),
        "posted_until": _date(until, "--until"),
        "seen_since": _date(seen_since, "--seen-since"),
        "seen_until": _date(seen_until, "--seen-until"),
        "has_contacts": has_contacts,
        "status": _status(removed, live),
        "sort": sort,
    }


# -- search ----------------------------------------------------------------------


def search_command(
    text: str = TextArg,
    contact: str = Contact,
    site: list[str] = SiteOpt,
    platform_type: list[str] = TypeOpt,
    kind: list[str] = KindOpt,
    country: list[str] = CountryOpt,
    city: str = CityOpt,
    language: list[str] = LangOpt,
    indicator: list[str] = IndOpt,
    indicator_category: list[str] = IndCatOpt,
    category: list[str] = CatOpt,
    min_risk: float = MinRisk,
    max_risk: float = MaxRisk,
    since: str = Since,
    until: str = Until,
    seen_since: str = SeenSince,
    seen_until: str = SeenUntil,
    has_contacts: bool = HasContacts,
    removed: bool = Removed,
    live: bool = Live,
    sort: Sort = SortOpt,
    limit: int = typer.Option(20, min=1, max=500, help="Listings per page."),
    cursor: str = typer.Option(None, "--cursor", help="Next page: the cursor the previous page printed."),
    facets: bool = typer.Option(True, "--facets/--no-facets", help="Count listings per filter value."),
    as_json: bool = typer.Option(False, "--json", help="The whole page (items, facets, cursor) as one JSON object."),
    as_jsonl: bool = typer.Option(False, "--jsonl", help="One JSON object per listing."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV rows with a header."),
) -> None:
    """Search collected listings by words, phrases, a contact value and filters; one page at a time."""
    output = _output(as_json, as_jsonl, as_csv)
    filters = _filters(
        text, contact, site, platform_type, kind, country, city, language, indicator, indicator_category,
        category, min_risk, max_risk, since, until, seen_since, seen_until, has_contacts, removed, live, sort,
    )  # fmt: skip
    params = _params(**filters, limit=limit, cursor=cursor, facets=facets and output in (Output.TABLE, Output.JSON))
    try:
        page = search(_db(), params)
    except BadCursor as exc:
        fail(str(exc), "run the search again without --cursor")
    if output is Output.JSON:
        print(page.model_dump_json(indent=2))
    elif output is Output.JSONL:
        for row in page.items:
            print(row.model_dump_json())
    elif output is Output.CSV:
        _write_csv(sys.stdout, (csv_row(r) for r in page.items))
    else:
        _print_page(page)


def _print_page(page: SearchPage) -> None:
    shown = f"{len(page.items)} of {page.total}" if page.total is not None else f"{len(page.items)}"
    table = Table(title=f"{shown} listings", title_justify="left")
    for column in ("id", "posted", "risk", "title / text", "author", "contacts"):
        table.add_column(column, overflow="fold")
    for row in page.items:
        text = row.title or row.snippet
        contacts = row.contacts.phones + row.contacts.emails + row.contacts.handles
        table.add_row(
            escape(row.id) + (" [red](removed)[/]" if row.removed_at else ""),
            str(row.posted_at or row.first_seen or "")[:16],
            f"{row.risk:g}" if row.risk else "",
            escape(text[:90]),
            escape(row.author or ""),
            escape(", ".join(contacts)),
        )
    console.print(table)
    if page.facets and any(page.facets.values.values()):
        note = "" if page.facets.exact else f" (over the first {page.facets.counted} matches)"
        console.print(f"[bold]facets[/]{note}")
        for dimension, values in page.facets.values.items():
            if values:
                top = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
                console.print(f"  {dimension}: " + ", ".join(f"{escape(k)} {v}" for k, v in top))
    for warning in page.warnings:
        err_console.print(f"[yellow]note:[/] {escape(warning)}")
    if page.next_cursor:
        console.print(f"next page: --cursor {page.next_cursor}", soft_wrap=True)


# -- show, entity, pivot -----------------------------------------------------------


def show_command(
    listing_id: str = typer.Argument(..., help="The listing's id, e.g. demo-market:ad:a10014"),
    as_json: bool = typer.Option(False, "--json", help="The listing view as JSON."),
) -> None:
    """A listing: every field, its contacts as entities, its versions with their diffs, its snapshot's sha256."""
    try:
        view = show_listing(_db(), listing_id)
    except NotFound as exc:
        fail(str(exc), "find ids with `trawler search`")
    if as_json:
        print(view.model_dump_json(indent=2))
        return
    row = view.summary
    table = Table(title=escape(row.id), show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    doc = view.listing
    fields = {
        "site": f"{row.site} ({row.platform_type}, {row.kind})",
        "url": row.url,
        "title": row.title or "",
        "author": row.author or "",
        "posted": str(row.posted_at or ""),
        "location": ", ".join(x for x in ((doc.get("location") or {}).get("raw"), row.city, row.country) if x),
        "price": row.price or "",
        "language": row.language or "",
        "risk": f"{row.risk:g} " + "; ".join((doc.get("risk") or {}).get("reasons") or []),
        "seen": f"{row.first_seen} → {row.last_seen}" + (f" (removed {row.removed_at})" if row.removed_at else ""),
        "version": str(view.version),
        "snapshot sha256": view.snapshot_sha256 or "(none)",
        "body": doc.get("body") or "",
    }
    for name, value in fields.items():
        table.add_row(name, escape(value))
    console.print(table)
    if view.entities:
        entities = Table(title="contacts and other entities (trawler entity ID)", title_justify="left")
        for column in ("entity", "listings", "sites"):
            entities.add_column(column, overflow="fold")
        for entity in view.entities:
            entities.add_row(escape(entity.id), str(entity.listing_count), str(entity.site_count))
        console.print(entities)
    for version in view.versions:
        console.print(
            f"[bold]version {version.version}[/] replaced {version.replaced_at} (run {escape(version.run_id or '')})"
        )
        for name, change in version.diff.items():
            old, new = _short(change.get("old")), _short(change.get("new"))
            console.print(f"  {escape(name)}: {escape(old)} → {escape(new)}")


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else _dumps(value)
    return text if len(text) <= 120 else text[:117] + "..."


def entity_command(
    value: str = typer.Argument(..., help="An entity id (phone:+40721234567) or a value in any written form."),
    as_json: bool = typer.Option(False, "--json", help="The entity view as JSON."),
    as_jsonl: bool = typer.Option(False, "--jsonl", help="Its listings, one JSON object each."),
    as_csv: bool = typer.Option(False, "--csv", help="Its listings as CSV."),
) -> None:
    """An entity (a phone in any written form, an e-mail, a handle...) and its listings across sites, by date."""
    output = _output(as_json, as_jsonl, as_csv)
    try:
        view = entity_view(_db(), value)
    except NotFound as exc:
        fail(str(exc), "a phone works in any form (+44 7700 900123, 07700-900-123); e-mails and handles as written")
    if output is Output.JSON:
        print(view.model_dump_json(indent=2))
    elif output is Output.JSONL:
        for row in view.listings:
            print(row.model_dump_json())
    elif output is Output.CSV:
        _write_csv(sys.stdout, (csv_row(r) for r in view.listings))
    else:
        entity = view.entity
        console.print(
            f"[bold]{escape(entity.id)}[/]: {entity.listing_count} listings on {entity.site_count} sites "
            f"({escape(', '.join(view.sites))}), first seen {view.first_seen}, last seen {view.last_seen}"
        )
        table = Table(title="timeline (posted, or first seen)", title_justify="left")
        for column in ("when", "site", "id", "title / text", "author"):
            table.add_column(column, overflow="fold")
        for row in view.listings:
            table.add_row(
                str(row.posted_at or row.first_seen or "")[:16],
                escape(row.site),
                escape(row.id),
                escape((row.title or row.snippet)[:80]),
                escape(row.author or ""),
            )
        console.print(table)


def pivot_command(
    listing_id: str = typer.Argument(..., help="The listing to start from."),
    hops: int = typer.Option(1, "--hops", min=1, max=2, help="1: listings sharing its entities; 2: and theirs."),
    as_json: bool = typer.Option(False, "--json", help="The pivot as JSON."),
) -> None:
    """Every listing linked to a listing through shared phones, e-mails, handles, photos or text clusters."""
    try:
        result = pivot(_db(), listing_id, hops)
    except NotFound as exc:
        fail(str(exc))
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    console.print(f"{result.total} listings within {hops} hop(s) of {escape(result.start)}")
    table = Table()
    for column in ("site", "hops", "id", "title / text", "via"):
        table.add_column(column, overflow="fold")
    for site, hits in result.by_site.items():
        for hit in hits:
            text = hit.listing.title or hit.listing.snippet
            table.add_row(
                escape(site), str(hit.hops), escape(hit.listing.id), escape(text[:70]), escape(" ".join(hit.via))
            )
    console.print(table)


# -- export ------------------------------------------------------------------------


def _write_csv(stream: Any, rows: Any) -> int:
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def export_command(
    text: str = TextArg,
    contact: str = Contact,
    site: list[str] = SiteOpt,
    platform_type: list[str] = TypeOpt,
    kind: list[str] = KindOpt,
    country: list[str] = CountryOpt,
    city: str = CityOpt,
    language: list[str] = LangOpt,
    indicator: list[str] = IndOpt,
    indicator_category: list[str] = IndCatOpt,
    category: list[str] = CatOpt,
    min_risk: float = MinRisk,
    max_risk: float = MaxRisk,
    since: str = Since,
    until: str = Until,
    seen_since: str = SeenSince,
    seen_until: str = SeenUntil,
    has_contacts: bool = HasContacts,
    removed: bool = Removed,
    live: bool = Live,
    sort: Sort = SortOpt,
    as_json: bool = typer.Option(False, "--json", help="One JSON array of listings."),
    as_jsonl: bool = typer.Option(False, "--jsonl", help="One full listing document per line (the default)."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV rows (the search-result columns) with a header."),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file instead of standard output."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Count exported listings on stderr."),
) -> None:
    """Export every listing matching a search (same filters as `search`), streamed page by page."""
    output = _output(as_json, as_jsonl, as_csv)
    output = Output.JSONL if output is Output.TABLE else output
    filters = _filters(
        text, contact, site, platform_type, kind, country, city, language, indicator, indicator_category,
        category, min_risk, max_risk, since, until, seen_since, seen_until, has_contacts, removed, live, sort,
    )  # fmt: skip
    params = _params(**filters, facets=False)
    stream = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    count = 0

    def docs() -> Any:
        nonlocal count
        for doc in iter_search(_db(), params):
            count += 1
            if progress and count % 1000 == 0:
                err_console.print(f"exported {count} listings...")
            yield doc

    try:
        if output is Output.CSV:
            from crawler.query.summary import summarise

            _write_csv(stream, (csv_row(summarise(d)) for d in docs()))
        elif output is Output.JSON:
            stream.write("[")
            for i, doc in enumerate(docs()):
                stream.write(("," if i else "") + "\n" + _dumps(doc))
            stream.write("\n]\n")
        else:
            for doc in docs():
                stream.write(_dumps(doc) + "\n")
    finally:
        if out:
            stream.close()
    if progress:
        err_console.print(f"exported {count} listings" + (f" to {escape(str(out))}" if out else ""))


def index_command() -> None:
    """Make listings written since the last pass findable by word search (crawls do this when they end).

    A crawl writes each listing's search terms after it finishes (and every SEARCH_TERMS_INTERVAL seconds during a
    long one); `trawler serve` catches up every minute. Run this after `scrapy crawl` or distributed workers if
    no analyst server is running. Cheap: only what was written since the last pass is read.
    """
    from crawler.query.terms import catch_up

    written = catch_up(_db(), progress=lambda n: err_console.print(f"{n} listings...") if n % 5000 == 0 else None)
    console.print(f"search terms written for {written} listings")


def reindex_command() -> None:
    """Rewrite every listing's search tokens and sort keys and recount the facets (after an upgrade)."""
    db = _db()
    total = reindex(db, progress=lambda n: err_console.print(f"{n} listings...") if n % 5000 == 0 else None)
    console.print(f"reindexed {total} listings")
