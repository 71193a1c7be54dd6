"""Server-side sessions in MongoDB.

Why server-side rather than signed cookies: logging out, disabling an account or changing its
role takes effect on the next request, in every server process; a signed cookie stays valid
until it expires. The cookie holds a random 256-bit token; the database holds only its SHA-256,
so a copy of the database does not yield usable sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo.database import Database

from crawler.storage.schema import SESSIONS


@dataclass(frozen=True)
class Session:
    token: str
    username: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(db: Database, username: str, lifetime: timedelta) -> Session:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + lifetime
    db[SESSIONS].insert_one({"_id": token_hash(token), "username": username, "created_at": now, "expires_at": expires})
    return Session(token, username, expires)


def find_session(db: Database, token: str) -> Session | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    doc = db[SESSIONS].find_one({"_id": token_hash(token)})
    if doc is None:
        return None
    if doc["expires_at"] <= datetime.now(UTC):
        db[SESSIONS].delete_one({"_id": doc["_id"]})
        return None
    return Session(token, doc["username"], doc["expires_at"])


def end_session(db: Database, token: str) -> None:
    db[SESSIONS].delete_one({"_id": token_hash(token)})
