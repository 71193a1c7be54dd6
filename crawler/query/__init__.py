"""The analyst query layer: search, facets, listing and entity views, pivots, timelines.

One module the CLI, the HTTP API and the web page share; each answer is a typed
object (:mod:`crawler.query.models`) they only render. Functions take a pymongo
``Database``. See docs/query.md.
"""

from crawler.query.models import (
    EntityView,
    FacetCounts,
    ListingSummary,
    ListingView,
    PivotResult,
    SearchPage,
    SearchParams,
    Sort,
    Status,
    Timeline,
)
from crawler.query.reindex import reindex
from crawler.query.search import BadCursor, iter_search, search
from crawler.query.views import NotFound, cluster_members, entity_view, find_entity, pivot, show_listing, timeline

__all__ = [
    "BadCursor",
    "EntityView",
    "FacetCounts",
    "ListingSummary",
    "ListingView",
    "NotFound",
    "PivotResult",
    "SearchPage",
    "SearchParams",
    "Sort",
    "Status",
    "Timeline",
    "cluster_members",
    "entity_view",
    "find_entity",
    "iter_search",
    "pivot",
    "reindex",
    "search",
    "show_listing",
    "timeline",
]
