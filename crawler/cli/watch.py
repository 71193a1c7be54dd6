"""``trawler watch``: watchlists (a saved search or an entity) at the command line (docs/web.md, "Watchlists")."""

from __future__ import annotations

import getpass
import json
from typing import Any

import typer
from pydantic import ValidationError
from pymongo.database import Database
from rich.markup import escape
from rich.table import Table

from crawler.accounts import audit
from crawler.accounts.roles import Role
from crawler.accounts.users import get_user
from crawler.cli.common import console, err_console, fail
from crawler.cli.query import (
    CatOpt,
    CityOpt,
    Contact,
    CountryOpt,
    HasContacts,
    IndCatOpt,
    IndOpt,
    KindOpt,
    LangOpt,
    Live,
    MaxRisk,
    MinRisk,
    Removed,
    SiteOpt,
    TypeOpt,
    _filters,
    _params,
)
from crawler.crawling import project_settings
from crawler.query.models import Sort
from crawler.storage.connection import database_config, open_database
from crawler.watchlists import (
    ChannelName,
    Kind,
    UnknownEntity,
    WatchlistExists,
    WatchlistSpec,
    check_watchlists,
    create,
    store,
    summaries,
)
from crawler.watchlists.service import summary

app = typer.Typer(
    help="Watchlists: a saved search or an entity; listings new or changed since it was saved collect as hits "
    "(checked after each crawl run, or with `trawler watch check`).",
    no_args_is_help=True,
)


def _database() -> tuple[Database, Any]:
    settings = project_settings()
    db = open_database(database_config(settings))
    store.ensure_indexes(db)
    return db, settings


def _audit(db: Database, action: str, params: dict[str, Any]) -> None:
    audit.record(db, "cli", action, {**params, "os_user": getpass.getuser()}, via="cli")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@app.command("list")
def list_command(
    owner: str = typer.Option(None, "--owner", help="Only this user's watchlists."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per watchlist."),
) -> None:
    """List watchlists with their unseen and total hits, newest first."""
    db, _ = _database()
    found = summaries(db, owner) if owner else [summary(db, w) for w in store.list_all(db)]
    if as_json:
        for s in found:
            print(_dumps({**s.watchlist.model_dump(mode="json"), "unseen": s.unseen, "hits": s.hits}))
        return
    if not found:
        console.print("no watchlists" + (f" of {escape(owner)}" if owner else ""))
        return
    table = Table(title=f"{len(found)} watchlists", title_justify="left")
    for column in ("id", "owner", "name", "watches", "notify", "unseen", "hits", "checked (UTC)"):
        table.add_column(column, overflow="fold")
    for s in found:
        w = s.watchlist
        checked = f"{w.last_check:%Y-%m-%d %H:%M}" if w.last_check else "never"
        if w.last_error:
            checked += f"\n[red]{escape(w.last_error)}[/]"
        table.add_row(
            w.id,
            escape(w.owner),
            escape(w.name),
            escape(w.describe()),
            ", ".join(c.value for c in w.notify) or "none",
            str(s.unseen),
            str(s.hits),
            checked,
        )
    console.print(table)


@app.command("add")
def add_command(
    name: str = typer.Argument(..., help="The watchlist's name (unique per owner)."),
    owner: str = typer.Option(..., "--owner", help="The analyst (or admin) account that owns it."),
    text: str = typer.Option("", "--text", help='Words (all must occur) and "quoted phrases" to watch for.'),
    entity: str = typer.Option(
        None, "--entity", help="Watch an entity instead of a search: its id or a phone, e-mail, handle in any form."
    ),
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
    has_contacts: bool = HasContacts,
    removed: bool = Removed,
    live: bool = Live,
    notify: list[ChannelName] = typer.Option(
        None, "--notify", help="Send a notice of new hits by webhook or email (repeat for both; default: none)."
    ),
) -> None:
    """Save a search (words, contact, filters, as for `trawler search`) or an entity as a watchlist.

    Only listings first seen or changed from now on become hits. Notices go where the installation's alert
    channels point (TRAWLER_ALERT_WEBHOOK_URL, TRAWLER_ALERT_EMAIL_TO; docs/monitoring.md).
    """
    db, _ = _database()
    user = get_user(db, owner.strip().lower())
    if user is None:
        fail(f"no account {owner!r}", "create it with: trawler users add NAME --role analyst")
    if not user.role.allows(Role.ANALYST):
        fail(f"{user.username} is a {user.role.value}: watchlists need the analyst role")
    values: dict[str, Any] = {"name": name, "notify": notify or []}
    if entity is not None:
        values.update(kind=Kind.ENTITY, entity=entity)
    else:
        filters = _filters(
            text, contact, site, platform_type, kind, country, city, language, indicator, indicator_category,
            category, min_risk, max_risk, None, None, None, None, has_contacts, removed, live, Sort.DATE,
        )  # fmt: skip
        values.update(kind=Kind.SEARCH, search=_params(**filters))
    try:
        spec = WatchlistSpec.model_validate(values)
        watchlist = create(db, user.username, spec)
    except ValidationError as exc:
        fail("; ".join(e["msg"] for e in exc.errors()))
    except (UnknownEntity, WatchlistExists) as exc:
        fail(str(exc))
    _audit(db, "watchlist.create", {"id": watchlist.id, "owner": watchlist.owner, "name": watchlist.name})
    what = escape(watchlist.describe())
    err_console.print(f"[green]watchlist {watchlist.id}[/] of {escape(watchlist.owner)}: {what}")
    print(watchlist.id)


@app.command("check")
def check_command(
    watchlist_id: str = typer.Option(None, "--id", help="Check only this watchlist."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per watchlist checked."),
) -> None:
    """Check watchlists now: record new hits, advance checkpoints, send notices (as after each crawl run)."""
    db, settings = _database()
    results = check_watchlists(db, settings, only=(lambda w: w.id == watchlist_id) if watchlist_id else None)
    if watchlist_id and not results:
        fail(f"no watchlist {watchlist_id}")
    for result in results:
        if as_json:
            print(_dumps(result.as_dict()))
            continue
        w = result.watchlist
        line = f"{w.id} {escape(w.owner)}/{escape(w.name)}: {len(result.new_hits)} new hit(s)"
        if result.error:
            line += f" [red]error: {escape(result.error)}[/]"
        for delivery in result.deliveries:
            state = "sent" if delivery["ok"] else f"[red]failed: {escape(str(delivery['error']))}[/]"
            line += f"; {delivery['channel']} {state}"
        console.print(line)
    if any(r.error for r in results):
        raise typer.Exit(1)


@app.command("hits")
def hits_command(
    watchlist_id: str = typer.Argument(..., help="The watchlist's id (trawler watch list)."),
    limit: int = typer.Option(50, min=1, max=500, help="How many hits, newest first."),
    unseen: bool = typer.Option(False, "--unseen", help="Only hits not marked seen."),
    mark_seen: bool = typer.Option(False, "--mark-seen", help="Then mark every hit of the watchlist seen."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per hit."),
) -> None:
    """Show a watchlist's hits, newest first."""
    db, _ = _database()
    watchlist = store.get(db, watchlist_id)
    if watchlist is None:
        fail(f"no watchlist {watchlist_id}")
    hits, _ = store.hits_page(db, watchlist.id, limit, unseen_only=unseen)
    if as_json:
        for hit in hits:
            print(hit.model_dump_json())
    else:
        table = Table(title=f"{watchlist.name}: {len(hits)} hits", title_justify="left")
        for column in ("found (UTC)", "change", "listing", "title", "seen"):
            table.add_column(column, overflow="fold")
        for hit in hits:
            table.add_row(
                f"{hit.found_at:%Y-%m-%d %H:%M}",
                hit.change.value,
                escape(f"{hit.listing_id} (v{hit.version})"),
                escape(hit.title or ""),
                "yes" if hit.seen else "",
            )
        console.print(table)
    if mark_seen:
        err_console.print(f"marked {store.mark_seen(db, watchlist.id)} hit(s) seen")


@app.command("remove")
def remove_command(watchlist_id: str = typer.Argument(..., help="The watchlist's id (trawler watch list).")) -> None:
    """Delete a watchlist and its hits."""
    db, _ = _database()
    watchlist = store.get(db, watchlist_id)  # None for one that no longer validates: deleted all the same
    if not store.delete(db, watchlist_id):
        fail(f"no watchlist {watchlist_id}")
    owner, name = (watchlist.owner, watchlist.name) if watchlist else (None, None)
    _audit(db, "watchlist.delete", {"id": watchlist_id, "owner": owner, "name": name})
    console.print(
        f"deleted watchlist {escape(watchlist_id)}" + (f" ({escape(name)}) of {escape(owner)}" if name else "")
    )
