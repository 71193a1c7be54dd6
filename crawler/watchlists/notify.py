"""One notice per watchlist with new hits, through the alert channels of crawler/monitoring/channels.py.

A watchlist names the channels it wants (``webhook``, ``email``); where they send is the installation's
alert configuration (``TRAWLER_ALERT_WEBHOOK_URL``, ``TRAWLER_ALERT_EMAIL_TO``...), set by whoever runs
Trawler. Analysts cannot point the server at an address of their choosing. A channel a watchlist wants
but the installation has not configured is a failed delivery, recorded like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crawler.monitoring.channels import Channel, Delivery, Notice, channels_from_settings, deliver
from crawler.watchlists.models import Watchlist

MAX_LISTED = 50  # hits named in one notice; the watchlist page has them all
NOT_CONFIGURED = {
    "webhook": "no webhook is configured (TRAWLER_ALERT_WEBHOOK_URL)",
    "email": "no e-mail recipients are configured (TRAWLER_ALERT_EMAIL_TO)",
}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def watchlist_notice(watchlist: Watchlist, hits: Sequence[dict[str, Any]]) -> Notice:
    """The message about a watchlist's new hits: e-mail subject and text, and the webhook's JSON payload."""
    count = len(hits)
    shown = hits[:MAX_LISTED]
    subject = f"[trawler] watchlist {watchlist.name}: {count} new listing{'s' if count != 1 else ''}"
    lines = [f'The watchlist "{watchlist.name}" of {watchlist.owner} ({watchlist.describe()}) found:', ""]
    for hit in shown:
        lines.append(f"[{hit['change']}] {hit['listing_id']}: {hit.get('title') or '(no title)'}")
        lines.append(f"    {hit.get('url') or ''}")
    if count > len(shown):
        lines.append(f"... and {count - len(shown)} more.")
    lines += ["", f"All of them: the page /watchlists/{watchlist.id}, or `trawler watch hits {watchlist.id}`."]
    payload = {
        "event": "trawler.watchlist_hits",
        "watchlist": {
            "id": watchlist.id,
            "name": watchlist.name,
            "owner": watchlist.owner,
            "kind": watchlist.kind.value,
            "watches": watchlist.describe(),
        },
        "count": count,
        "truncated": count > len(shown),
        "hits": [
            {
                "listing_id": h["listing_id"],
                "version": h["version"],
                "change": h["change"],
                "site": h.get("site"),
                "kind": h.get("kind"),
                "title": h.get("title"),
                "url": h.get("url"),
                "listed_at": _iso(h.get("listed_at")),
                "found_at": _iso(h.get("found_at")),
            }
            for h in shown
        ],
    }
    return Notice(subject, "\n".join(lines) + "\n", payload)


def _wanted(watchlist: Watchlist, settings: Any) -> tuple[list[Channel], list[Delivery]]:
    wanted = {c.value for c in watchlist.notify}
    configured, broken = channels_from_settings(settings) if settings is not None else ([], [])
    channels = [c for c in configured if c.name in wanted]
    failed = [d for d in broken if d.channel in wanted]
    present = {c.name for c in channels} | {d.channel for d in failed}
    failed += [Delivery(name, "(not configured)", False, 0, NOT_CONFIGURED[name]) for name in sorted(wanted - present)]
    return channels, failed


def send_notice(
    watchlist: Watchlist, hits: Sequence[dict[str, Any]], settings: Any, backoff: float = 1.0
) -> list[Delivery]:
    """Send one notice about ``hits`` through the watchlist's channels; never raises."""
    channels, failed = _wanted(watchlist, settings)
    return failed + deliver(channels, watchlist_notice(watchlist, hits), backoff=backoff)
