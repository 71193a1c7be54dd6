"""/api/v1/search, /export, /listings/{id}, /listings/{id}/pivot, /entities/{id}: the query layer over HTTP.

The routes only validate, call :mod:`crawler.query` and return its typed answers; every parameter reaches
:class:`crawler.query.SearchParams` as a plain value (a malformed one is a 400 naming the field) and every
search and view is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from crawler import query
from crawler.accounts.roles import Role
from crawler.query.summary import CSV_COLUMNS, csv_row, summarise
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.exports import csv_lines, jsonl_lines
from crawler.web.models import Error

router = APIRouter(prefix="/api/v1", tags=["query"], responses={401: {"model": Error}, 403: {"model": Error}})

Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]
Analyst = Annotated[Principal, Depends(require_role(Role.ANALYST))]
Many = Annotated[list[str] | None, Query(max_length=100)]
# Read by the query layer's SearchParams, so a bare date means the same here as on the page and in the CLI.
DATE_HELP = "ISO 8601 date-time, or a date (a bare date covers its whole day, UTC)"


def _bad(exc: ValidationError) -> HTTPException:
    errors = [f"{'.'.join(str(p) for p in e['loc']) or 'query'}: {e['msg']}" for e in exc.errors()]
    return HTTPException(status_code=400, detail="; ".join(errors))


def search_params(
    q: Annotated[str, Query(max_length=500, description='words and "phrases"')] = "",
    contact: Annotated[str | None, Query(max_length=200)] = None,
    site: Many = None,
    platform_type: Many = None,
    kind: Many = None,
    language: Many = None,
    country: Many = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    category: Many = None,
    indicator: Many = None,
    indicator_category: Many = None,
    min_risk: float | None = None,
    max_risk: float | None = None,
    posted_since: Annotated[str | None, Query(max_length=40, description=DATE_HELP)] = None,
    posted_until: Annotated[str | None, Query(max_length=40, description=DATE_HELP)] = None,
    seen_since: Annotated[str | None, Query(max_length=40, description="last seen at or after; " + DATE_HELP)] = None,
    seen_until: Annotated[str | None, Query(max_length=40, description="first seen at or before; " + DATE_HELP)] = None,
    has_contacts: bool | None = None,
    status: query.Status = query.Status.ANY,
    sort: query.Sort = query.Sort.DATE,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> query.SearchParams:
    given: dict[str, Any] = {
        "text": q,
        "contact": contact,
        "site": site or [],
        "platform_type": platform_type or [],
        "kind": kind or [],
        "language": language or [],
        "country": country or [],
        "city": city,
        "category": category or [],
        "indicator": indicator or [],
        "indicator_category": indicator_category or [],
        "min_risk": min_risk,
        "max_risk": max_risk,
        "posted_since": posted_since,
        "posted_until": posted_until,
        "seen_since": seen_since,
        "seen_until": seen_until,
        "has_contacts": has_contacts,
        "status": status,
        "sort": sort,
        "limit": limit,
        "cursor": cursor,
    }
    try:
        return query.SearchParams(**given)
    except ValidationError as exc:
        raise _bad(exc) from exc


Params = Annotated[query.SearchParams, Depends(search_params)]


@router.get("/search", response_model=query.SearchPage)
def search(request: Request, principal: Viewer, params: Params) -> query.SearchPage:
    try:
        page = query.search(database(request), params)
    except query.BadCursor as exc:
        raise HTTPException(status_code=400, detail=f"cursor: {exc}") from exc
    record(request, principal, "search", params.model_dump(mode="json", exclude_defaults=True))
    return page


@router.get("/export", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def export(
    request: Request, principal: Analyst, params: Params, format: Literal["csv", "jsonl"] = "csv"
) -> StreamingResponse:
    """Every listing the search matches (not only a page), streamed as CSV or JSON Lines (analysts and admins)."""
    db = database(request)
    record(request, principal, "export", {**params.model_dump(mode="json", exclude_defaults=True), "format": format})

    def rows() -> Iterator[dict[str, Any]]:
        for doc in query.iter_search(db, params):
            yield csv_row(summarise(doc)) if format == "csv" else doc

    if format == "csv":
        return StreamingResponse(
            csv_lines(CSV_COLUMNS, rows()),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="listings.csv"'},
        )
    return StreamingResponse(
        jsonl_lines(rows()),
        media_type="application/x-ndjson",
        headers={"content-disposition": 'attachment; filename="listings.jsonl"'},
    )


@router.get("/listings/{listing_id}", response_model=query.ListingView, responses={404: {"model": Error}})
def listing(request: Request, principal: Viewer, listing_id: Annotated[str, Path(max_length=300)]) -> Any:
    record(request, principal, "listing.view", {"id": listing_id})
    try:
        return query.show_listing(database(request), listing_id)
    except query.NotFound as exc:
        raise HTTPException(status_code=404, detail=f"no listing {listing_id!r}") from exc


@router.get("/listings/{listing_id}/pivot", response_model=query.PivotResult, responses={404: {"model": Error}})
def pivot(
    request: Request,
    principal: Viewer,
    listing_id: Annotated[str, Path(max_length=300)],
    hops: Annotated[int, Query(ge=1, le=2)] = 1,
) -> Any:
    record(request, principal, "listing.pivot", {"id": listing_id, "hops": hops})
    try:
        return query.pivot(database(request), listing_id, hops)
    except query.NotFound as exc:
        raise HTTPException(status_code=404, detail=f"no listing {listing_id!r}") from exc


@router.get("/entities/{entity}", response_model=query.EntityView, responses={404: {"model": Error}})
def entity(request: Request, principal: Viewer, entity: Annotated[str, Path(max_length=300)]) -> Any:
    record(request, principal, "entity.view", {"id": entity})
    try:
        return query.entity_view(database(request), entity)
    except query.NotFound as exc:
        raise HTTPException(status_code=404, detail=f"no entity {entity!r}") from exc
