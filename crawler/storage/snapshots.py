"""Evidence snapshots: every page that produced listings, kept as fetched.

A snapshot is the response body (zlib-compressed), status, headers, URL, fetch
time and the sha256 of the body, which is also its ``_id``: a page fetched
twice unchanged is stored once, and a listing's ``crawl.snapshot_id`` names the
exact bytes it was read from. The Trawler and plugin versions that extracted it
are recorded, so a re-extraction after an extractor improves can be told apart.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import Binary
from pymongo.database import Database

from crawler import __version__
from crawler.storage.schema import SNAPSHOTS
from crawler.storage.writer import insert_ignoring_duplicates


@dataclass
class PageSnapshot:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    page_type: str
    site: str
    sha256: str

    @classmethod
    def from_response(cls, response: Any, page_type: str, site: str, fetched_at: datetime) -> PageSnapshot:
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        body = response.body
        return cls(response.url, response.status, headers, body, fetched_at, page_type, site,
                   hashlib.sha256(body).hexdigest())  # fmt: skip

    def document(self, run_id: str, plugin_versions: dict[str, str]) -> dict[str, Any]:
        return {
            "_id": self.sha256,
            "url": self.url,
            "site": self.site,
            "page_type": self.page_type,
            "status": self.status,
            "headers": self.headers,
            "fetched_at": self.fetched_at,
            "size": len(self.body),
            "encoding": "zlib",
            "body": Binary(zlib.compress(self.body, 6)),
            "run_id": run_id,
            "trawler_version": __version__,
            "plugin_versions": plugin_versions,
        }


def body_of(doc: dict[str, Any]) -> bytes:
    """The page as fetched, checked against its sha256."""
    body = zlib.decompress(doc["body"]) if doc.get("encoding") == "zlib" else bytes(doc["body"])
    if hashlib.sha256(body).hexdigest() != doc["_id"]:
        raise ValueError(f"snapshot {doc['_id']} is corrupt: its body does not match its sha256")
    return body


def store(db: Database, docs: list[dict[str, Any]]) -> None:
    if docs:
        insert_ignoring_duplicates(db[SNAPSHOTS], docs)
