"""Login rate limiting per username and client address, kept in MongoDB.

In the database rather than in memory so that it holds across restarts and across several
server processes. Each failed login is one small document; a login is refused while the
(username, address) pair has ``max_failures`` failures within the last ``window``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo.database import Database

from crawler.storage.schema import LOGIN_ATTEMPTS


@dataclass(frozen=True)
class LoginLimit:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


def _key(username: str, ip: str) -> str:
    return f"{username}|{ip}"


def is_blocked(db: Database, limit: LoginLimit, username: str, ip: str) -> bool:
    since = datetime.now(UTC) - limit.window
    recent = db[LOGIN_ATTEMPTS].count_documents({"key": _key(username, ip), "at": {"$gt": since}})
    return recent >= limit.max_failures


def record_failure(db: Database, limit: LoginLimit, username: str, ip: str) -> None:
    now = datetime.now(UTC)
    key = _key(username, ip)
    db[LOGIN_ATTEMPTS].insert_one({"key": key, "username": username, "ip": ip, "at": now})
    # Keep the collection small without a TTL index (the embedded server has none).
    db[LOGIN_ATTEMPTS].delete_many({"key": key, "at": {"$lte": now - limit.window}})


def clear_failures(db: Database, username: str, ip: str) -> None:
    db[LOGIN_ATTEMPTS].delete_many({"key": _key(username, ip)})
