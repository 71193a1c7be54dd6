"""Which MongoDB to use and how to connect to it.

``MONGO_URI`` (environment or setting) names any MongoDB 7+ server; without it
the embedded SecantusDB server under ``TRAWLER_VAR_DIR`` is started or reused.
The URI may hold credentials, so it is never logged whole.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pymongo
from pymongo.database import Database

from crawler.storage import embedded


@dataclass(frozen=True)
class DatabaseConfig:
    uri: str
    name: str
    var_dir: str
    embedded: bool
    write_concern: int | str = 1

    @property
    def safe_uri(self) -> str:
        return redact(self.uri)


def redact(uri: str) -> str:
    """The URI without its password, for messages and logs."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _get(settings: Any, name: str, default: Any) -> Any:
    if settings is not None and settings.get(name) not in (None, ""):
        return settings.get(name)
    return os.environ.get(name) or default


def database_config(settings: Any = None, start_embedded: bool = True) -> DatabaseConfig:
    """Resolve the database to use, starting the embedded server if needed."""
    var_dir = str(_get(settings, "TRAWLER_VAR_DIR", "var"))
    name = str(_get(settings, "MONGO_DATABASE", "trawler"))
    write_concern = _get(settings, "TRAWLER_WRITE_CONCERN", 1)
    if isinstance(write_concern, str) and write_concern.isdigit():
        write_concern = int(write_concern)
    uri = _get(settings, "MONGO_URI", "")
    if uri:
        return DatabaseConfig(uri, name, var_dir, embedded=False, write_concern=write_concern)
    state = embedded.ensure_running(var_dir) if start_embedded else embedded.status(var_dir)
    uri = state.uri if state else ""
    return DatabaseConfig(uri, name, var_dir, embedded=True, write_concern=write_concern)


def connect(config: DatabaseConfig, timeout_ms: int = 5000) -> pymongo.MongoClient:
    return pymongo.MongoClient(
        config.uri,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        w=config.write_concern,
        appname="trawler",
    )


def open_database(config: DatabaseConfig, timeout_ms: int = 5000) -> Database:
    return connect(config, timeout_ms)[config.name]
