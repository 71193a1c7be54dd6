"""``trawler alerts``: the latest alerts the checks after each crawl run raised (docs/monitoring.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from crawler.cli.common import console
from crawler.crawling import project_settings
from crawler.storage.connection import database_config, open_database


def alerts_summary(run: dict[str, Any]) -> str:
    """A run's alerts in a few words, for a column of ``trawler runs``: ``"2 (critical)"``, or ``""``."""
    alerts = run.get("alerts") or []
    if not alerts:
        return ""
    worst = "critical" if any(a.get("severity") == "critical" for a in alerts) else "warning"
    return f"{len(alerts)} ({worst})"


def _value(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else ("" if value is None else str(value))


def alerts(
    site: str = typer.Option(None, help="Only this site (profile name)."),
    days: int = typer.Option(7, min=1, max=3650, help="Alerts raised in the last DAYS days."),
    limit: int = typer.Option(20, min=1, max=1000, help="How many alerts to show, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON Lines instead of a table."),
) -> None:
    """Show the latest alerts of the checks run after each crawl: listings or field coverage dropping,
    blocked pages, errors, failed runs. Each says what to do; `trawler runs` shows the runs themselves."""
    from crawler.monitoring.store import latest_alerts

    db = open_database(database_config(project_settings()))
    found = latest_alerts(db, site, datetime.now(UTC) - timedelta(days=days), limit)
    if as_json:
        for doc in found:
            print(json.dumps(doc, default=str, ensure_ascii=False))
        return
    if not found:
        where = f" for {site}" if site else ""
        console.print(f"no alerts{where} in the last {days} days")
        return
    table = Table(title=f"{len(found)} alerts", show_lines=True)
    for column in ("when", "site", "severity", "check", "value", "baseline", "message"):
        table.add_column(column, overflow="fold")
    for doc in found:
        check = doc.get("check", "") + (f"\n{doc['subject']}" if doc.get("subject") else "")
        table.add_row(
            str(doc.get("at", ""))[:16],
            escape(str(doc.get("site", ""))),
            doc.get("severity", ""),
            escape(check),
            _value(doc.get("value")),
            _value(doc.get("baseline")),
            escape(doc.get("message", "")),
        )
    console.print(table)
