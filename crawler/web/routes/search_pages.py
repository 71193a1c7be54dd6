"""The search page, the listing page and the pivot page, over the query layer (crawler/query).

Same questions, same answers as ``/api/v1/search``, ``/api/v1/listings/{id}`` and ``.../pivot``: the pages
call the same query functions with the same typed parameters and only render the answer. Every search and
view is written to the audit log with the same action and parameters as the API's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from crawler import query
from crawler.accounts.roles import Role
from crawler.query.contacts import phone_candidates
from crawler.query.counters import NONE, stored_facets
from crawler.query.search import parse_text
from crawler.storage.schema import LISTINGS
from crawler.web import search_view as view
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.highlight import query_tokens
from crawler.web.page import render
from crawler.web.registry import WebExtension
from crawler.web.search_form import MANY, BadSearch, changed, export_href, href, parse

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]
ListingId = Annotated[str, Path(min_length=1, max_length=300)]
STYLESHEET = "/static/search.css"


def _helpers(principal: Principal) -> dict[str, Any]:
    return {
        "stylesheet": STYLESHEET,
        "listing_href": view.listing_href,
        "entity_href": view.entity_href,
        "when": view.when,
        "can_export": principal.role.allows(Role.ANALYST),
    }


def _options(db: Any, form: Any) -> dict[str, list[str]]:
    """Values to offer in each multiple-choice filter: every stored one (write-time counters, one read)."""
    known = stored_facets(db)
    options = {}
    for name in MANY:
        values = {v for v in known.get(name, {}) if v != NONE} | set(form.values(name))
        options[name] = sorted(values)
    return options


def _looks_like_contact(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and (bool(phone_candidates(stripped)) or ("@" in stripped and " " not in stripped))


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, principal: Viewer) -> Response:
    db = database(request)
    try:
        form = parse(request.query_params.multi_items())
    except BadSearch as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    params = form.params
    try:
        page = query.search(db, params)
    except query.BadCursor as exc:
        raise HTTPException(status_code=400, detail=f"bad parameter cursor: {exc}") from exc
    record(request, principal, "search", params.model_dump(mode="json", exclude_defaults=True))
    ids = [item.id for item in page.items]
    # The page's rows only (an _id $in of at most `limit`): the indicator matches behind each chip.
    found = db[LISTINGS].find({"_id": {"$in": ids}}, {"indicators": 1}) if ids else []
    indicators = {doc["_id"]: doc.get("indicators") or [] for doc in found}
    terms = parse_text(params.text)
    context = {
        **_helpers(principal),
        "form": form,
        "params": params,
        "page": page,
        "rows": view.rows(page.items, indicators, query_tokens(terms.words)),
        "facets": view.facet_groups(page.facets, form.items),
        "options": _options(db, form),
        "next_href": changed(form.items, add=[("cursor", page.next_cursor)]) if page.next_cursor else None,
        "first_href": changed(form.items) if params.cursor else None,
        "contact_href": changed(form.items, add=[("contact", params.text.strip())], replace=("q",))
        if params.contact is None and _looks_like_contact(params.text)
        else None,
        "reset_href": href([]),
        "export_href": export_href(params),
        # The form always sends its sort and page size: at their defaults they do not open the filters.
        "filters_open": any(
            name not in ("q", "contact", "cursor") and (name, value) not in (("sort", "date"), ("limit", "20"))
            for name, value in form.items
        ),
    }
    return render(request, "search.html", context, principal)


@router.get("/listings/{listing_id}", response_class=HTMLResponse)
def listing_page(request: Request, principal: Viewer, listing_id: ListingId) -> Response:
    record(request, principal, "listing.view", {"id": listing_id})
    try:
        shown = query.show_listing(database(request), listing_id)
    except query.NotFound as exc:
        raise HTTPException(status_code=404, detail=f"no listing {listing_id!r}") from exc
    doc = shown.listing
    versions = view.version_rows(shown.versions, shown.version)
    contacts = doc.get("contacts") if isinstance(doc.get("contacts"), dict) else {}
    context = {
        **_helpers(principal),
        "shown": shown,
        "listing": doc,
        "summary": shown.summary,
        "chips": view.chips(doc.get("indicators") or []),
        "risk": doc.get("risk") if isinstance(doc.get("risk"), dict) else {},
        "contacts": contacts,
        "contact_links": view.contact_links(
            shown.summary.contacts.phones, shown.summary.contacts.emails, shown.summary.contacts.handles
        ),
        "versions": versions,
        "snapshots": view.snapshots(shown, versions),
        "extra": view.extra_fields(doc),
        "others": view.other_fields(doc),
        "stored_json": view.stored_json(doc),
        "pivot_href": f"{view.listing_href(shown.summary.id)}/pivot",
        "evidence_href": f"/api/v1{view.listing_href(shown.summary.id)}/evidence",
    }
    return render(request, "listing.html", context, principal)


@router.get("/listings/{listing_id}/pivot", response_class=HTMLResponse)
def pivot_page(
    request: Request,
    principal: Viewer,
    listing_id: ListingId,
    hops: Annotated[int, Query(ge=1, le=2)] = 1,
) -> Response:
    record(request, principal, "listing.pivot", {"id": listing_id, "hops": hops})
    db = database(request)
    try:
        result = query.pivot(db, listing_id, hops)
    except query.NotFound as exc:
        raise HTTPException(status_code=404, detail=f"no listing {listing_id!r}") from exc
    start = db[LISTINGS].find_one({"_id": result.start}, {"title": 1})
    context = {
        **_helpers(principal),
        "result": result,
        "start_title": (start or {}).get("title"),
        "start_href": view.listing_href(result.start),
        "hops_href": {n: f"{view.listing_href(result.start)}/pivot?hops={n}" for n in (1, 2)},
    }
    return render(request, "listing_pivot.html", context, principal)


def extension() -> WebExtension:
    """The search, listing and pivot pages (any signed-in role)."""
    return WebExtension("search-pages", router, Role.VIEWER)
