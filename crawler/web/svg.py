"""Geometry of the entity page's two drawings: a timeline (listings by date, one row per site) and a radial
link graph (entity, its listings, their other entities).

Only numbers and ids are computed here; the templates draw them as inline SVG with presentation attributes
and CSS classes (no ``style`` attributes: the CSP forbids inline styles) and print every text through
Jinja's autoescape. Layouts are deterministic (same input, same picture) so tests can check coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crawler.web.links import listing_href

# -- timeline ----------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    """One listing to place: its id, site, date (None: undated) and a label for its tooltip."""

    id: str
    site: str
    at: datetime | None
    label: str


@dataclass(frozen=True)
class Dot:
    id: str
    href: str
    site: str
    at: datetime
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class Row:
    site: str
    y: float


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass
class TimelineChart:
    width: int
    height: int
    left: int
    right: float
    rows: list[Row] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)


def timeline_chart(
    events: Sequence[TimelineEvent],
    width: int = 760,
    left: int = 150,
    row_height: int = 32,
    margin: int = 24,
    right_pad: int = 64,
) -> TimelineChart:
    """Dots placed by date (x, linear between the first and last date) on one row per site (sorted).

    A single date (or all listings on one instant) sits in the middle of the axis. Undated listings are
    returned by id, for the page to list beside the drawing.
    """
    dated = [e for e in events if e.at is not None]
    sites = sorted({e.site for e in events})
    rows = [Row(site, margin + row_height * n + row_height / 2) for n, site in enumerate(sites)]
    y_of = {row.site: row.y for row in rows}
    right = width - right_pad  # room for the last date's label, centred under the last dot
    height = margin * 2 + row_height * len(sites) + 16
    chart = TimelineChart(width, height, left, right, rows, undated=[e.id for e in events if e.at is None])
    if not dated:
        return chart
    start = min(e.at for e in dated)  # type: ignore[type-var]
    end = max(e.at for e in dated)  # type: ignore[type-var]
    span = (end - start).total_seconds()

    def x_of(at: datetime) -> float:
        if span == 0:
            return round((left + right) / 2, 1)
        return round(left + (right - left) * (at - start).total_seconds() / span, 1)

    chart.dots = [
        Dot(e.id, listing_href(e.id), e.site, e.at, e.label, x_of(e.at), y_of[e.site])  # type: ignore[arg-type]
        for e in dated
    ]
    moments = [start] if span == 0 else [start, start + (end - start) / 2, end]
    chart.ticks = [Tick(x_of(at), at.strftime("%Y-%m-%d")) for at in moments]
    return chart


# -- radial link graph -------------------------------------------------------


@dataclass(frozen=True)
class NodeSpec:
    """A node to place: id, kind ("entity" or "listing"), label and link."""

    id: str
    kind: str
    label: str
    href: str


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    label: str
    href: str
    ring: int
    x: float
    y: float


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class GraphLayout:
    size: int
    nodes: list[Node]
    edges: list[Edge]

    @property
    def view_box(self) -> tuple[float, float, int, float]:
        """The full width, and only the height the nodes and their labels use (few nodes sit on one band)."""
        top = max(0.0, min(n.y for n in self.nodes) - 24)
        bottom = min(float(self.size), max(n.y for n in self.nodes) + 36)
        return 0, top, self.size, round(bottom - top, 1)


def ring_positions(count: int, radius: float, centre: float, offset: float = 0.0) -> list[tuple[float, float]]:
    """``count`` points evenly on a circle, the first at 12 o'clock (turned by ``offset`` steps), clockwise."""
    points = []
    for n in range(count):
        angle = 2 * math.pi * (n + offset) / count - math.pi / 2
        points.append((round(centre + radius * math.cos(angle), 1), round(centre + radius * math.sin(angle), 1)))
    return points


def radial_layout(
    centre: NodeSpec,
    inner: Sequence[NodeSpec],
    outer: Sequence[NodeSpec],
    links: Sequence[tuple[str, str]],
    size: int = 560,
) -> GraphLayout:
    """The centre node in the middle, ``inner`` nodes on a first ring (each linked to the centre), ``outer`` on
    a second ring, half a step turned so that its nodes fall between the inner ones; ``links`` are the
    (inner id, outer id) edges. Inner and outer keep the order given."""
    middle = size / 2
    nodes = [Node(centre.id, centre.kind, centre.label, centre.href, 0, middle, middle)]
    # Radii leave room for an outer label (about 140 px) centred under a node at the edge.
    inner_at = ring_positions(len(inner), size * 0.2, middle)
    outer_at = ring_positions(len(outer), size * 0.36, middle, offset=0.5)
    nodes += [Node(s.id, s.kind, s.label, s.href, 1, x, y) for s, (x, y) in zip(inner, inner_at, strict=True)]
    nodes += [Node(s.id, s.kind, s.label, s.href, 2, x, y) for s, (x, y) in zip(outer, outer_at, strict=True)]
    # Looked up per ring: a listing id and an entity id could in principle be the same text.
    first = {n.id: n for n in nodes if n.ring == 1}
    second = {n.id: n for n in nodes if n.ring == 2}
    edges = [Edge(centre.id, n.id, middle, middle, n.x, n.y) for n in first.values()]
    edges += [
        Edge(a, b, first[a].x, first[a].y, second[b].x, second[b].y) for a, b in links if a in first and b in second
    ]
    return GraphLayout(size, nodes, edges)
