"""Keyset-page cursors: the last row's sort key and id, and a fingerprint of the search they belong to.

Opaque to clients (URL-safe base64 of a small JSON array) and checked on the
way back in: a malformed cursor, or one from another search, raises
:class:`BadCursor` instead of reaching the database.
"""

from __future__ import annotations

import base64
import binascii
import json

from crawler.query.models import SearchParams


class BadCursor(ValueError):
    """The cursor is malformed or belongs to another search."""


def encode_cursor(key: float, listing_id: str, params: SearchParams) -> str:
    raw = json.dumps([key, listing_id, params.fingerprint()], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, params: SearchParams) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, listing_id, fingerprint = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadCursor("malformed cursor") from exc
    if not isinstance(key, int | float) or isinstance(key, bool) or not isinstance(listing_id, str):
        raise BadCursor("malformed cursor")
    if fingerprint != params.fingerprint():
        raise BadCursor("this cursor belongs to another search (or its sort)")
    return float(key), listing_id
