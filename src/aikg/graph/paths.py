"""Neighbourhoods and shortest labelled paths between two resources.

The graph walked here is the story graph: links between resources through the aikg properties and
skos:broader, in either direction, never literal values, rdf:type or the schema.org / PROV / Dublin Core
copies of our own properties. Entailed duplicates collapse into one edge: an inverse (``authorOf``)
becomes its declared partner read backwards (``author``), and a super-property (``uses``) is dropped where
its sub-property (``introduces``) already links the same two resources.

Path finding expands breadth-first with one batched query per frontier (``VALUES ?n { ... }``), so it works
the same on the embedded store and on a remote endpoint, and the number of queries grows with the number of
hops, not with the number of resources. Neighbourhoods walk an index of every story edge built once per data
version (one query), so a hub's two-hop view costs no query at all; past ``INDEX_MAX`` edges they expand by
queries too.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

import pyoxigraph as ox

from aikg.graph.cache import per_version
from aikg.graph.labels import fallback_label
from aikg.graph.search import index
from aikg.namespaces import ONTOLOGY, RDFS, RESOURCE, SKOS, curie, sparql_prologue
from aikg.store import Solutions, Store

#: Properties that never make an edge: units point outside the graph, aikg:property at RDF properties,
#: aikg:authorList at blank list nodes (aikg:author says the same).
NOISE = frozenset({ONTOLOGY + "unit", ONTOLOGY + "property", ONTOLOGY + "authorList"})
#: Properties that tie almost everything together (every milestone to its era, every figure to its
#: metric); a path through them tells no story, so path finding skips them by default.
HUBS = frozenset({ONTOLOGY + "era", ONTOLOGY + "hasMilestone", ONTOLOGY + "metric"})
BROADER = SKOS + "broader"

MAX_LENGTH = 6
#: Frontiers larger than this are sent in several queries, to keep each VALUES block small.
_CHUNK = 300
#: Edges of the story graph held in memory, per data version, for neighbourhoods; a larger graph is walked by
#: one query per hop instead (the shipped graph has about 34k).
INDEX_MAX = 300_000
#: Paths of one length enumerated before ranking; beyond this the rest are not looked at.
_MAX_CANDIDATES = 5000

_PROLOGUE = sparql_prologue()
_SAFE_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class Edge(NamedTuple):
    """One link as the data states it: subject, property, object (all IRIs)."""

    # A named tuple rather than a frozen dataclass: a two-hop neighbourhood of a hub hashes tens of
    # thousands of edges, and a tuple's hash is computed in C.

    subject: str
    property: str
    object: str

    def other(self, iri: str) -> str:
        """Return the end of the edge that is not `iri`."""
        return self.object if self.subject == iri else self.subject


@dataclass(frozen=True)
class Vertex:
    """A resource on a path or in a neighbourhood, with its label and most specific type."""

    iri: str
    label: str
    type: str | None = None
    depth: int = 0
    kind: str = "other"  # milestone, person, organisation, ... (aikg.graph.labels.kind_of)


@dataclass(frozen=True)
class Step:
    """One hop of a walk: the edge taken and whether the walk follows it forwards (subject to object)."""

    edge: Edge
    label: str
    forward: bool
    alternatives: tuple[str, ...] = ()


@dataclass
class Path:
    """A walk from one resource to another: n+1 vertices and n steps, with the SPARQL that finds it."""

    vertices: list[Vertex]
    steps: list[Step]
    sparql: str = ""

    @property
    def length(self) -> int:
        """Return the number of steps."""
        return len(self.steps)


class _Labelled(Mapping[str, Vertex]):
    """The resources of a neighbourhood by IRI, each labelled when first asked for: a two-hop view of a hub
    reaches thousands of resources, and a page shows a few hundred of them."""

    def __init__(self, store: Store, depth: dict[str, int]) -> None:
        self._store = store
        self._memo = _vertices(store)
        self._depth = depth

    def __getitem__(self, iri: str) -> Vertex:
        return _vertex(self._store, self._memo, iri, self._depth[iri])

    def __iter__(self) -> Iterator[str]:
        return iter(self._depth)

    def __len__(self) -> int:
        return len(self._depth)

    def __contains__(self, iri: object) -> bool:
        return iri in self._depth

    def label(self, iri: str) -> str:
        """Return a resource's label without building its vertex."""
        return _vertex(self._store, self._memo, iri, 0).label


@dataclass
class Neighbourhood:
    """The resources within some hops of a centre, and the edges among them."""

    centre: Vertex
    hops: int
    vertices: Mapping[str, Vertex] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    property_labels: dict[str, str] = field(default_factory=dict)
    #: How many links from the centre each resource is (the keys of `vertices`).
    depth: dict[str, int] = field(default_factory=dict)

    def label(self, iri: str) -> str:
        """Return the label of a resource of the neighbourhood."""
        if isinstance(self.vertices, _Labelled):
            return self.vertices.label(iri)
        return self.vertices[iri].label


# --------------------------------------------------------------------------------------------------
# The edge model: which properties count, and how entailed duplicates collapse
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    flip: dict[str, str]  # inverse property -> its declared partner (read backwards)
    supers: dict[str, frozenset[str]]  # property -> every aikg super-property


@per_version
def _model(store: Store) -> _Model:
    text = _PROLOGUE + """SELECT DISTINCT ?a ?b ?k WHERE {
      { ?a owl:inverseOf ?b BIND("inv" AS ?k) } UNION { ?a rdfs:subPropertyOf ?b BIND("sub" AS ?k) }
      FILTER(isIRI(?a) && isIRI(?b)) }"""
    result = store.query(text)
    assert isinstance(result, Solutions)
    inverse: list[tuple[str, str]] = []
    direct: dict[str, set[str]] = defaultdict(set)
    for a, b, k in result.rows:
        if a is None or b is None or k is None or a.value == b.value:
            continue
        if k.value == "inv":
            inverse.append((a.value, b.value))
        elif a.value.startswith(ONTOLOGY) and b.value.startswith(ONTOLOGY):
            direct[a.value].add(b.value)
    flip: dict[str, str] = {}
    for first, second in sorted(inverse):
        if first not in flip and second not in flip:
            flip[second] = first
    supers: dict[str, frozenset[str]] = {}
    for p in direct:
        seen: set[str] = set()
        todo = list(direct[p])
        while todo:
            q = todo.pop()
            if q not in seen:
                seen.add(q)
                todo.extend(direct.get(q, ()))
        supers[p] = frozenset(seen)
    return _Model(flip, supers)


def _normalise(model: _Model, s: str, p: str, o: str) -> Edge:
    if p in model.flip:
        return Edge(o, model.flip[p], s)
    return Edge(s, p, o)


def _drop_supers(model: _Model, edges: Iterable[Edge]) -> set[Edge]:
    """Drop an edge whose property is a super-property of another edge between the same two resources."""
    edges = set(edges)
    by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in edges:
        by_pair[(e.subject, e.object)].add(e.property)
    keep = set()
    for e in edges:
        siblings = by_pair[(e.subject, e.object)]
        if not any(e.property in model.supers.get(q, ()) for q in siblings if q != e.property):
            keep.add(e)
    return keep


def _allowed(p: str, exclude: frozenset[str]) -> bool:
    return (p.startswith(ONTOLOGY) or p == BROADER) and p not in NOISE and p not in exclude


# Each branch leaves one end unbound (the resource itself, ?n), filled in by expand(): Virtuoso 7 cannot
# compile a UNION whose branches BIND after a FILTER.
_EXPAND = _PROLOGUE + """SELECT DISTINCT ?n ?s ?p ?o WHERE {
  VALUES ?n { %s }
  { ?n ?p ?o . FILTER(isIRI(?o)) }
  UNION
  { ?s ?p ?n . FILTER(isIRI(?s)) }
  FILTER(STRSTARTS(STR(?p), "%s") || ?p = skos:broader)
}"""


def expand(store: Store, frontier: Sequence[str], exclude: frozenset[str] = frozenset()) -> dict[str, set[Edge]]:
    """Return the edges of each resource in `frontier`, in batched queries (one per frontier)."""
    model = _model(store)
    found: dict[str, set[Edge]] = {n: set() for n in frontier}
    ordered = sorted(found)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        values = " ".join(str(ox.NamedNode(n)) for n in chunk)
        result = store.query(_EXPAND % (values, ONTOLOGY))
        assert isinstance(result, Solutions)
        for node, s0, p, o0 in result.rows:
            s, o = s0 or node, o0 or node
            if s is None or p is None or o is None or s == o or not _allowed(p.value, exclude):
                continue
            edge = _normalise(model, s.value, p.value, o.value)
            for end in (edge.subject, edge.object):
                if end in found:
                    found[end].add(edge)
    for n, edges in found.items():
        found[n] = _drop_supers(model, edges)
    return found


_EVERY_EDGE = _PROLOGUE + """SELECT DISTINCT ?s ?p ?o WHERE {
  ?s ?p ?o .
  FILTER(isIRI(?s) && isIRI(?o) && (STRSTARTS(STR(?p), "%s") || ?p = skos:broader) && ?s != ?o)
} LIMIT %d"""


@dataclass(frozen=True)
class _Adjacency:
    """Every edge of the story graph, by each of its two ends (super-property duplicates dropped)."""

    edges: dict[str, tuple[Edge, ...]]


@per_version
def _adjacency(store: Store) -> _Adjacency | None:
    """Return the whole story graph's edges by resource, once per data version; None past `INDEX_MAX` edges.

    A neighbourhood of a hub (an organisation with hundreds of models, a country) is then walked in memory
    rather than by a query per hop that returns thousands of rows; a graph too large to hold this way is
    walked with :func:`expand` instead.
    """
    model = _model(store)
    result = store.query(_EVERY_EDGE % (ONTOLOGY, INDEX_MAX + 1))
    assert isinstance(result, Solutions)
    if len(result.rows) > INDEX_MAX:
        return None
    names: dict[str, str] = {}  # one string per IRI, however many edges name it
    edges: set[Edge] = set()
    for s, p, o in result.rows:
        if s is None or p is None or o is None or not _allowed(p.value, frozenset()):
            continue
        s_, p_, o_ = (names.setdefault(t.value, t.value) for t in (s, p, o))
        edges.add(_normalise(model, s_, p_, o_))
    by_end: dict[str, list[Edge]] = defaultdict(list)
    for e in _drop_supers(model, edges):
        by_end[e.subject].append(e)
        by_end[e.object].append(e)
    return _Adjacency({n: tuple(es) for n, es in by_end.items()})


def edges_of(
    store: Store, frontier: Sequence[str], exclude: frozenset[str] = frozenset()
) -> Mapping[str, Collection[Edge]]:
    """Return the edges of each resource in `frontier` (a resource without any may be missing): from the
    per-version index, else by :func:`expand`."""
    # The index drops entailed duplicates before anything is excluded; expand excludes first, so an
    # exclusion (a property left out on purpose) is served by expand, which defines the answer.
    adjacency = None if exclude else _adjacency(store)
    if adjacency is None:
        return expand(store, frontier, exclude)
    return adjacency.edges


# --------------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------------


@per_version
def _vertices(store: Store) -> dict[str, Vertex]:
    """Return the memo of labelled resources (at depth 0) for one data version, filled as they are asked for."""
    return {}


def vertex(store: Store, iri: str, depth: int = 0) -> Vertex:
    """Return a resource with its label and most specific type, from the search index."""
    return _vertex(store, _vertices(store), iri, depth)


def _vertex(store: Store, memo: dict[str, Vertex], iri: str, depth: int) -> Vertex:
    found = memo.get(iri)
    if found is None:
        idx = index(store)
        entry = idx.entries.get(iri)
        if entry is None:
            found = Vertex(iri, fallback_label(iri))
        else:
            types = idx.specific_types(entry)
            found = Vertex(iri, entry.label, types[0].label if types else None, 0, entry.kind)
        memo[iri] = found  # one key's store is atomic: two requests at worst label the same resource twice
    return found if depth == 0 else Vertex(found.iri, found.label, found.type, depth, found.kind)


def property_label(store: Store, iri: str) -> str:
    """Return the label of a property ("produced by"), else its CURIE."""
    entry = index(store).entries.get(iri)
    if entry:
        return entry.label
    return "broader" if iri == BROADER else curie(iri)


# --------------------------------------------------------------------------------------------------
# Neighbourhoods
# --------------------------------------------------------------------------------------------------


def neighbourhood(store: Store, iri: str, hops: int = 1, *, exclude: Iterable[str] = ()) -> Neighbourhood:
    """Return the resources within `hops` links of `iri` (1 or 2) and every edge found among them."""
    if hops not in (1, 2):
        raise ValueError("hops must be 1 or 2")
    skip = frozenset(exclude)
    depth = {iri: 0}
    edges: set[Edge] = set()
    frontier = [iri]
    for level in range(1, hops + 1):
        adjacency = edges_of(store, frontier, skip)
        nxt: list[str] = []
        for n in frontier:
            near = adjacency.get(n, ())
            edges.update(near)
            for e in near:
                other = e.object if e.subject == n else e.subject
                if other not in depth:
                    depth[other] = level
                    nxt.append(other)
        frontier = nxt
    hood = Neighbourhood(vertex(store, iri), hops)
    hood.vertices = _Labelled(store, depth)
    hood.depth = depth
    hood.edges = sorted(edges, key=itemgetter(1, 0, 2))  # by property, subject, object
    hood.property_labels = {p: property_label(store, p) for p in {e.property for e in edges}}
    return hood


# --------------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------------


def _ball(store: Store, start: str, radius: int, skip: frozenset[str]) -> dict[str, set[Edge]]:
    """Expand every resource within `radius` - 1 links of `start`; return the edges of each expanded one."""
    known: dict[str, set[Edge]] = {}
    seen = {start}
    frontier = [start]
    for _ in range(radius):
        if not frontier:
            break
        adjacency = expand(store, frontier, skip)
        known.update(adjacency)
        nxt = []
        for n in frontier:
            for e in adjacency[n]:
                other = e.other(n)
                if other not in seen:
                    seen.add(other)
                    nxt.append(other)
        frontier = nxt
    return known


def find_paths(
    store: Store,
    source: str,
    target: str,
    *,
    max_length: int = 4,
    limit: int = 10,
    exclude: Iterable[str] = HUBS,
) -> list[Path]:
    """Return up to `limit` shortest simple paths from `source` to `target`, at most `max_length` steps,
    shortest first and, among equals, through the most specific resources (least linked) first."""
    if not 1 <= max_length <= MAX_LENGTH:
        raise ValueError(f"max_length must be from 1 to {MAX_LENGTH}")
    if source == target or limit < 1:
        return []
    skip = frozenset(exclude)
    # Every path of length <= L has each edge incident to a resource within ceil(L/2) - 1 links of the
    # source or floor(L/2) - 1 links of the target, so two balls of those radii hold all of them.
    left = _ball(store, source, (max_length + 1) // 2, skip)
    right = _ball(store, target, max_length // 2, skip)
    adjacency: dict[str, set[Edge]] = defaultdict(set)
    for part in (left, right):
        for edges in part.values():
            for e in edges:
                adjacency[e.subject].add(e)
                adjacency[e.object].add(e)
    dist = _distances(adjacency, target, max_length)
    if source not in dist:
        return []
    idx = index(store)

    def weight(n: str) -> float:
        entry = idx.entries.get(n)
        return math.log(2 + (entry.degree if entry else len(adjacency.get(n, ()))))

    found: list[list[tuple[str, Edge]]] = []
    for length in range(dist[source], max_length + 1):
        batch = _walks(adjacency, dist, source, target, length)
        batch.sort(key=lambda walk: (sum(weight(n) for n, _ in walk[:-1]), [n for n, _ in walk]))
        found.extend(batch)
        if len(found) >= limit:
            break
    return [_path(store, source, walk) for walk in found[:limit]]


def _distances(adjacency: dict[str, set[Edge]], target: str, most: int) -> dict[str, int]:
    dist = {target: 0}
    frontier = [target]
    for d in range(1, most + 1):
        nxt = []
        for n in frontier:
            for e in adjacency.get(n, ()):
                other = e.other(n)
                if other not in dist:
                    dist[other] = d
                    nxt.append(other)
        frontier = nxt
    return dist


def _walks(
    adjacency: dict[str, set[Edge]], dist: dict[str, int], source: str, target: str, length: int
) -> list[list[tuple[str, Edge]]]:
    """Enumerate simple walks of exactly `length` steps, one per sequence of resources (parallel edges
    between the same two resources count once: the first property by name is taken)."""
    out: list[list[tuple[str, Edge]]] = []
    steps: list[tuple[str, Edge]] = []
    on_path = {source}

    def visit(node: str) -> None:
        if len(out) >= _MAX_CANDIDATES:
            return
        if len(steps) == length:
            if node == target:
                out.append([*steps])
            return
        best: dict[str, Edge] = {}
        for e in adjacency.get(node, ()):
            other = e.other(node)
            if other in on_path or len(steps) + 1 + dist.get(other, length + 1) > length:
                continue
            if other not in best or (e.property, e.subject) < (best[other].property, best[other].subject):
                best[other] = e
        for other in sorted(best):
            steps.append((node, best[other]))
            on_path.add(other)
            visit(other)
            on_path.discard(other)
            steps.pop()

    visit(source)
    # Append the terminal vertex as a pseudo-step so a walk lists every resource it passes.
    return [[*w, (target, w[-1][1])] for w in out]


def _path(store: Store, source: str, walk: list[tuple[str, Edge]]) -> Path:
    hops = walk[:-1]
    vertices = [vertex(store, n) for n, _ in walk]
    steps = []
    for node, e in hops:
        steps.append(Step(e, property_label(store, e.property), forward=e.subject == node))
    return Path(vertices, steps, path_sparql(vertices, steps))


def _term(iri: str) -> str:
    short = curie(iri)
    if short != iri and _SAFE_LOCAL.match(short.split(":", 1)[1]):
        return short
    return str(ox.NamedNode(iri))


def path_sparql(vertices: Sequence[Vertex], steps: Sequence[Step]) -> str:
    """Write the query that finds a path's chain of properties between its two ends.

    The ends are fixed and the resources in between are variables, so the query also finds every
    other chain of the same properties between the same two resources.
    """
    names = [_term(vertices[0].iri)] + [f"?n{i}" for i in range(1, len(vertices) - 1)] + [_term(vertices[-1].iri)]
    patterns = []
    for i, step in enumerate(steps):
        a, b = names[i], names[i + 1]
        s, o = (a, b) if step.forward else (b, a)
        patterns.append(f"  {s} {_term(step.edge.property)} {o} .")
    middle = names[1:-1]
    prologue = f"PREFIX aikg: <{ONTOLOGY}>\nPREFIX aikgr: <{RESOURCE}>\nPREFIX rdfs: <{RDFS}>\nPREFIX skos: <{SKOS}>\n"
    if not middle:
        return prologue + "ASK {\n" + "\n".join(patterns) + "\n}\n"
    labels = [f"  OPTIONAL {{ {v} rdfs:label {v}Label }}" for v in middle]
    head = " ".join(f"{v} {v}Label" for v in middle)
    return prologue + f"SELECT DISTINCT {head} WHERE {{\n" + "\n".join(patterns + labels) + "\n}\n"


__all__ = [
    "BROADER", "HUBS", "INDEX_MAX", "MAX_LENGTH", "NOISE", "Edge", "Neighbourhood", "Path", "Step", "Vertex",
    "edges_of", "expand", "find_paths", "neighbourhood", "path_sparql", "property_label", "vertex",
]
