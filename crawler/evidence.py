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
import re
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from pymongo.database import Database
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import __version__
from crawler.storage.byid import find_by_ids
from crawler.storage.schema import ENTITIES, LISTINGS, SNAPSHOTS, VERSIONS
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


def _snapshots_of(db: Database, listings: list[dict[str, Any]], versions: list[dict[str, Any]]) -> list[dict]:
    """Every stored snapshot of the listings: those their versions name, and any other fetch of their pages."""
    snapshot_ids = {(doc.get("crawl") or {}).get("snapshot_id") for doc in listings}
    snapshot_ids |= {v.get("snapshot_id") for v in versions}
    urls = sorted({doc["url"].split("#")[0] for doc in listings if isinstance(doc.get("url"), str)})
    ids = sorted(s for s in snapshot_ids if s)
    snapshots = list(db[SNAPSHOTS].find({"$or": [{"_id": {"$in": ids}}, {"url": {"$in": urls}}]}))
    snapshots.sort(key=lambda d: (d["fetched_at"], d["_id"]))
    return snapshots


def export_listing(db: Database, listing_id: str, path: Path) -> dict[str, Any]:
    """Write one listing's evidence archive (zip); returns its manifest."""
    listing = db[LISTINGS].find_one({"_id": listing_id})
    if listing is None:
        raise KeyError(f"no listing {listing_id!r}")
    versions = list(db[VERSIONS].find({"listing_id": listing_id}).sort("version", 1))
    snapshots = _snapshots_of(db, [listing], versions)
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


MAX_ENTITY_LISTINGS = 2000  # listings one entity archive holds; the manifest says when there were more
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _folder(listing_id: str, taken: set[str]) -> str:
    """A zip folder name for a listing id: only safe characters (no "/" or "..": ids come from scraped pages)."""
    base = _UNSAFE.sub("_", listing_id).strip("._")[:120] or "listing"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def export_entity(db: Database, entity_id: str, out: BinaryIO, limit: int = MAX_ENTITY_LISTINGS) -> dict[str, Any]:
    """Write the evidence archive (zip) of every listing sharing an entity (a phone, an e-mail...) to ``out``.

    Holds ``entity.json``, ``listings/<id>/listing.json`` and ``versions.json`` per listing, all their
    snapshots in one ``snapshots.warc.gz``, and ``manifest.json`` with the sha256 of every file. At most
    ``limit`` listings (in id order); the manifest's ``truncated`` says when the entity had more.
    Returns the manifest; raises KeyError when there is no such entity.
    """
    entity = db[ENTITIES].find_one({"_id": entity_id})
    if entity is None:
        raise KeyError(f"no entity {entity_id!r}")
    all_ids = sorted(entity.get("listings") or [])
    ids = all_ids[:limit]
    listings = sorted(find_by_ids(db[LISTINGS], ids), key=lambda d: d["_id"])
    versions = list(db[VERSIONS].find({"listing_id": {"$in": ids}}).sort([("listing_id", 1), ("version", 1)]))
    snapshots = _snapshots_of(db, listings, versions)
    by_listing: dict[str, list[dict[str, Any]]] = {}
    for version in versions:
        by_listing.setdefault(version["listing_id"], []).append(version)
    files: dict[str, str] = {}
    taken: set[str] = set()
    index = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, data: bytes) -> None:
            archive.writestr(name, data)
            files[name] = hashlib.sha256(data).hexdigest()

        put("entity.json", _json(entity))
        for listing in listings:
            folder = f"listings/{_folder(listing['_id'], taken)}"
            put(f"{folder}/listing.json", _json(listing))
            put(f"{folder}/versions.json", _json(by_listing.get(listing["_id"], [])))
            index.append({"id": listing["_id"], "site": listing.get("site"), "folder": folder})
        with tempfile.TemporaryFile() as warc:
            write_warc(snapshots, warc)
            warc.seek(0)
            digest = hashlib.sha256()
            with archive.open("snapshots.warc.gz", "w") as entry:
                while chunk := warc.read(1 << 20):
                    digest.update(chunk)
                    entry.write(chunk)
            files["snapshots.warc.gz"] = digest.hexdigest()
        manifest = {
            "entity_id": entity_id,
            "exported_at": datetime.now(UTC).isoformat(),
            "trawler_version": __version__,
            "listings": index,
            "listing_count": len(all_ids),
            "truncated": len(all_ids) > len(ids),
            "files": files,
            "snapshots": [
                {"sha256": d["_id"], "url": d["url"], "fetched_at": d["fetched_at"].isoformat(), "status": d["status"]}
                for d in snapshots
            ],
        }
        archive.writestr("manifest.json", _json(manifest))
    return manifest
