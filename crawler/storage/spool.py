"""A disk spool for batches the database could not take, replayed when it is back.

One JSON Lines file per failed batch, written to a temporary name and renamed,
so a crash while spooling never leaves half a batch that looks complete.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from bson import Binary

from crawler.models import Listing
from crawler.storage.snapshots import store as store_snapshots
from crawler.storage.writer import ListingWriter, Pending


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):  # bson.Binary is a bytes subclass
        return {"$b64": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"cannot spool a {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if set(obj) == {"$date"}:
        return datetime.fromisoformat(obj["$date"])
    if set(obj) == {"$b64"}:
        return Binary(base64.b64decode(obj["$b64"]))
    return obj


class Spool:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def append(
        self, pending: list[Pending], quarantined: list[dict[str, Any]], snapshots: list[dict[str, Any]] = ()
    ) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.jsonl"
        temporary = final.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            for p in pending:
                record = {
                    "type": "listing",
                    "listing": p.listing.model_dump(mode="json", by_alias=True),
                    "seen_at": p.seen_at,
                    "run_id": p.run_id,
                }
                out.write(json.dumps(record, default=_encode, ensure_ascii=False) + "\n")
            for doc in quarantined:
                out.write(json.dumps({"type": "quarantine", "doc": doc}, default=_encode, ensure_ascii=False) + "\n")
            for doc in snapshots:
                out.write(json.dumps({"type": "snapshot", "doc": doc}, default=_encode, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        temporary.rename(final)
        return final

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.jsonl")) if self.directory.exists() else []

    def pending_count(self) -> int:
        """Listings and quarantined items waiting (snapshots travel with them and are not counted)."""
        return sum(
            1 for path in self.files() for line in path.open(encoding="utf-8") if '"type": "snapshot"' not in line
        )

    @staticmethod
    def read(path: Path) -> tuple[list[Pending], list[dict[str, Any]], list[dict[str, Any]]]:
        pending: list[Pending] = []
        quarantined: list[dict[str, Any]] = []
        snapshots: list[dict[str, Any]] = []
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line, object_hook=_decode)
                if record["type"] == "listing":
                    listing = Listing.model_validate(record["listing"])
                    pending.append(Pending(listing, record["seen_at"], record["run_id"]))
                elif record["type"] == "snapshot":
                    snapshots.append(record["doc"])
                else:
                    quarantined.append(record["doc"])
        return pending, quarantined, snapshots

    def replay(self, writer: ListingWriter) -> tuple[int, int]:
        """Write every spooled batch, oldest first; return (listings, quarantined) replayed."""
        listings = quarantined_count = 0
        for path in self.files():
            pending, quarantined, snapshots = self.read(path)
            store_snapshots(writer.listings.database, snapshots)
            writer.write(pending)
            writer.quarantine_many(quarantined)
            path.unlink()
            listings += len(pending)
            quarantined_count += len(quarantined)
        return listings, quarantined_count
