"""The entity page, ``/entities/{id or value}``: a phone, e-mail, handle, photo or near-duplicate cluster, every
listing sharing it across sites, on a timeline, and its link graph.

It renders the same :func:`crawler.query.entity_view` answer as ``GET /api/v1/entities/{entity}``, so page and
API agree, and is audited under the same action (``entity.view``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, Response

from crawler import query
from crawler.accounts.roles import Role
from crawler.query.graph import EntityGraph, entity_graph
from crawler.query.models import EntityView
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.links import entity_href, listing_href
from crawler.web.page import render
from crawler.web.registry import WebExtension
from crawler.web.svg import GraphLayout, NodeSpec, TimelineChart, TimelineEvent, radial_layout, timeline_chart

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]

TYPE_NAMES = {
    "phone": "phone number",
    "email": "e-mail address",
    "handle": "messenger handle",
    "image": "photograph",
    "text_cluster": "near-duplicate cluster",
}


def timeline_of(view: EntityView) -> TimelineChart:
    events = [
        TimelineEvent(s.id, s.site, s.posted_at or s.first_seen, s.title or s.snippet[:60] or s.id)
        for s in view.listings
    ]
    return timeline_chart(events)


def graph_layout(graph: EntityGraph) -> GraphLayout:
    centre = NodeSpec(graph.center.id, "entity", graph.center.value, entity_href(graph.center.id))
    inner = [NodeSpec(item.id, "listing", item.label, listing_href(item.id)) for item in graph.listings]
    outer = [NodeSpec(e.id, "entity", f"{e.type}: {e.value}", entity_href(e.id)) for e in graph.entities]
    return radial_layout(centre, inner, outer, graph.edges)


def entity_context(view: EntityView, graph: EntityGraph) -> dict[str, Any]:
    return {
        "view": view,
        "type_name": TYPE_NAMES.get(view.entity.type, view.entity.type),
        "is_cluster": view.entity.type == "text_cluster",
        "timeline": timeline_of(view),
        "graph": graph,
        "layout": graph_layout(graph),
        "listing_href": listing_href,
        "entity_href": entity_href,
    }


@router.get("/entities/{entity}", response_class=HTMLResponse)
def entity_page(request: Request, principal: Viewer, entity: Annotated[str, Path(max_length=300)]) -> Response:
    db = database(request)
    record(request, principal, "entity.view", {"id": entity})
    try:
        if entity.startswith("text_cluster:"):
            view = query.cluster_members(db, entity)
        else:
            view = query.entity_view(db, entity)
    except query.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no entity {entity!r}") from exc
    graph = entity_graph(db, view.entity, view.listings)
    return render(request, "entity.html", entity_context(view, graph), principal)


EXTENSION = WebExtension("entity-pages", router, Role.VIEWER)
