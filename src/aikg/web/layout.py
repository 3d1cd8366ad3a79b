"""Lay a neighbourhood out in columns, so that no label can overlap another: the centre in the middle, what
points at it on the left, what it points at on the right, two links away in the outer columns.

Every resource is a box of its own row, its label written horizontally inside it (cut with "…" to the
column's width; the full label is its tooltip and is in the list under the drawing). Links one away are
grouped by property, each group under a heading that names the property ("produced by →"), so the arrows
need no labels; links two away are drawn as curves whose tooltip names the property. A column holds at
most so many rows: a group cut short ends with a "+ N more" box, and what was left out is counted for the
note under the drawing. The layout is deterministic (the same data gives the same picture) and computed
here, so the explorer draws as inline SVG without JavaScript. Numbers only: the template writes the
markup, escaping every label.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from aikg.graph.labels import KIND_NAMES
from aikg.graph.paths import Edge, Neighbourhood, Vertex

#: Rows of a column, and resources of one property group, before the rest is left out.
MAX_ROWS = 36
MAX_GROUP = 8
#: Resources drawn two links away, per side.
MAX_OUTER = 20
#: Geometry, in SVG units (one unit is one CSS pixel: the drawing is shown at its own size): boxes are wider,
#: and further apart, when three columns share the width than when five do.
WIDE, NARROW = (240.0, 130.0), (180.0, 40.0)  # (box width, gap between columns)
BOX_H, ROW, HEAD = 26.0, 32.0, 24.0
MARGIN = 12.0
_CHAR = 6.7  # average width of a character of the 12px label font


@dataclass
class Box:
    """A drawn resource: its place, its label (cut to fit) and its kind (the colour)."""

    iri: str
    label: str
    short: str
    kind: str
    type: str | None
    depth: int
    column: int  # -2 .. 2, 0 the centre
    x: float
    y: float
    w: float = WIDE[0]
    h: float = BOX_H

    @property
    def cx(self) -> float:
        """Return the middle of the box, across."""
        return self.x + self.w / 2

    @property
    def tx(self) -> float:
        """Return where the label starts, after the colour mark."""
        return self.x + 14

    @property
    def ty(self) -> float:
        """Return the baseline of the label."""
        return self.y + self.h / 2 + 4


@dataclass
class Heading:
    """The property a group of links shares, written above the group."""

    text: str
    x: float
    y: float


@dataclass
class Curve:
    """A link drawn from subject to object, with the property it states as its tooltip."""

    d: str
    subject: str
    object: str
    label: str


@dataclass
class More:
    """A box that stands for the resources of a group that were left out; it links to the list below."""

    count: int
    text: str
    x: float
    y: float
    w: float = WIDE[0]
    h: float = BOX_H


@dataclass
class Drawing:
    """What to draw, and what was left out of it."""

    width: float
    height: float
    boxes: list[Box] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    curves: list[Curve] = field(default_factory=list)
    mores: list[More] = field(default_factory=list)
    #: Resources (and links) of the neighbourhood that are not drawn; the list under the drawing has them.
    hidden: int = 0
    hidden_links: int = 0
    #: The kinds drawn, for the legend: (kind, name).
    kinds: list[tuple[str, str]] = field(default_factory=list)

    @property
    def view_box(self) -> str:
        """Return the SVG viewBox attribute value."""
        return f"0 0 {self.width:.0f} {self.height:.0f}"

    @property
    def nodes(self) -> list[Box]:
        """Return the drawn resources (the centre first)."""
        return self.boxes


def _shorten(text: str, width: float) -> str:
    limit = int((width - 18) / _CHAR)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _x(column: int, columns: int) -> float:
    """Return the left edge of a column (columns -2..2 when two links away are drawn, else -1..1)."""
    first, (w, gap) = (-2, NARROW) if columns == 5 else (-1, WIDE)
    return MARGIN + (column - first) * (w + gap)


def _curve(a: Box, b: Box) -> str:
    """Return a path from the side of box `a` facing `b` to the side of `b` facing `a`, leaving and
    arriving horizontally."""
    if a.column <= b.column:
        x1, x2 = a.x + a.w, b.x
    else:
        x1, x2 = a.x, b.x + b.w
    y1, y2 = a.y + a.h / 2, b.y + b.h / 2
    bend = (x2 - x1) * 0.5
    end = x2 - 7 if x2 > x1 else x2 + 7  # stop short of the box, where the arrowhead goes
    return f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {end - bend:.1f},{y2:.1f} {end:.1f},{y2:.1f}"


def draw(hood: Neighbourhood, max_rows: int = MAX_ROWS, max_group: int = MAX_GROUP,
         max_outer: int = MAX_OUTER) -> Drawing:
    """Lay a neighbourhood out in columns (see the module's docstring)."""
    centre = hood.centre.iri
    labels = hood.property_labels
    two = hood.hops == 2 and any(d == 2 for d in hood.depth.values())
    columns = 5 if two else 3
    w = (NARROW if two else WIDE)[0]

    # One link away: subjects of links to the centre on the left, objects on the right (arrows run right),
    # grouped by property; a resource linked through several properties goes in the smallest group (the
    # most telling relation), and small groups come first, so a cut falls on the large ones.
    options: dict[str, list[tuple[int, str]]] = defaultdict(list)
    sizes: dict[tuple[int, str], int] = defaultdict(int)
    for e in hood.edges:
        if centre not in (e.subject, e.object) or e.subject == e.object or e.other(centre) not in hood.depth:
            continue
        key = (-1 if e.object == centre else 1, e.property)
        options[e.other(centre)].append(key)
        sizes[key] += 1
    sides: dict[int, dict[str, list[Vertex]]] = {-1: defaultdict(list), 1: defaultdict(list)}
    for other, keys in options.items():
        chosen_side, chosen = min(keys, key=lambda k: (sizes[k], labels.get(k[1], k[1]).casefold(), k))
        sides[chosen_side][chosen].append(hood.vertices[other])
    for which in sides:
        sides[which] = dict(sorted(sides[which].items(), key=lambda item: (len(item[1]), labels.get(item[0], item[0]))))

    drawing = Drawing(0.0, 0.0)
    boxes: dict[str, Box] = {}
    tallest = 0.0
    for side, groups in sides.items():
        x = _x(side, columns)
        y = MARGIN
        rows = 0
        for prop, members in groups.items():
            members.sort(key=lambda v: (v.label.casefold(), v.iri))
            if rows + 2 > max_rows:
                drawing.hidden += len(members)
                continue
            label = labels.get(prop, prop)
            drawing.headings.append(Heading(f"{label} →" if side < 0 else f"→ {label}", x, y + HEAD - 8))
            y += HEAD
            room = min(max_group, max_rows - rows - 1)
            shown = members if len(members) <= room else members[: room - 1]
            for v in shown:
                boxes[v.iri] = Box(v.iri, v.label, _shorten(v.label, w), v.kind, v.type, 1, side, x, y, w)
                y += ROW
            rows += 1 + len(shown)
            if len(shown) < len(members):
                left = len(members) - len(shown)
                drawing.mores.append(More(left, _shorten(f"+ {left} more: {label}", w), x, y, w))
                drawing.hidden += left
                y += ROW
                rows += 1
            y += 6
        tallest = max(tallest, y)

    # Two links away: beside the resource one away that links them (the one drawn highest), most linked first.
    if two:
        parents: dict[str, list[Box]] = defaultdict(list)
        links: dict[str, list[Edge]] = defaultdict(list)
        for e in hood.edges:
            for near, far in ((e.subject, e.object), (e.object, e.subject)):
                if near in boxes and hood.depth.get(far) == 2:
                    parents[far].append(boxes[near])
                    links[far].append(e)
        outer: dict[int, list[tuple[float, str]]] = {-2: [], 2: []}
        for far, nearby in sorted(parents.items(), key=lambda item: (-len(item[1]), item[0])):
            # The side most of its links come from; on a tie, the side with room.
            right = sum(1 for b in nearby if b.column > 0)
            left = len(nearby) - right
            column = 2 if right > left or (right == left and len(outer[2]) < len(outer[-2])) else -2
            ys = [b.y for b in nearby if (b.column > 0) == (column > 0)]
            outer[column].append((sum(ys) / len(ys), far))
        for column, candidates in outer.items():
            ranked = sorted(candidates, key=lambda m: (-len(parents[m[1]]), hood.label(m[1]).casefold()))
            keep = {far for _, far in ranked[:max_outer]}
            drawing.hidden += len(candidates) - len(keep)
            x = _x(column, columns)
            y = MARGIN + HEAD
            for _, far in sorted((m for m in candidates if m[1] in keep), key=lambda m: (m[0], m[1])):
                v = hood.vertices[far]
                boxes[far] = Box(v.iri, v.label, _shorten(v.label, w), v.kind, v.type, 2, column, x, y, w)
                y += ROW
            tallest = max(tallest, y)
        drawing.hidden += sum(1 for n, d in hood.depth.items() if d == 2 and n not in parents)

    height = max(tallest + MARGIN, 3 * ROW + 2 * MARGIN)
    middle = _x(0, columns)
    centre_box = Box(centre, hood.centre.label, _shorten(hood.centre.label, w), hood.centre.kind, hood.centre.type,
                     0, 0, middle, max(MARGIN, (height - BOX_H) / 2), w, BOX_H + 6)
    drawing.boxes = [centre_box, *sorted(boxes.values(), key=lambda b: (b.column, b.y))]
    every = {centre: centre_box, **boxes}

    drawn_links = set()
    for e in hood.edges:
        a, b = every.get(e.subject), every.get(e.object)
        if a is None or b is None or a.column == b.column:
            continue
        if a.column * b.column < 0:
            continue  # from one side to the other, across the centre: the list has it
        if a.depth == b.depth:
            continue
        drawn_links.add(e)
        drawing.curves.append(Curve(_curve(a, b), e.subject, e.object, labels.get(e.property, e.property)))
    drawing.hidden_links = len(hood.edges) - len(drawn_links)
    drawing.width = _x(columns // 2, columns) + w + MARGIN
    drawing.height = height
    kinds = dict.fromkeys(b.kind for b in drawing.boxes)
    drawing.kinds = [(k, KIND_NAMES.get(k, k)) for k in KIND_NAMES if k in kinds]
    return drawing
