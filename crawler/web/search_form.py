"""The search page's query string ↔ :class:`crawler.query.SearchParams`, and the links that change it.

Everything the page does is a GET with the filters in the URL (bookmarkable, shareable in a case note).
Parameter names are the HTTP API's (``q``, ``site``, ``min_risk``...), plus the filters the form adds.
An HTML form sends its empty fields as ``name=``: those mean "not set". A bad value is a
:class:`BadSearch` naming the parameter; an unknown parameter is one too, so ``site[$ne]=x`` is refused
rather than ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from crawler.query import SearchParams

# URL parameter → SearchParams field. Lists take the parameter repeated (site=a&site=b: a or b).
SINGLE = {
    "q": "text",
    "contact": "contact",
    "city": "city",
    "min_risk": "min_risk",
    "max_risk": "max_risk",
    "posted_since": "posted_since",
    "posted_until": "posted_until",
    "seen_since": "seen_since",
    "seen_until": "seen_until",
    "has_contacts": "has_contacts",
    "status": "status",
    "sort": "sort",
    "limit": "limit",
    "cursor": "cursor",
}
MANY = ("site", "platform_type", "kind", "language", "country", "category", "indicator", "indicator_category")
FIELD_TO_PARAM = {field: name for name, field in SINGLE.items()} | {name: name for name in MANY}
PAGE_PATH = "/search"
EXPORT_PATH = "/api/v1/export"

Items = list[tuple[str, str]]


class BadSearch(ValueError):
    """A search parameter the page cannot use; ``param`` is its name in the URL."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"bad parameter {param}: {message}")
        self.param = param


@dataclass(frozen=True)
class SearchForm:
    """The parsed query string: the typed search, and the items as given (to fill the form and build links)."""

    params: SearchParams
    items: Items

    def value(self, name: str) -> str:
        return next((v for k, v in self.items if k == name), "")

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.items if k == name]


def parse(query_items: Sequence[tuple[str, str]]) -> SearchForm:
    """Read a query string (as ``request.query_params.multi_items()``); raises :class:`BadSearch`."""
    items = [(k, v) for k, v in query_items if v.strip() != ""]
    given: dict[str, Any] = {}
    for name, value in items:
        if name in MANY:
            given.setdefault(name, []).append(value.strip())
        elif name in SINGLE:
            field = SINGLE[name]
            if field in given:
                raise BadSearch(name, "given more than once")
            given[field] = value if name == "q" else value.strip()
        else:
            known = ", ".join(sorted([*SINGLE, *MANY]))
            raise BadSearch(name[:60], f"not a search parameter (known: {known})")
    try:
        params = SearchParams(**given)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "q"
        raise BadSearch(FIELD_TO_PARAM.get(field, field), error["msg"]) from exc
    return SearchForm(params, items)


def href(items: Items) -> str:
    return f"{PAGE_PATH}?{urlencode(items)}" if items else PAGE_PATH


def export_href(params: SearchParams, fmt: str = "csv") -> str:
    """``GET /api/v1/export`` of this very search (same parameter names): every match, so no page or cursor.

    Built from the parsed search rather than the raw query string, so a bare "until" date keeps the whole day.
    """
    data = params.model_dump(mode="json", exclude_defaults=True, exclude={"limit", "cursor", "facets"})
    items = [("format", fmt)]
    for field, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            items.append((FIELD_TO_PARAM.get(field, field), str(one).lower() if isinstance(one, bool) else str(one)))
    return f"{EXPORT_PATH}?{urlencode(items)}"


def changed(
    items: Items,
    add: Sequence[tuple[str, str]] = (),
    remove: Sequence[tuple[str, str]] = (),
    replace: Sequence[str] = (),
) -> str:
    """A link to the search with ``remove`` pairs taken out, ``replace`` names cleared, ``add`` pairs put in.

    A changed search starts again at its first page (its cursor would belong to another search).
    """
    dropped = {*replace, *(name for name, _ in add if name not in MANY), "cursor"}
    out = [(k, v) for k, v in items if k not in dropped and (k, v) not in remove]
    out += [pair for pair in add if pair not in out]
    return href(out)
