"""Conditional GET for the demo server: ETag and Last-Modified on every page, 304 when they still match.

The ETag is a hash of the body as served (so a logged-in page, which differs,
has its own), and Last-Modified is the moment the platform was built: the demo
keeps no per-page edit times. As RFC 9110 (13.2.2) requires, ``If-None-Match``
is checked first and ``If-Modified-Since`` only when no ``If-None-Match`` came,
so a client sending both (Trawler does) is never given a wrong 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:24] + '"'


def _matches(header: str, etag: str) -> bool:
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or etag in wanted


def _not_modified_since(header: str, modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and modified.replace(microsecond=0) <= since


def conditional_middleware(modified: datetime) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """An aiohttp middleware adding validators to 200 responses and answering 304 when they match."""
    last_modified = format_datetime(modified, usegmt=True)

    @web.middleware
    async def conditional(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if request.method not in ("GET", "HEAD") or response.status != 200 or not isinstance(response, web.Response):
            return response
        body = response.body if isinstance(response.body, bytes) else b""
        etag = entity_tag(body)
        response.headers["ETag"] = etag
        response.headers["Last-Modified"] = last_modified
        none_match = request.headers.get("If-None-Match")
        since = request.headers.get("If-Modified-Since")
        if (none_match and _matches(none_match, etag)) or (
            not none_match and since and _not_modified_since(since, modified)
        ):
            return web.Response(status=304, headers={"ETag": etag, "Last-Modified": last_modified})
        return response

    return conditional
