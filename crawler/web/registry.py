"""Extension points: the search, listing, entity and dashboard features plug in here.

A feature is a :class:`WebExtension`: a FastAPI router (pages and/or ``/api/v1/...`` routes), the
least role its routes need (create_app enforces it on every route of the router, so a route
cannot be left open by mistake), its navigation links and its own template folder.
The search, listing and pivot pages (routes/search_pages.py) and the evidence downloads
(routes/evidence_api.py) are extensions like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter

from crawler.accounts.roles import Role


@dataclass(frozen=True)
class NavLink:
    label: str
    path: str
    role: Role = Role.VIEWER


@dataclass(frozen=True)
class WebExtension:
    name: str
    router: APIRouter
    role: Role = Role.VIEWER
    nav: tuple[NavLink, ...] = ()
    templates: Path | None = None


def builtin_extensions() -> list[WebExtension]:
    """The extensions every ``trawler serve`` loads (the query layer's search/listing/entity routers go here)."""
    from crawler.web.routes import evidence_api, search_pages
    from crawler.web.routes.api_query import router as query_api
    from crawler.web.routes.dashboard import EXTENSION as dashboard
    from crawler.web.routes.entity_pages import EXTENSION as entity_pages
    from crawler.web.routes.watchlists import EXTENSION as watchlists

    return [
        WebExtension("query-api", query_api, Role.VIEWER),
        search_pages.extension(),
        evidence_api.extension(),
        entity_pages,
        dashboard,
        watchlists,
    ]
