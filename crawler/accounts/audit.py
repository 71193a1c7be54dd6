"""The append-only audit log: who did what, when, from where.

This module only ever inserts into the ``audit_log`` collection; nothing in Trawler updates or
deletes an entry. (Enforcing that against a database administrator needs database-side roles:
see docs/security.md.) ``params`` keys are chosen by the calling code, never taken from a request,
so they are valid MongoDB field names; values are stored as given (strings, numbers, lists).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo.database import Database

from crawler.storage.schema import AUDIT_LOG

ACTION_PATTERN = r"^[a-z][a-z_.]{0,63}$"


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query(self, before: ObjectId | None = None) -> dict[str, Any]:
        # Time bounds become _id bounds (ObjectIds start with their creation time), so every page
        # is a keyset range on the (actor|action, _id) or _id index.
        query: dict[str, Any] = {}
        if self.actor is not None:
            query["actor"] = self.actor
        if self.action is not None:
            query["action"] = self.action
        bounds: dict[str, ObjectId] = {}
        if self.since is not None:
            bounds["$gte"] = ObjectId.from_datetime(self.since)
        upper = [b for b in (before, _after(self.until)) if b is not None]
        if upper:
            bounds["$lt"] = min(upper)
        if bounds:
            query["_id"] = bounds
        return query


def _after(moment: datetime | None) -> ObjectId | None:
    # ObjectIds hold whole seconds: the first id of the next second bounds everything up to `moment`.
    if moment is None:
        return None
    return ObjectId.from_datetime(datetime.fromtimestamp(int(moment.timestamp()) + 1, UTC))


def record(
    db: Database,
    actor: str,
    action: str,
    params: Mapping[str, Any] | None = None,
    *,
    ip: str = "",
    role: str = "",
    via: str = "",
) -> ObjectId:
    entry = {
        "at": datetime.now(UTC),
        "actor": actor,
        "role": role,
        "via": via,
        "action": action,
        "params": dict(params or {}),
        "ip": ip,
    }
    return db[AUDIT_LOG].insert_one(entry).inserted_id


def page(db: Database, filters: AuditFilter, limit: int, before: ObjectId | None = None) -> list[dict[str, Any]]:
    """Newest first; pass the last entry's ``_id`` as ``before`` for the next page."""
    return list(db[AUDIT_LOG].find(filters.query(before)).sort("_id", -1).limit(limit))


def iterate(db: Database, filters: AuditFilter, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every matching entry, newest first, one keyset page at a time (for streaming exports)."""
    before = None
    while True:
        entries = page(db, filters, batch, before)
        yield from entries
        if len(entries) < batch:
            return
        before = entries[-1]["_id"]
