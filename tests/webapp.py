"""Helpers of the web tests: the app in-process (FastAPI's TestClient) on the real SecantusDB server,
one account per role, logging in through the form, and a recorder of the commands the app sends.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pymongo.database import Database
from pymongo.monitoring import CommandListener, CommandStartedEvent

from crawler.accounts.passwords import hash_password
from crawler.accounts.ratelimit import LoginLimit
from crawler.accounts.roles import Role
from crawler.models import Listing
from crawler.storage.connection import DatabaseConfig
from crawler.storage.schema import AUDIT_LOG, USERS
from crawler.web import WebSettings, create_app
from tests.conftest import MongoServer

PASSWORDS = {"ada": "ada-password-123", "ann": "ann-password-123", "vic": "vic-password-123"}
ROLES = {"ada": Role.ADMIN, "ann": Role.ANALYST, "vic": Role.VIEWER}
# Wide enough for three Argon2 checks on a busy 2-core machine, short enough to wait out in a test.
LOGIN_LIMIT = LoginLimit(max_failures=3, window=timedelta(seconds=6))


class CommandRecorder(CommandListener):
    """Keeps a copy of every command the app sends to MongoDB (to check what a query was built from)."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, str, dict[str, Any]]] = []

    def started(self, event: CommandStartedEvent) -> None:
        command = copy.deepcopy(dict(event.command))
        self.commands.append((event.command_name, str(command.get(event.command_name, "")), command))

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


@dataclass
class Web:
    app: FastAPI
    client: TestClient
    db: Database
    recorder: CommandRecorder
    clients: list[TestClient] = field(default_factory=list)

    def new_client(self, **kwargs: Any) -> TestClient:
        client = TestClient(self.app, **kwargs)
        self.clients.append(client)
        return client

    def audit(self, action: str | None = None) -> list[dict[str, Any]]:
        query = {"action": action} if action else {}
        return [
            {k: e[k] for k in ("actor", "action", "params", "ip", "role", "via")}
            for e in self.db[AUDIT_LOG].find(query).sort("_id", 1)
        ]


def ad(site: str, native_id: str, title: str, phone: str | None = None, posted_at: datetime | None = None) -> Listing:
    """A small marketplace ad, optionally with a phone: what the web and watchlist tests store."""
    return Listing.model_validate(
        {
            "site": site,
            "platform_type": "marketplace",
            "kind": "ad",
            "url": f"http://127.0.0.1/{site}/{native_id}",
            "native_id": native_id,
            "title": title,
            "body": f"{title}. Write today.",
            "contacts": {"phones": [phone] if phone else []},
            "posted_at": posted_at,
        }
    )


def make_app(mongo: MongoServer, db_name: str, var_dir: Path, recorder: CommandRecorder | None = None) -> FastAPI:
    config = DatabaseConfig(mongo.uri, db_name, str(var_dir), embedded=False)
    settings = WebSettings(secret_key=b"test-secret-key-" * 3, login_limit=LOGIN_LIMIT)
    return create_app(config, settings, event_listeners=[recorder] if recorder else [])


@functools.cache
def _password_hash(password: str) -> str:
    # Argon2 takes ~0.5 s per hash on the shared test machine: hash each test password once per session.
    return hash_password(password)


def add_accounts(db: Database) -> None:
    """The three test accounts (one per role), as users.create_user stores them."""
    now = datetime.now(UTC)
    for name, password in PASSWORDS.items():
        doc = {"_id": name, "role": ROLES[name].value, "disabled": False, "created_at": now}
        db[USERS].insert_one({**doc, "password_hash": _password_hash(password)})


def running_app(mongo: MongoServer, db: Database, tmp_path: Path) -> Iterator[Web]:
    """The body of each test file's ``web`` fixture."""
    recorder = CommandRecorder()
    app = make_app(mongo, db.name, tmp_path / "var", recorder)
    add_accounts(db)
    with TestClient(app) as client:
        yield Web(app, client, db, recorder)


def login_form_token(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)


def post_login(client: TestClient, username: str, password: str) -> Any:
    token = login_form_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )


def login(client: TestClient, username: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    response = post_login(client, username, PASSWORDS[username])
    assert response.status_code == 303 and response.headers["location"] == "/"
    me = client.get("/api/v1/me").json()
    assert me["username"] == username and me["via"] == "session"
    return me["csrf_token"]


def signed_in(web: Web, username: str) -> tuple[TestClient, str]:
    client = web.new_client()
    return client, login(client, username)


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}
