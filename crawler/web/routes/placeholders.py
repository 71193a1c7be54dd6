"""Placeholder pages the query layer replaces: search, and a minimal listing view.

They are included after every extension, so a registered router serving the same path wins.
The listing view renders a stored listing through the same inert helpers the real pages use,
which is what the browser security test exercises.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, Response

from crawler.accounts.roles import Role
from crawler.storage.schema import LISTINGS
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.page import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]


@router.get("/search", response_class=HTMLResponse)
def search_placeholder(request: Request, principal: Viewer, q: Annotated[str, Query(max_length=500)] = "") -> Response:
    if q:
        record(request, principal, "search", {"q": q})
    return render(request, "search.html", {"q": q}, principal)


@router.get("/listings/{listing_id}", response_class=HTMLResponse)
def listing_placeholder(
    request: Request, principal: Viewer, listing_id: Annotated[str, Path(min_length=1, max_length=500)]
) -> Response:
    # A path parameter is always a string: the filter below can only ever be an equality on _id.
    listing = database(request)[LISTINGS].find_one({"_id": listing_id})
    if listing is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such listing")
    record(request, principal, "listing.view", {"listing_id": listing_id})
    return render(request, "listing.html", {"listing": listing}, principal)
