"""Paths of the pages of a listing and of an entity, with their ids quoted (ids hold ``:``, ``@``, ``+``)."""

from __future__ import annotations

from urllib.parse import quote


def listing_href(listing_id: str) -> str:
    return "/listings/" + quote(listing_id, safe=":@+")


def entity_href(entity_id: str) -> str:
    return "/entities/" + quote(entity_id, safe=":@+")
