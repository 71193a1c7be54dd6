"""Evidence out of the database: WARC files of stored snapshots, and one archive per listing for a case file.

WARC (ISO 28500) is what web archives and forensic tools read; each snapshot
becomes a ``response`` record with the original status line, headers and body,
and its sha256 as ``WARC-Payload-Digest``. An evidence archive holds a
listing's current state, every earlier version with its diff, its snapshots
as WARC, and a manifest with the sha256 of every file.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from pymongo.database import Database
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import __version__
from crawler.storage.schema import LISTINGS, SNAPSHOTS, VERSIONS
from crawler.storage.snapshots import body_of

_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found"}


def _sha256_base32(body: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(body).digest()).decode("ascii")


def write_warc(snapshots: Iterable[dict[str, Any]], out: BinaryIO) -> int:
    """Write snapshot documents as gzipped WARC response records; returns how many."""
    writer = WARCWriter(out, gzip=True)
    count = 0
    for doc in snapshots:
        body = body_of(doc)
        status = int(doc.get("status") or 200)
        headers = [(k, v) for k, v in (doc.get("headers") or {}).items() if k.lower() != "content-encoding"]
        http = StatusAndHeaders(f"{status} {_REASONS.get(status, 'OK')}", headers, protocol="HTTP/1.1")
        fetched: datetime = doc["fetched_at"]
        record = writer.create_warc_record(
            doc["url"],
            "response",
            payload=io.BytesIO(body),
            http_headers=http,
            warc_headers_dict={
                "WARC-Date": fetched.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "WARC-Payload-Digest": _sha256_base32(body),
                "WARC-Trawler-Snapshot": doc["_id"],
            },
        )
        writer.write_record(record)
        count += 1
    return count


def export_site_warc(db: Database, site: str, path: Path) -> int:
    with open(path, "wb") as out:
        return write_warc(db[SNAPSHOTS].find({"site": site}).sort("fetched_at", 1), out)


def _json(data: Any) -> bytes:
    return json.dumps(data, default=str, ensure_ascii=False, indent=1).encode("utf-8")


def export_listing(db: Database, listing_id: str, path: Path) -> dict[str, Any]:
    """Write one listing's evidence archive (zip); returns its manifest."""
    listing = db[LISTINGS].find_one({"_id": listing_id})
    if listing is None:
        raise KeyError(f"no listing {listing_id!r}")
    versions = list(db[VERSIONS].find({"listing_id": listing_id}).sort("version", 1))
    snapshot_ids = {listing.get("crawl", {}).get("snapshot_id")} | {v.get("snapshot_id") for v in versions}
    url = listing["url"].split("#")[0]
    snapshots = list(db[SNAPSHOTS].find({"$or": [{"_id": {"$in": [s for s in snapshot_ids if s]}}, {"url": url}]}))
    snapshots.sort(key=lambda d: d["fetched_at"])
    warc = io.BytesIO()
    write_warc(snapshots, warc)
    files = {
        "listing.json": _json(listing),
        "versions.json": _json(versions),
        "snapshots.warc.gz": warc.getvalue(),
    }
    manifest = {
        "listing_id": listing_id,
        "exported_at": datetime.now(UTC).isoformat(),
        "trawler_version": __version__,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "snapshots": [
            {"sha256": d["_id"], "url": d["url"], "fetched_at": d["fetched_at"].isoformat(), "status": d["status"]}
            for d in snapshots
        ],
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", _json(manifest))
    return manifest
