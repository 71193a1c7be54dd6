"""One crawl per site at a time: a lease document per site in the ``leases`` collection.

``{_id: site, holder, expires_at, host, pid, run_id}``. Taking a lease is one atomic upsert whose filter
only matches a free, expired or already-ours lease: when someone else holds it, the upsert tries to insert
a second document with the same ``_id`` and the server refuses (duplicate key). So two processes, on one
machine or on two, can never both hold a site, whatever the timing. The holder renews it while it crawls;
a holder that was killed stops renewing and the lease expires after its time-to-live. A lease held by a
process of *this* host that no longer exists is free at once, so a SIGKILLed crawl does not block the next
one for the rest of the TTL.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from crawler.storage.embedded import pid_alive
from crawler.storage.schema import LEASES

HOST = socket.gethostname()


def new_holder() -> str:
    """A holder id unique to one crawl (or one scheduler's hand-over to a crawl)."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Lease:
    site: str
    holder: str
    expires_at: datetime
    host: str = ""
    pid: int = 0
    run_id: str | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Lease:
        expires = doc["expires_at"]
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return cls(doc["_id"], doc["holder"], expires, doc.get("host", ""), int(doc.get("pid") or 0), doc.get("run_id"))

    def describe(self) -> str:
        """Who holds it, for messages: a crawl process, or a distributed crawl (its workers renew it)."""
        if not self.pid:
            return f"distributed crawl {self.run_id or self.holder} (its workers renew the lease)"
        return f"run {self.run_id or '?'} on {self.host} (pid {self.pid})"

    def live(self, now: datetime | None = None) -> bool:
        """Unexpired, and (when it is held on this host) its process still exists."""
        if self.expires_at <= (now or datetime.now(UTC)):
            return False
        return not (self.host == HOST and self.pid and not pid_alive(self.pid))


def acquire(
    db: Database, site: str, holder: str, ttl: float, run_id: str | None = None, pid: int | None = None
) -> Lease | None:
    """Take (or extend, if ``holder`` has it) the lease on ``site``; ``None`` when someone else holds it."""
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "holder": holder,
        "expires_at": now + timedelta(seconds=ttl),
        "host": HOST,
        # pid 0: no single process holds it (a distributed crawl's workers renew it), so only expiry frees it.
        "pid": os.getpid() if pid is None else pid,
        "taken_at": now,
    }
    if run_id:
        fields["run_id"] = run_id
    free = [{"holder": holder}, {"expires_at": {"$lte": now}}]
    current = get(db, site)
    if current is not None and current.holder != holder and not current.live(now):
        # Dead on this host: free it by naming exactly the holder we saw, so a racing acquirer wins once.
        free.append({"holder": current.holder, "pid": current.pid, "host": HOST})
    try:
        doc = db[LEASES].find_one_and_update(
            {"_id": site, "$or": free}, {"$set": fields}, upsert=True, return_document=ReturnDocument.AFTER
        )
    except DuplicateKeyError:
        return None
    return Lease.from_doc(doc) if doc and doc.get("holder") == holder else None


def renew(db: Database, site: str, holder: str, ttl: float) -> bool:
    """Push the expiry on; ``False`` if the lease is no longer ours (expired and taken by another)."""
    expires = datetime.now(UTC) + timedelta(seconds=ttl)
    result = db[LEASES].update_one({"_id": site, "holder": holder}, {"$set": {"expires_at": expires}})
    return result.matched_count == 1


def release(db: Database, site: str, holder: str) -> bool:
    return db[LEASES].delete_one({"_id": site, "holder": holder}).deleted_count == 1


def get(db: Database, site: str) -> Lease | None:
    doc = db[LEASES].find_one({"_id": site})
    return Lease.from_doc(doc) if doc else None


def holds(lease: Lease | None, holder: str, now: datetime | None = None) -> bool:
    """Whether ``lease`` is live and held by ``holder``."""
    return lease is not None and lease.holder == holder and lease.live(now)
