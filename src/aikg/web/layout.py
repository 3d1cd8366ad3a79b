"""Place a neighbourhood on a radial drawing: the centre in the middle, one ring per hop.

The layout is deterministic (the same data gives the same picture) and computed here, so the explorer
draws as inline SVG without JavaScript. Numbers only: the template writes the markup, escaping every label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from aikg.graph.paths import Edge, Neighbourhood

#: Most resources drawn; the list under the drawing always shows every link.
MAX_DRAWN = 48
_NODE = 6.0
_CHAR = 6.3  # average width of a character at the drawing's font size
_MAX_CHARS = 30


@dataclass
class PlacedNode:
    """A drawn resource with its position and where its label goes."""

    iri: str
    label: str
    short: str
    type: str | None
    depth: int
    x: float
    y: float
    angle: float  # degrees, for rotating the label along the ray
    anchor: str  # text-anchor of the label: "start" or "end"
    lx: float
    ly: float


@dataclass
class PlacedEdge:
    """A drawn link between two placed resources, subject to object."""

    edge: Edge
    label: str
    x1: float
    y1: float
    x2: float
    y2: float
    mx: float
    my: float
    angle: float
    labelled: bool  # a tree link carries a visible label; a cross link only a tooltip


@dataclass
class Drawing:
    """The placed nodes and edges, and the view box that holds them."""

    nodes: list[PlacedNode] = field(default_factory=list)
    edges: list[PlacedEdge] = field(default_factory=list)
    size: float = 400.0
    hidden: int = 0

    @property
    def view_box(self) -> str:
        """Return the SVG viewBox attribute value."""
        half = self.size / 2
        return f"{-half:.0f} {-half:.0f} {self.size:.0f} {self.size:.0f}"


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_CHARS else text[: _MAX_CHARS - 1].rstrip() + "…"


def _readable(angle: float) -> tuple[float, str]:
    """Return a rotation that keeps text upright, and the anchor that puts it outside the ring."""
    a = (angle + 360) % 360
    if 90 < a < 270:
        return a - 180, "end"
    return a, "start"


def draw(hood: Neighbourhood, max_drawn: int = MAX_DRAWN) -> Drawing:
    """Lay out a neighbourhood radially; the most linked resources are drawn first when there are too many."""
    centre = hood.centre.iri
    links: dict[str, list[Edge]] = {}
    for e in hood.edges:
        links.setdefault(e.subject, []).append(e)
        links.setdefault(e.object, []).append(e)

    def to_centre(n: str) -> tuple[str, str]:
        for e in links.get(n, []):
            if e.other(n) == centre:
                return (hood.property_labels.get(e.property, e.property), "in" if e.object == centre else "out")
        return ("", "")

    ring1 = sorted((v for v in hood.vertices.values() if v.depth == 1),
                   key=lambda v: (*to_centre(v.iri), v.label.casefold(), v.iri))
    ring1 = ring1[:max_drawn]
    order = {v.iri: i for i, v in enumerate(ring1)}
    ring2_all = [v for v in hood.vertices.values() if v.depth == 2]

    def parent(n: str) -> int:
        found = [order[e.other(n)] for e in links.get(n, []) if e.other(n) in order]
        return min(found) if found else len(order)

    room = max(0, max_drawn - len(ring1))
    ring2 = sorted(ring2_all, key=lambda v: (-sum(1 for e in links.get(v.iri, []) if e.other(v.iri) in order),
                                             v.label.casefold()))[:room]
    ring2.sort(key=lambda v: (parent(v.iri), v.label.casefold(), v.iri))

    drawing = Drawing(hidden=len(hood.vertices) - 1 - len(ring1) - len(ring2))
    r1 = max(170.0, 16.0 * len(ring1) / (2 * math.pi))
    r2 = max(r1 + 210.0, 15.0 * len(ring2) / (2 * math.pi)) if ring2 else r1
    longest = max((len(_shorten(v.label)) for v in (*ring1, *ring2)), default=8)
    drawing.size = 2 * (r2 + _NODE + 6 + longest * _CHAR + 12)

    placed: dict[str, PlacedNode] = {}
    centre_label = _shorten(hood.centre.label)
    placed[centre] = PlacedNode(centre, hood.centre.label, centre_label, hood.centre.type, 0, 0.0, 0.0, 0.0,
                                "middle", 0.0, -_NODE - 8)
    for ring, radius in ((ring1, r1), (ring2, r2)):
        for i, v in enumerate(ring):
            theta = -math.pi / 2 + 2 * math.pi * i / max(1, len(ring))
            x, y = radius * math.cos(theta), radius * math.sin(theta)
            rotation, anchor = _readable(math.degrees(theta))
            gap = _NODE + 5
            placed[v.iri] = PlacedNode(v.iri, v.label, _shorten(v.label), v.type, v.depth, x, y, rotation, anchor,
                                       x + gap * math.cos(theta), y + gap * math.sin(theta))
    drawing.nodes = [placed[centre], *(placed[v.iri] for v in (*ring1, *ring2))]

    tree: set[str] = set()
    for e in hood.edges:
        a, b = placed.get(e.subject), placed.get(e.object)
        if a is None or b is None:
            continue
        dx, dy = b.x - a.x, b.y - a.y
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        # A link is a tree link when it joins a resource to the ring inside it for the first time.
        outer = a if a.depth > b.depth else b
        labelled = a.depth != b.depth and outer.iri not in tree
        if labelled:
            tree.add(outer.iri)
        rotation, _ = _readable(math.degrees(math.atan2(dy, dx)))
        drawing.edges.append(PlacedEdge(
            e, hood.property_labels.get(e.property, e.property),
            a.x + ux * _NODE, a.y + uy * _NODE, b.x - ux * (_NODE + 3), b.y - uy * (_NODE + 3),
            # Labels sit past the middle, where neighbouring rays are further apart.
            a.x + dx * (0.58 if a.depth < b.depth else 0.42), a.y + dy * (0.58 if a.depth < b.depth else 0.42),
            rotation, labelled,
        ))
    drawing.edges.sort(key=lambda pe: pe.labelled)  # labelled links drawn last, on top
    return drawing
