"""``trawler serve``: the analyst web page and HTTP API (FastAPI under uvicorn)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Sequence

import typer
from rich.markup import escape

from crawler.accounts import audit
from crawler.accounts.secret import SecretKeyError
from crawler.accounts.users import local_login
from crawler.cli.common import console, err_console, fail
from crawler.cli.crawl import prepare_database
from crawler.crawling import project_settings
from crawler.query.terms import keep_caught_up
from crawler.storage.connection import DatabaseConfig, database_config, open_database

TERMS_CATCH_UP_S = 60.0


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def free_port(host: str, wanted: int, tries: int = 100) -> int:
    for port in range(wanted, wanted + tries):
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    fail(f"no free port from {wanted} to {wanted + tries - 1} on {host}", "pass --port")


def run_server(
    config: DatabaseConfig, host: str, port: int, behind_proxy: bool = False, notes: Sequence[str] = ()
) -> None:
    """Serve until Ctrl-C."""
    # Imported here so that other commands do not pay for loading the web stack.
    import uvicorn

    from crawler.web import create_app

    try:
        app = create_app(config)
    except (SecretKeyError, ValueError) as exc:  # ValueError: a malformed TRAWLER_* web setting
        fail(str(exc))
    if not _is_loopback(host):
        err_console.print(
            "[yellow]serving beyond this machine: put a TLS proxy in front (docs/web.md), "
            "otherwise passwords and cookies cross the network in clear[/]"
        )
    # Listings written by `scrapy crawl` or distributed workers become searchable within a minute.
    stop = threading.Event()
    keeper = threading.Thread(
        target=keep_caught_up, args=(open_database(config), TERMS_CATCH_UP_S, stop), name="search-terms", daemon=True
    )
    keeper.start()
    console.print(f"Trawler analyst web page: [bold]http://{escape(host)}:{port}/[/]  (Ctrl-C stops)")
    for note in notes:
        console.print(note)
    # Forwarded headers are trusted only when asked: otherwise any local process could pick the
    # client address the login rate limit and the audit log record.
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=behind_proxy,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        log_level="warning",
    )
    stop.set()


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep 127.0.0.1 unless behind a TLS proxy)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    behind_proxy: bool = typer.Option(
        False,
        "--behind-proxy",
        help="Trust X-Forwarded-For/-Proto from a reverse proxy on 127.0.0.1 (https => Secure cookies).",
    ),
) -> None:
    """Serve the analyst web page and the /api/v1 HTTP API over the database (embedded by default)."""
    settings = project_settings()
    console.print(prepare_database(settings))
    run_server(database_config(settings), host, port, behind_proxy)


def serve_demo(settings: object, port: int) -> None:
    """For `trawler demo`: a local analyst login with a fresh password, then the web page on 127.0.0.1."""
    config = database_config(settings)
    db = open_database(config)
    password = local_login(db)
    audit.record(db, "cli", "user.local_login", {"username": "analyst", "by": "trawler demo"}, via="cli")
    host = "127.0.0.1"
    chosen = free_port(host, port)
    run_server(config, host, chosen, notes=[f"log in as [bold]analyst[/] with password [bold]{password}[/]"])
