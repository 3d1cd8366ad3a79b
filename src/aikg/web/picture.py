"""Lay the timeline out as a picture: a proportional time axis, one lane per organisation (or per kind of
what the milestones are about), a mark per milestone.

A mark is a 24 × 24 target around a dot at its date. Marks of a lane that would touch go on the next row of
the lane; past the last row they are counted instead, in a "+ N" mark per column of the axis that opens the
list of those milestones (the timeline filtered to their years and lane). A label is written beside a mark
only where the row has room for it; the full label is each mark's tooltip, and the list under the picture
has every milestone. Eras are shaded bands along the top. The layout is deterministic and computed here, so
the picture draws as inline SVG without JavaScript; the template escapes every label.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from aikg.graph.labels import KIND_NAMES
from aikg.graph.timeline import ABOUT_KINDS, Entry, Era

#: Geometry in CSS pixels (the picture is shown at its own size, in a box that scrolls on a small screen).
LEFT, PLOT, RIGHT = 168.0, 916.0, 18.0
TOP, BAND, AXIS = 8.0, 26.0, 30.0
ROW, TARGET, LANE_PAD = 26.0, 24.0, 6.0
#: Rows of marks in a lane before the rest are counted in "+ N" marks, and lanes by organisation.
MAX_ROWS = 4
MAX_LANES = 8
_CHAR = 6.9  # a generous average width of a character of the 11.5px label font


@dataclass
class Mark:
    """A milestone on the picture."""

    entry: Entry
    x: float
    y: float
    label: str = ""  # written beside the dot when the row has room, else ""

    @property
    def iri(self) -> str:
        """Return the milestone's IRI."""
        return self.entry.iri

    @property
    def title(self) -> str:
        """Return the tooltip: the label, the date, who made it."""
        e = self.entry
        when = e.when.text if e.when else (str(e.year) if e.year else "")
        by = ", ".join(r.label for r in e.organisations)
        return e.label + (f", {when}" if when else "") + (f" ({by})" if by else "")


@dataclass
class Cluster:
    """Milestones of one lane, in one column of the axis, that did not fit: "+ N", opening their list."""

    count: int
    x: float
    y: float
    since: int
    until: int
    lane: Lane

    @property
    def filters(self) -> dict[str, str | int]:
        """Return the timeline arguments that list these milestones: their years, and their lane."""
        out: dict[str, str | int] = {"from": self.since, "to": self.until}
        if self.lane.facet:
            out[self.lane.facet] = self.lane.key
        return out


@dataclass
class Lane:
    """A band of the picture: an organisation (its IRI), a kind, or the rest."""

    key: str
    label: str
    facet: str | None  # the timeline filter that shows this lane alone ("org", "kind"), if any
    y: float = 0.0
    height: float = 0.0
    count: int = 0


@dataclass
class Tick:
    """A year on the axis, and the year of the list it opens at (the first year with milestones from it)."""

    year: int
    x: float
    target: int | None
    page: int = 1


@dataclass
class Band:
    """An era along the top of the picture."""

    era: Era
    x1: float
    x2: float
    short: str

    @property
    def linked(self) -> bool:
        """Tell whether the band is wide enough to be a link (a target of 24 px at least)."""
        return self.x2 - self.x1 >= TARGET


@dataclass
class Picture:
    """What to draw."""

    width: float
    height: float
    first: int
    last: int
    lanes: list[Lane] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    undated: int = 0
    mode: str = "org"

    @property
    def view_box(self) -> str:
        """Return the SVG viewBox attribute value."""
        return f"0 0 {self.width:.0f} {self.height:.0f}"

    @property
    def plot_left(self) -> float:
        """Return where the axis starts."""
        return LEFT

    @property
    def plot_right(self) -> float:
        """Return where the axis ends."""
        return LEFT + PLOT

    @property
    def counted(self) -> int:
        """Return how many milestones the "+ N" marks hold."""
        return sum(c.count for c in self.clusters)


def _position(e: Entry) -> float | None:
    """Return a milestone's place in time as a fractional year (mid-year for a year alone)."""
    if e.when is not None:
        w = e.when
        if w.precision == "day":
            return w.year + (w.month - 1) / 12 + (w.day - 1) / 365
        if w.precision == "month":
            return w.year + (w.month - 0.5) / 12
        return w.year + 0.5
    return e.year + 0.5 if e.year is not None else None


def _step(span: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if span / step <= 16:
            return step
    return 200


def _lanes(entries: list[Entry], mode: str) -> tuple[list[Lane], dict[str, Lane]]:
    """Choose the lanes and say which lane each milestone goes in."""
    of: dict[str, Lane] = {}
    if mode == "kind":
        present = Counter(e.kind for e in entries)
        order = [k for k in (*ABOUT_KINDS, "other") if present.get(k)]
        lanes = {k: Lane(k, KIND_NAMES.get(k, k).capitalize() if k != "other" else "Other", "kind") for k in order}
        for e in entries:
            of[e.iri] = lanes[e.kind if e.kind in lanes else "other"]
        return list(lanes.values()), of
    counts: Counter[str] = Counter(r.iri for e in entries for r in e.organisations)
    labels = {r.iri: r.label for e in entries for r in e.organisations}
    top = [iri for iri, _ in sorted(counts.items(), key=lambda item: (-item[1], labels[item[0]].casefold()))]
    top = top[:MAX_LANES] if len(top) <= MAX_LANES + 1 else top[: MAX_LANES - 1]
    rank = {iri: i for i, iri in enumerate(top)}
    lanes_by = {iri: Lane(iri, labels[iri], "org") for iri in top}
    rest = Lane("", "Other organisations", None)
    none = Lane("-", "No organisation stated", None)
    for e in entries:
        mine = sorted((r.iri for r in e.organisations if r.iri in rank), key=rank.__getitem__)
        of[e.iri] = lanes_by[mine[0]] if mine else (rest if e.organisations else none)
    used = {id(lane) for lane in of.values()}
    ordered = [lane for lane in (*(lanes_by[i] for i in top), rest, none) if id(lane) in used]
    return ordered, of


def draw(entries: list[Entry], eras: list[Era], mode: str = "org", years: dict[int, int] | None = None) -> Picture:
    """Lay out the milestones `entries` (in date order) in lanes by organisation ("org") or kind ("kind").

    `years` maps each year that has milestones to the page of the list where it starts (for the axis links).
    """
    placed = [(e, p) for e in entries if (p := _position(e)) is not None]
    undated = len(entries) - len(placed)
    if not placed:
        return Picture(LEFT + PLOT + RIGHT, TOP + AXIS, 0, 0, undated=undated, mode=mode)
    low = min(p for _, p in placed)
    high = max(p for _, p in placed)
    step = _step(max(1, math.ceil(high) - math.floor(low)))
    first = math.floor(low / step) * step
    last = max(first + step, math.ceil((high + 1e-9) / step) * step)
    scale = PLOT / (last - first)

    def x_of(position: float) -> float:
        return LEFT + (position - first) * scale

    picture = Picture(LEFT + PLOT + RIGHT, 0.0, first, last, undated=undated, mode=mode)
    lanes, lane_of = _lanes([e for e, _ in placed], mode)
    by_lane: dict[int, list[tuple[Entry, float]]] = defaultdict(list)
    for e, p in placed:
        by_lane[id(lane_of[e.iri])].append((e, x_of(p)))

    y = TOP + BAND
    for lane in lanes:
        members = by_lane[id(lane)]
        lane.count = len(members)
        ends = [-math.inf] * MAX_ROWS
        rows: list[list[Mark]] = [[] for _ in range(MAX_ROWS)]
        overflow: dict[int, list[tuple[Entry, float]]] = defaultdict(list)
        for e, x in sorted(members, key=lambda m: (m[1], m[0].label)):
            free = next((r for r in range(MAX_ROWS) if ends[r] + TARGET <= x), None)
            if free is None:
                overflow[int((x - LEFT) // TARGET)].append((e, x))
                continue
            ends[free] = x
            rows[free].append(Mark(e, x, y + LANE_PAD + free * ROW + ROW / 2))
        used = max((r + 1 for r in range(MAX_ROWS) if rows[r]), default=1)
        for row in rows:
            for at, mark in enumerate(row):
                # The label starts 14 px right of the dot and must end before the next mark's target begins.
                end = row[at + 1].x - TARGET / 2 - 4 if at + 1 < len(row) else LEFT + PLOT + RIGHT
                room = end - (mark.x + 14)
                chars = int(room / _CHAR)
                if chars >= 8:
                    text = mark.entry.label
                    mark.label = text if len(text) <= chars else text[: chars - 1].rstrip() + "…"
            picture.marks.extend(row)
        if overflow:
            cy = y + LANE_PAD + used * ROW + ROW / 2
            for column, held in sorted(overflow.items()):
                found = [e.year_of for e, _ in held if e.year_of is not None]
                picture.clusters.append(Cluster(len(held), LEFT + column * TARGET + TARGET / 2, cy,
                                                min(found), max(found), lane))
            used += 1
        lane.y = y
        lane.height = used * ROW + 2 * LANE_PAD
        y += lane.height
    picture.lanes = lanes
    picture.height = y + AXIS

    dated = sorted(years or {})
    for year in range(first, last + 1, step):
        target = next((d for d in dated if d >= year), None)
        picture.ticks.append(Tick(year, x_of(year), target, (years or {}).get(target, 1) if target else 1))
    for era in eras:
        if era.start is None:
            continue
        end = (era.end if era.end is not None else last) + 1
        if end <= first or era.start >= last:
            continue
        x1, x2 = x_of(max(era.start, first)), x_of(min(end, last))
        chars = int((x2 - x1 - 10) / _CHAR)
        short = era.label if len(era.label) <= chars else (era.label[: chars - 1] + "…" if chars >= 4 else "")
        picture.bands.append(Band(era, x1, x2, short))
    return picture
