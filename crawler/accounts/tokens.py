"""API tokens for scripts: ``Authorization: Bearer trw_...``.

A token is 256 random bits, shown once. Only its SHA-256 is stored (a slow hash is not needed for
a random secret of that size, and a fast one allows a point look-up by ``_id``). Each token has a
role no higher than its owner's, and acts with the lower of the two at every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

from crawler.accounts.roles import Role
from crawler.storage.schema import API_TOKENS

PREFIX = "trw_"
TOKEN_ID_PATTERN = r"^[0-9a-f]{16}$"
# Writing last_used on every request would double the cost of each API call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiToken:
    token_id: str
    username: str
    name: str
    role: Role
    created_at: datetime
    last_used: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ApiToken:
        return cls(
            token_id=doc["token_id"],
            username=doc["username"],
            name=doc["name"],
            role=Role(doc["role"]),
            created_at=doc["created_at"],
            last_used=doc.get("last_used"),
            revoked_at=doc.get("revoked_at"),
        )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(db: Database, username: str, name: str, role: Role) -> tuple[ApiToken, str]:
    """Store a new token and return it with its secret (the only time the secret is known)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    doc = {
        "_id": _hash(secret),
        "token_id": secrets.token_hex(8),
        "username": username,
        "name": name,
        "role": Role(role).value,
        "created_at": datetime.now(UTC),
        "last_used": None,
        "revoked_at": None,
    }
    db[API_TOKENS].insert_one(doc)
    return ApiToken.from_doc(doc), secret


def find_token(db: Database, secret: str) -> ApiToken | None:
    """The live token with this secret, noting its use."""
    if not isinstance(secret, str) or not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    doc = db[API_TOKENS].find_one({"_id": _hash(secret)})
    if doc is None or doc.get("revoked_at") is not None:
        return None
    now = datetime.now(UTC)
    if doc.get("last_used") is None or now - doc["last_used"] > LAST_USED_RESOLUTION:
        db[API_TOKENS].update_one({"_id": doc["_id"]}, {"$set": {"last_used": now}})
        doc["last_used"] = now
    return ApiToken.from_doc(doc)


def list_tokens(db: Database, username: str) -> list[ApiToken]:
    return [ApiToken.from_doc(d) for d in db[API_TOKENS].find({"username": username}).sort("created_at", 1)]


def revoke_token(db: Database, username: str, token_id: str) -> bool:
    """Revoke one of ``username``'s tokens; False if it has no live token with that id."""
    result = db[API_TOKENS].update_one(
        {"token_id": token_id, "username": username, "revoked_at": None}, {"$set": {"revoked_at": datetime.now(UTC)}}
    )
    return result.modified_count == 1
