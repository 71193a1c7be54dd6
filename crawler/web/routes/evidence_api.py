"""Evidence downloads for analysts: a listing's or an entity's evidence archive (zip), and one stored snapshot.

A snapshot is a hostile page as fetched: it is only ever sent as an attachment typed
``application/octet-stream`` (never ``text/html``), so a browser saves it instead of running it in our
origin (``nosniff`` is on every answer).
Every download is audited.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path as FilePath
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import Response, StreamingResponse

from crawler import query
from crawler.accounts.roles import Role
from crawler.evidence import export_entity, export_listing
from crawler.storage.schema import SNAPSHOTS
from crawler.storage.snapshots import body_of
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.models import Error
from crawler.web.registry import WebExtension

router = APIRouter(
    prefix="/api/v1",
    tags=["evidence"],
    responses={401: {"model": Error}, 403: {"model": Error}, 404: {"model": Error}},
)

Analyst = Annotated[Principal, Depends(require_role(Role.ANALYST))]
ZIP = {200: {"content": {"application/zip": {}}}}
CHUNK = 1 << 16


def _filename(stem: str, suffix: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:100] + suffix


def _stream(file: IO[bytes]) -> Iterator[bytes]:
    try:
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()


def _zip_response(file: IO[bytes], name: str) -> StreamingResponse:
    return StreamingResponse(
        _stream(file),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/listings/{listing_id}/evidence", response_class=StreamingResponse, responses=ZIP)
def listing_evidence(
    request: Request, principal: Analyst, listing_id: Annotated[str, Path(max_length=300)]
) -> StreamingResponse:
    """The listing's evidence archive: current state, every version with its diff, its snapshots as WARC, a
    manifest with the sha256 of every file (crawler/evidence.py ``export_listing``)."""
    record(request, principal, "listing.evidence", {"id": listing_id})
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / "evidence.zip"
        try:
            export_listing(database(request), listing_id, path)
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=f"no listing {listing_id!r}") from exc
        spooled = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed by _stream
        with open(path, "rb") as written:
            while chunk := written.read(CHUNK):
                spooled.write(chunk)
    return _zip_response(spooled, _filename(f"evidence-{listing_id}", ".zip"))


@router.get("/entities/{entity}/evidence", response_class=StreamingResponse, responses=ZIP)
def entity_evidence(request: Request, principal: Analyst, entity: Annotated[str, Path(max_length=300)]) -> Any:
    """The evidence archive of every listing sharing an entity (by id, or a value in any written form)."""
    record(request, principal, "entity.evidence", {"id": entity})
    db = database(request)
    try:
        found, _ = query.find_entity(db, entity)
    except query.NotFound as exc:
        raise HTTPException(status_code=404, detail=f"no entity {entity!r}") from exc
    spooled = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed by _stream
    export_entity(db, found["_id"], spooled)
    return _zip_response(spooled, _filename(f"evidence-{found['_id']}", ".zip"))


@router.get(
    "/snapshots/{sha256}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, 500: {"model": Error}},
)
def snapshot(request: Request, principal: Analyst, sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]) -> Response:
    """A stored page exactly as fetched, as a download (checked against its sha256, which is its id)."""
    record(request, principal, "snapshot.download", {"sha256": sha256})
    doc = database(request)[SNAPSHOTS].find_one({"_id": sha256})
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no snapshot {sha256}")
    try:
        body = body_of(doc)
    except ValueError as exc:
        raise HTTPException(status_code=500, detail=str(exc)) from exc
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    return Response(
        body,
        media_type="application/octet-stream",
        headers={
            # .txt: opened from the downloads folder it shows as source, never runs as a page.
            "content-disposition": f'attachment; filename="snapshot-{sha256}.txt"',
            "repr-digest": f"sha-256=:{digest}:",  # RFC 9530: the body's sha256, for a client to check
        },
    )


def extension() -> WebExtension:
    """Evidence downloads (analysts and admins)."""
    return WebExtension("evidence-api", router, Role.ANALYST)
