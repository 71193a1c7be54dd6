"""Watchlists on the web page (``/watchlists``) and in the API (``/api/v1/watchlists``), for analysts.

An analyst sees and changes only their own watchlists: another user's id answers 404, as if it did not
exist. Creating, deleting, viewing and marking seen are audited. The forms that save a search or watch an
entity from other pages are macros in ``templates/_watch_buttons.html``; they post to ``POST /watchlists``
with the search's own parameter names (crawler/web/search_form.py reads them, as the search page does).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from crawler.accounts.roles import Role
from crawler.query.models import utc
from crawler.watchlists import (
    ChannelName,
    Hit,
    Kind,
    UnknownEntity,
    Watchlist,
    WatchlistExists,
    WatchlistSpec,
    WatchlistSummary,
    create,
    store,
    summaries,
)
from crawler.watchlists.models import WATCHLIST_ID_PATTERN, LastNotice
from crawler.watchlists.service import summary
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.models import Error
from crawler.web.page import render
from crawler.web.registry import NavLink, WebExtension
from crawler.web.search_form import BadSearch, parse

pages = APIRouter(include_in_schema=False)
api = APIRouter(
    prefix="/api/v1/watchlists",
    tags=["watchlists"],
    responses={401: {"model": Error}, 403: {"model": Error}},
)

Analyst = Annotated[Principal, Depends(require_role(Role.ANALYST))]
WatchlistId = Annotated[str, Path(pattern=WATCHLIST_ID_PATTERN, description="the watchlist's id")]
PAGE = 100
# Form fields of POST /watchlists that are not search parameters.
OWN_FIELDS = ("csrf_token", "name", "watch", "entity", "notify")


class WatchlistOut(BaseModel):
    id: str
    owner: str
    name: str
    kind: Kind
    watches: str = Field(description="what is watched, in words")
    search: dict[str, Any] | None = Field(None, description="the saved search's parameters (query layer names)")
    entity: str | None = None
    notify: list[ChannelName]
    created: datetime
    checkpoint: datetime
    last_check: datetime | None = None
    last_error: str | None = None
    last_notice: LastNotice | None = None
    unseen: int = Field(description="hits not marked seen")
    hits: int

    @classmethod
    def of(cls, s: WatchlistSummary) -> WatchlistOut:
        w = s.watchlist
        search = w.search.model_dump(mode="json", exclude_defaults=True) if w.search else None
        data = w.model_dump(exclude={"search"})
        return cls(**data, search=search, watches=w.describe(), unseen=s.unseen, hits=s.hits)


class HitPage(BaseModel):
    items: list[Hit]
    next_cursor: str | None = Field(None, description="pass as `cursor` for older hits; null on the last page")
    limit: int


class Marked(BaseModel):
    marked: int = Field(description="hits that were unseen and are now seen")


# -- shared --------------------------------------------------------------------


def _own(request: Request, principal: Principal, watchlist_id: str) -> Watchlist:
    watchlist = store.get(database(request), watchlist_id, owner=principal.username)
    if watchlist is None:  # another user's watchlist is not revealed
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"you have no watchlist {watchlist_id}")
    return watchlist


def _encode(key: tuple[datetime, str] | None) -> str | None:
    if key is None:
        return None
    raw = json.dumps([key[0].isoformat(), key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        at, hit_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = utc(datetime.fromisoformat(at))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "cursor: malformed cursor") from exc
    if moment is None or not isinstance(hit_id, str):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "cursor: malformed cursor")
    return moment, hit_id


def _create(request: Request, principal: Principal, spec: WatchlistSpec) -> Watchlist:
    try:
        watchlist = create(database(request), principal.username, spec)
    except WatchlistExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"you already have a watchlist named {spec.name!r}") from exc
    except UnknownEntity as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    record(
        request, principal, "watchlist.create", {"id": watchlist.id, "name": watchlist.name, "kind": spec.kind.value}
    )
    return watchlist


def _delete(request: Request, principal: Principal, watchlist_id: str) -> None:
    watchlist = _own(request, principal, watchlist_id)
    store.delete(database(request), watchlist.id, owner=principal.username)
    record(request, principal, "watchlist.delete", {"id": watchlist.id, "name": watchlist.name})


# -- pages ---------------------------------------------------------------------


def _list_page(request: Request, principal: Principal, message: str = "", code: int = 200) -> Response:
    listed = summaries(database(request), principal.username)
    return render(request, "watchlists.html", {"summaries": listed, "message": message}, principal, code)


@pages.get("/watchlists", response_class=HTMLResponse)
def watchlists_page(request: Request, principal: Analyst) -> Response:
    return _list_page(request, principal)


def _form_spec(items: list[tuple[str, str]]) -> WatchlistSpec:
    """The form of POST /watchlists as a spec; raises ValueError with a message for the page."""
    own: dict[str, list[str]] = {}
    for key, value in items:
        if key in OWN_FIELDS:
            own.setdefault(key, []).append(value)
    search_items = [(k, v) for k, v in items if k not in OWN_FIELDS and k not in ("cursor", "limit", "sort")]
    watch = (own.get("watch") or ["search"])[0]
    values: dict[str, Any] = {"name": (own.get("name") or [""])[0], "notify": own.get("notify") or []}
    if watch == "entity":
        values.update(kind=Kind.ENTITY, entity=(own.get("entity") or [""])[0].strip())
        if search_items and any(v.strip() for _, v in search_items):
            raise ValueError("an entity watchlist takes no search parameters")
    elif watch == "search":
        try:
            values.update(kind=Kind.SEARCH, search=parse(search_items).params)
        except BadSearch as exc:
            raise ValueError(str(exc)) from exc
    else:
        raise ValueError("watch must be search or entity")
    try:
        return WatchlistSpec.model_validate(values)
    except ValidationError as exc:
        raise ValueError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from exc


@pages.post("/watchlists", response_class=HTMLResponse)
async def create_from_form(request: Request, principal: Analyst) -> Response:
    form = await request.form()
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    try:
        spec = _form_spec(items)
        watchlist = await run_in_threadpool(_create, request, principal, spec)
    except ValueError as exc:
        return await run_in_threadpool(_list_page, request, principal, str(exc), status.HTTP_400_BAD_REQUEST)
    except HTTPException as exc:
        return await run_in_threadpool(_list_page, request, principal, str(exc.detail), exc.status_code)
    return RedirectResponse(f"/watchlists/{watchlist.id}", status_code=status.HTTP_303_SEE_OTHER)


@pages.get("/watchlists/{watchlist_id}", response_class=HTMLResponse)
def watchlist_page(
    request: Request,
    principal: Analyst,
    watchlist_id: WatchlistId,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> Response:
    watchlist = _own(request, principal, watchlist_id)
    db = database(request)
    hits, more = store.hits_page(db, watchlist.id, PAGE, _decode(cursor))
    record(request, principal, "watchlist.view", {"id": watchlist.id})
    rows = [(hit, "/listings/" + quote(hit.listing_id, safe=":@+")) for hit in hits]
    context = {"s": summary(db, watchlist), "rows": rows, "next_cursor": _encode(more), "older": cursor is not None}
    return render(request, "watchlist.html", context, principal)


@pages.post("/watchlists/{watchlist_id}/seen")
def mark_seen_form(request: Request, principal: Analyst, watchlist_id: WatchlistId) -> Response:
    watchlist = _own(request, principal, watchlist_id)
    marked = store.mark_seen(database(request), watchlist.id)
    record(request, principal, "watchlist.seen", {"id": watchlist.id, "marked": marked})
    return RedirectResponse(f"/watchlists/{watchlist.id}", status_code=status.HTTP_303_SEE_OTHER)


@pages.post("/watchlists/{watchlist_id}/delete")
def delete_form(request: Request, principal: Analyst, watchlist_id: WatchlistId) -> Response:
    _delete(request, principal, watchlist_id)
    return RedirectResponse("/watchlists", status_code=status.HTTP_303_SEE_OTHER)


# -- API -----------------------------------------------------------------------


@api.get("", response_model=list[WatchlistOut])
def list_api(request: Request, principal: Analyst) -> list[WatchlistOut]:
    """Your watchlists, newest first, with their unseen and total hits."""
    return [WatchlistOut.of(s) for s in summaries(database(request), principal.username)]


@api.post(
    "",
    response_model=WatchlistOut,
    status_code=status.HTTP_201_CREATED,
    responses={404: {"model": Error}, 409: {"model": Error}},
)
def create_api(request: Request, principal: Analyst, spec: WatchlistSpec) -> WatchlistOut:
    """A new watchlist: ``{"name", "kind": "search", "search": {...}}`` (the query layer's search parameters) or
    ``{"name", "kind": "entity", "entity": "phone:+44..." or a value in any written form}``; ``notify``: the
    installation's alert channels to use (``webhook``, ``email``). Only listings new or changed from now on
    become hits."""
    watchlist = _create(request, principal, spec)
    return WatchlistOut.of(summary(database(request), watchlist))


@api.get("/{watchlist_id}", response_model=WatchlistOut, responses={404: {"model": Error}})
def get_api(request: Request, principal: Analyst, watchlist_id: WatchlistId) -> WatchlistOut:
    return WatchlistOut.of(summary(database(request), _own(request, principal, watchlist_id)))


@api.get("/{watchlist_id}/hits", response_model=HitPage, responses={404: {"model": Error}})
def hits_api(
    request: Request,
    principal: Analyst,
    watchlist_id: WatchlistId,
    limit: Annotated[int, Query(ge=1, le=store.MAX_HITS_PAGE)] = PAGE,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    unseen: bool = False,
) -> HitPage:
    """The watchlist's hits, newest first (one per listing version found), in keyset pages."""
    watchlist = _own(request, principal, watchlist_id)
    hits, more = store.hits_page(database(request), watchlist.id, limit, _decode(cursor), unseen_only=unseen)
    record(request, principal, "watchlist.view", {"id": watchlist.id})
    return HitPage(items=hits, next_cursor=_encode(more), limit=limit)


@api.post("/{watchlist_id}/seen", response_model=Marked, responses={404: {"model": Error}})
def mark_seen_api(request: Request, principal: Analyst, watchlist_id: WatchlistId) -> Marked:
    """Mark every hit of the watchlist seen."""
    watchlist = _own(request, principal, watchlist_id)
    marked = store.mark_seen(database(request), watchlist.id)
    record(request, principal, "watchlist.seen", {"id": watchlist.id, "marked": marked})
    return Marked(marked=marked)


@api.delete("/{watchlist_id}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {"model": Error}})
def delete_api(request: Request, principal: Analyst, watchlist_id: WatchlistId) -> Response:
    """Delete the watchlist and its hits."""
    _delete(request, principal, watchlist_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


router = APIRouter()
router.include_router(pages)
router.include_router(api)

EXTENSION = WebExtension("watchlists", router, Role.ANALYST, nav=(NavLink("Watchlists", "/watchlists", Role.ANALYST),))
