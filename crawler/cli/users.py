"""``trawler users``: accounts of the analyst web page and API."""

from __future__ import annotations

import getpass
import os
from typing import Any

import typer
from pymongo.database import Database
from rich.markup import escape
from rich.table import Table

from crawler.accounts import audit, tokens
from crawler.accounts import users as accounts
from crawler.accounts.roles import Role
from crawler.cli.common import console, err_console, fail
from crawler.cli.crawl import prepare_database
from crawler.crawling import project_settings
from crawler.storage.connection import database_config, open_database
from crawler.storage.schema import ensure_indexes

app = typer.Typer(
    help="Accounts of the analyst web page and API (roles: viewer, analyst, admin).", no_args_is_help=True
)


def _database() -> Database:
    settings = project_settings()
    err_console.print(f"[dim]{escape(prepare_database(settings))}[/]")
    db = open_database(database_config(settings))
    ensure_indexes(db)
    return db


def _audit(db: Database, action: str, params: dict[str, Any]) -> None:
    # Changes made at the command line are in the audit log too, under the actor "cli".
    audit.record(db, "cli", action, {**params, "os_user": getpass.getuser()}, via="cli")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Username: lower-case letters, digits, _ . - (2-64 characters)."),
    role: Role = typer.Option(Role.ANALYST, "--role", help="viewer (search), analyst (+ export), admin (+ users)."),
    password_env: str = typer.Option(
        "", "--password-env", help="Read the password from this environment variable; without it one is generated."
    ),
) -> None:
    """Create an account. A generated password is printed once and stored only as an Argon2 hash."""
    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            fail(f"environment variable {password_env} is empty or not set")
    db = _database()
    try:
        user, generated = accounts.create_user(db, name, role, password)
    except accounts.AccountError as exc:
        fail(str(exc))
    _audit(db, "user.create", {"username": user.username, "role": user.role.value})
    console.print(f"created {user.role.value} account {escape(user.username)}")
    if generated:
        console.print(f"password (shown only now): {generated}")


@app.command("password")
def password(
    name: str = typer.Argument(..., help="Username."),
    password_env: str = typer.Option(
        "", "--password-env", help="Read the new password from this environment variable; without it one is generated."
    ),
) -> None:
    """Set a new password (printed once if generated); the account's open sessions end."""
    new = os.environ.get(password_env, "") if password_env else accounts.generate_password()
    if not new:
        fail(f"environment variable {password_env} is empty or not set")
    db = _database()
    try:
        accounts.set_password(db, name, new)
    except accounts.AccountError as exc:
        fail(str(exc), "see `trawler users list`")
    _audit(db, "user.password", {"username": name})
    console.print(f"new password set for {escape(name)}; its sessions ended")
    if not password_env:
        console.print(f"password (shown only now): {new}")


@app.command("list")
def list_accounts() -> None:
    """Every account, its role and whether it is disabled."""
    table = Table(title="accounts")
    for column in ("username", "role", "status", "created", "last login"):
        table.add_column(column)
    for user in accounts.list_users(_database()):
        last = f"{user.last_login:%Y-%m-%d %H:%M}" if user.last_login else "never"
        status = "disabled" if user.disabled else "active"
        table.add_row(escape(user.username), user.role.value, status, f"{user.created_at:%Y-%m-%d %H:%M}", last)
    console.print(table)


def _set_disabled(name: str, disabled: bool) -> None:
    db = _database()
    try:
        accounts.set_disabled(db, name, disabled)
    except accounts.AccountError as exc:
        fail(str(exc), "see `trawler users list`")
    _audit(db, "user.disable" if disabled else "user.enable", {"username": name})
    console.print(f"{'disabled' if disabled else 'enabled'} {escape(name)}")


@app.command("disable")
def disable(name: str = typer.Argument(..., help="Username.")) -> None:
    """Disable an account: its sessions end and its API tokens are revoked at once."""
    _set_disabled(name, True)


@app.command("enable")
def enable(name: str = typer.Argument(..., help="Username.")) -> None:
    """Enable a disabled account again (its old API tokens stay revoked)."""
    _set_disabled(name, False)


@app.command("token")
def token(
    name: str = typer.Argument(..., help="Username the token acts for."),
    label: str = typer.Option("cli", "--name", help="What the token is for (shown in token lists)."),
    role: Role | None = typer.Option(None, "--role", help="At most the account's role; default: the account's."),
) -> None:
    """Create an API token for scripts (`Authorization: Bearer <token>`); it is printed once."""
    db = _database()
    user = accounts.get_user(db, name)
    if user is None or user.disabled:
        fail(f"no active user {name!r}", "see `trawler users list`")
    wanted = role or user.role
    if not user.role.allows(wanted):
        fail(f"a token cannot have more than the account's role ({user.role.value})")
    created, secret = tokens.create_token(db, user.username, label, wanted)
    _audit(db, "token.create", {"username": user.username, "token_id": created.token_id, "role": wanted.value})
    console.print(f"token {created.token_id} ({wanted.value}) for {escape(user.username)}, shown only now:")
    console.print(secret, soft_wrap=True)
