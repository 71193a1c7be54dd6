"""The ``users`` collection: one document per account, ``_id`` = the username.

Usernames are lower-case letters, digits and ``_ . -`` (checked before any query), so a
username is always a plain string in a filter, never an operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from crawler.accounts.passwords import MIN_LENGTH, generate_password, hash_password
from crawler.accounts.roles import Role
from crawler.storage.schema import API_TOKENS, SESSIONS, USERS

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{1,63}$"
_USERNAME = re.compile(USERNAME_PATTERN)


class AccountError(ValueError):
    """A request about accounts that cannot be done (the message says why, for the user)."""


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    password_hash: str = ""
    last_login: datetime | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> User:
        return cls(
            username=doc["_id"],
            role=Role(doc["role"]),
            disabled=bool(doc.get("disabled")),
            created_at=doc["created_at"],
            password_hash=doc.get("password_hash", ""),
            last_login=doc.get("last_login"),
        )


def valid_username(name: object) -> bool:
    return isinstance(name, str) and bool(_USERNAME.fullmatch(name))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise AccountError(f"the password must be at least {MIN_LENGTH} characters")


def get_user(db: Database, username: str) -> User | None:
    if not valid_username(username):
        return None
    doc = db[USERS].find_one({"_id": username})
    return User.from_doc(doc) if doc else None


def create_user(db: Database, username: str, role: Role, password: str | None = None) -> tuple[User, str | None]:
    """Create an account; returns it and the generated password (None when one was given)."""
    if not valid_username(username):
        raise AccountError(f"username {username!r} must match {USERNAME_PATTERN}")
    generated = None
    if password is None:
        password = generated = generate_password()
    check_password_strength(password)
    doc = {
        "_id": username,
        "role": Role(role).value,
        "password_hash": hash_password(password),
        "disabled": False,
        "created_at": datetime.now(UTC),
    }
    try:
        db[USERS].insert_one(doc)
    except DuplicateKeyError:
        raise AccountError(f"user {username!r} already exists") from None
    return User.from_doc(doc), generated


def set_password(db: Database, username: str, password: str, end_sessions: bool = True) -> None:
    """Store a new password; by default also end the account's sessions (a reset locks out whoever had it)."""
    check_password_strength(password)
    if not valid_username(username):
        raise AccountError(f"no user {username!r}")
    if not db[USERS].update_one({"_id": username}, {"$set": {"password_hash": hash_password(password)}}).matched_count:
        raise AccountError(f"no user {username!r}")
    if end_sessions:
        db[SESSIONS].delete_many({"username": username})


def set_disabled(db: Database, username: str, disabled: bool) -> User:
    """Disable or enable an account; disabling also ends its sessions and revokes its API tokens."""
    user = get_user(db, username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    db[USERS].update_one({"_id": username}, {"$set": {"disabled": disabled}})
    if disabled:
        db[SESSIONS].delete_many({"username": username})
        db[API_TOKENS].update_many(
            {"username": username, "revoked_at": None}, {"$set": {"revoked_at": datetime.now(UTC)}}
        )
    return User.from_doc({**_doc(user), "disabled": disabled})


def list_users(db: Database) -> list[User]:
    # Accounts are few (tens): reading them all is fine even on the embedded server.
    return [User.from_doc(doc) for doc in db[USERS].find({}).sort("_id", 1)]


def note_login(db: Database, username: str) -> None:
    db[USERS].update_one({"_id": username}, {"$set": {"last_login": datetime.now(UTC)}})


def local_login(db: Database, username: str = "analyst", role: Role = Role.ANALYST) -> str:
    """Make sure a local account exists and is enabled, give it a fresh password and return it (for the demo)."""
    password = generate_password()
    if get_user(db, username) is None:
        create_user(db, username, role, password)
    else:
        set_password(db, username, password)
        db[USERS].update_one({"_id": username}, {"$set": {"disabled": False}})
    return password


def _doc(user: User) -> dict[str, Any]:
    return {
        "_id": user.username,
        "role": user.role.value,
        "disabled": user.disabled,
        "created_at": user.created_at,
        "password_hash": user.password_hash,
        "last_login": user.last_login,
    }
