"""One resource as dataclasses (labels, facts out and in, figures, sources) and as a bounded set of triples.

The resource document
---------------------
:func:`description_triples` returns the triples that every representation of a resource carries (its
Turtle, N-Triples, JSON-LD and RDF/XML documents, and the answer of the endpoint's ``DESCRIBE``). For a
resource ``R`` it is the union of:

1. every triple ``R ?p ?o`` (asserted, and entailed by the ontology's alignments: the store holds those
   in its inferred graph);
2. the blank-node closure of those: every triple whose subject is a blank node reachable from ``R``
   through blank nodes only (n-ary nodes written with ``[ ]``, RDF lists such as ``aikg:authorList``);
3. every triple ``?n ?p ?o`` of an n-ary node ``?n`` that ``R`` points at and that is an IRI typed
   ``aikg:Measurement``, ``aikg:MonetaryAmount``, ``aikg:Affiliation`` or ``aikg:ReportedValue``, so that
   a figure (metric, value, unit, benchmark, source) reads without another request;
4. every triple ``?x ?p R`` (incoming links), at most :data:`MAX_INCOMING` of them (the SPARQL endpoint
   gives the rest);
5. ``rdfs:label`` of every IRI that appears in 1–4 as subject, predicate, object or type.

The provenance of the facts is the ``dcterms:source`` of ``R`` (in 1) and of its n-ary nodes (in 3).
This is a Concise Bounded Description, made symmetric (incoming links), extended by one level of n-ary
nodes and labelled, so that a document can be shown without further lookups.

The page
--------
:func:`describe` returns a :class:`Description` for the resource page: names, types, the asserted facts
grouped by property (n-ary nodes expanded one level), the entailed facts apart, incoming links grouped by
property with counts and paging, the figures (measurement nodes) and the sources. Each query binds the
IRI as an RDF term through ``substitutions``; the number of queries does not grow with the number of
values (it grows with the number of incoming properties, one page query each).
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.namespaces import DCTERMS, INFERRED_GRAPH, ONTOLOGY, RDF, RDFS, SKOS, sparql_prologue
from aikg.namespaces import curie as _curie
from aikg.store import Solutions, Store, Term

#: The most incoming triples a resource document carries (the endpoint answers for more).
MAX_INCOMING = 5000
#: Types of IRI nodes that are expanded one level, like blank nodes.
NARY_TYPES = ("Measurement", "MonetaryAmount", "Affiliation", "ReportedValue")

_LABEL = RDFS + "label"
_ALT = SKOS + "altLabel"
_DESCRIPTION = DCTERMS + "description"
_SOURCE = DCTERMS + "source"
_TYPE = RDF + "type"
_FIRST = RDF + "first"
_REST = RDF + "rest"
_NIL = RDF + "nil"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = RDF + "langString"

# Facts shown in their own fields of a Description, not among `out`.
_OWN_FIELDS = {_LABEL, _ALT, _DESCRIPTION, _SOURCE, _TYPE}

# Short names for common QUDT units that carry no label in the graph.
_UNIT_SYMBOLS = {
    "PERCENT": "%",
    "NUM": "",
    "UNITLESS": "",
    "DAY": "days",
    "HR": "hours",
    "YR": "years",
    "MIN": "minutes",
}

_PROLOGUE = sparql_prologue()


# --------------------------------------------------------------------------------------------------
# Dataclasses handed to templates (never graphs)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A labelled IRI (a resource, a property, a class, a source document)."""

    iri: str
    label: str


@dataclass
class Value:
    """One object of a fact: an IRI, a blank node or a literal, with what a page needs to show it.

    ``label`` is the display text (the rdfs:label of an IRI, the lexical form of a literal). ``node`` is
    set when the value is an n-ary node (a blank node, or an IRI typed Measurement, MonetaryAmount,
    Affiliation or ReportedValue): its own facts, one level deep. ``graph`` is the named graph the fact
    comes from (the data file); ``inferred`` is true for facts entailed by the ontology's alignments.
    """

    term: Term
    label: str
    is_literal: bool
    datatype: str | None = None
    lang: str | None = None
    node: Node | None = None
    graph: str | None = None
    inferred: bool = False

    @property
    def iri(self) -> str | None:
        """Return the IRI of the value, or None for a literal or blank node."""
        return self.term.value if isinstance(self.term, ox.NamedNode) else None

    @property
    def is_blank(self) -> bool:
        """Tell whether the value is a blank node."""
        return isinstance(self.term, ox.BlankNode)


@dataclass
class PropertyGroup:
    """The values of one property of a resource (or of an n-ary node)."""

    property: str
    label: str
    values: list[Value] = field(default_factory=list)

    @builtins.property  # the field `property` shadows the builtin here
    def curie(self) -> str:
        """Return the property as prefix:local."""
        return _curie(self.property)


@dataclass
class Node:
    """An n-ary node expanded one level: its types, its label (if any) and its facts."""

    term: Term
    label: str | None
    types: list[Link] = field(default_factory=list)
    facts: list[PropertyGroup] = field(default_factory=list)
    #: For an RDF list (such as aikg:authorList): its members in order; None for other nodes.
    members: list[Value] | None = None

    @property
    def iri(self) -> str | None:
        """Return the IRI of the node, or None for a blank node."""
        return self.term.value if isinstance(self.term, ox.NamedNode) else None


@dataclass(frozen=True)
class IncomingLink:
    """A resource that links to the described one; ``via`` names the property of the owner when the
    link comes from a blank node (a list member, an n-ary node) rather than from the owner itself."""

    iri: str
    label: str
    via: Link | None = None


@dataclass
class IncomingGroup:
    """Resources that link to the described one through one property: a page of them and the total."""

    property: str
    label: str
    links: list[IncomingLink]
    total: int
    offset: int = 0
    limit: int = 50

    @builtins.property  # the field `property` shadows the builtin here
    def more(self) -> bool:
        """Tell whether more links follow this page."""
        return self.offset + len(self.links) < self.total

    @builtins.property  # the field `property` shadows the builtin here
    def curie(self) -> str:
        """Return the property as prefix:local."""
        return _curie(self.property)


@dataclass
class Figure:
    """A measurement node shown as a figure: "top-5 error rate 3.57 % on ILSVRC 2015 (2015-12-10)"."""

    term: Term
    label: str | None
    metric: Link | None
    value: str | None
    value_term: ox.Literal | None
    unit: Link | None
    benchmark: Link | None = None
    competition: Link | None = None
    date: str | None = None
    rank: str | None = None
    qualifier: str | None = None
    description: str | None = None
    achieved_by: list[Link] = field(default_factory=list)
    hardware: list[Link] = field(default_factory=list)
    sources: list[Link] = field(default_factory=list)
    compared_with: list[Figure] = field(default_factory=list)

    @property
    def iri(self) -> str | None:
        """Return the IRI of the measurement node, or None for a blank node."""
        return self.term.value if isinstance(self.term, ox.NamedNode) else None

    @property
    def text(self) -> str:
        """Return the figure as one line of text, such as "top-5 error rate 3.57 % on ILSVRC 2015"."""
        parts: list[str] = []
        if self.metric:
            parts.append(self.metric.label)
        if self.qualifier and self.qualifier != "exact":
            parts.append(self.qualifier)
        if self.value is not None:
            parts.append(self.value + (f" {self.unit.label}" if self.unit and self.unit.label else ""))
        if self.benchmark:
            parts.append(f"on {self.benchmark.label}")
        if self.competition:
            parts.append(f"in {self.competition.label}")
        out = " ".join(parts) or (self.label or "")
        return out + (f" ({self.date})" if self.date else "")


@dataclass
class Description:
    """Everything a resource page shows about one IRI.

    ``out`` holds the asserted facts except those with their own field (rdf:type, rdfs:label,
    skos:altLabel, dcterms:description, dcterms:source); ``inferred`` the facts entailed by the
    ontology's alignments (schema.org, PROV-O, FOAF super-properties, inverses); ``incoming`` the
    asserted links from other resources, one page per property (``incoming_offset``/``incoming_limit``).
    """

    iri: str
    label: str
    alt_labels: list[str] = field(default_factory=list)
    types: list[Link] = field(default_factory=list)
    description: str | None = None
    out: list[PropertyGroup] = field(default_factory=list)
    inferred: list[PropertyGroup] = field(default_factory=list)
    incoming: list[IncomingGroup] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    sources: list[Link] = field(default_factory=list)
    graphs: list[str] = field(default_factory=list)
    incoming_offset: int = 0
    incoming_limit: int = 50

    @property
    def curie(self) -> str:
        """Return the IRI as prefix:local."""
        return _curie(self.iri)

    @property
    def incoming_total(self) -> int:
        """Return how many asserted links point at the resource, over all properties."""
        return sum(g.total for g in self.incoming)

    @property
    def is_ontology_term(self) -> bool:
        """Tell whether the IRI is a class or property of the aikg ontology."""
        return self.iri.startswith(ONTOLOGY)


# --------------------------------------------------------------------------------------------------
# Queries (the resource is always ?s, bound through substitutions)
# --------------------------------------------------------------------------------------------------

_OUT = """SELECT ?s ?p ?o ?g WHERE { ?s ?p ?o OPTIONAL { GRAPH ?g { ?s ?p ?o } } }"""

_NARY_TYPES = " ".join(f"aikg:{t}" for t in NARY_TYPES)
_NARY = (
    _PROLOGUE
    + f"""SELECT DISTINCT ?s ?n ?p ?o ?inf WHERE {{
  ?s ?via ?n . FILTER(isIRI(?n))
  VALUES ?t {{ {_NARY_TYPES} }}
  ?n a ?t ; ?p ?o .
  BIND(EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?n ?p ?o }} }} AS ?inf)
}}"""
)

# Measurements that point at the resource (results it achieved, results on it as a benchmark or in it
# as a competition) or that it points at, as ?m0; the facts of each and of those it is compared with.
_FIGURES = (
    _PROLOGUE
    + f"""SELECT DISTINCT ?s ?m0 ?m ?p ?o WHERE {{
  {{ ?m0 aikg:achievedBy ?s }} UNION {{ ?m0 aikg:benchmark ?s }} UNION {{ ?m0 aikg:competition ?s }}
    UNION {{ ?s aikg:measurement ?m0 }}
  ?m0 a aikg:Measurement .
  {{ ?m0 ?p ?o BIND(?m0 AS ?m) }} UNION {{ ?m0 aikg:comparedWith ?m . ?m ?p ?o }}
  FILTER NOT EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?m ?p ?o }} }}
}}"""
)


_INCOMING = """SELECT ?s ?x ?p WHERE { ?x ?p ?s }"""

_INCOMING_COUNTS = f"""SELECT ?s ?p (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  ?x ?p ?s . FILTER NOT EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?x ?p ?s }} }}
}} GROUP BY ?s ?p"""

# One page of the links through one property, by label; a blank subject is replaced by its owner (the
# IRI that holds it directly or through an RDF list), and the owner's property is returned as ?via.
# One pattern with an OPTIONAL rather than a UNION of the two cases: the engine joins the bound ?s and ?p
# into the OPTIONAL but would walk every list of the graph in a UNION branch (10 ms a page at 100k).
_INCOMING_PAGE = (
    _PROLOGUE
    + f"""SELECT ?s ?p ?x ?via (SAMPLE(?l) AS ?label) WHERE {{
  ?x0 ?p ?s . FILTER NOT EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?x0 ?p ?s }} }}
  OPTIONAL {{ FILTER(isBlank(?x0)) ?head rdf:rest* ?x0 . ?owner ?via ?head . FILTER(isIRI(?owner)) }}
  BIND(COALESCE(?owner, ?x0) AS ?x)
  FILTER(!isBlank(?x))
  OPTIONAL {{ ?x rdfs:label ?l }}
}} GROUP BY ?s ?p ?x ?via ORDER BY LCASE(STR(SAMPLE(?l))) ?x"""
)


def _closure_query(depths: Sequence[int]) -> str:
    """Build a query for the triples of blank nodes reached from ?s through exactly d blank hops.

    The last blank node of each branch is ?b itself and the graph of its triple is returned as ?g (each
    triple is in one graph): Virtuoso 7 cannot compile a UNION whose branches BIND after a FILTER.
    """
    branches = []
    for d in depths:
        chain = [f"BIND({d} AS ?d)"]
        prev = "?s"
        for i in range(1, d + 1):
            node = "?b" if i == d else f"?b{i}"
            chain.append(f"{prev} ?p{i} {node} . FILTER(isBlank({node}))")
            prev = node
        chain.append("GRAPH ?g { ?b ?p ?o }")
        branches.append("{ " + " ".join(chain) + " }")
    return "SELECT ?s ?b ?p ?o ?d ?g WHERE { " + " UNION ".join(branches) + " }"


def _rows(store: Store, text: str, iri: str, limit: int | None = None, **more: Term) -> list[dict[str, Term]]:
    result = store.query(text, substitutions={"s": ox.NamedNode(iri), **more}, limit=limit)
    assert isinstance(result, Solutions)
    return result.dicts()


# --------------------------------------------------------------------------------------------------
# Gathering
# --------------------------------------------------------------------------------------------------


@dataclass
class _Gathered:
    """The raw facts around one resource, as triples plus the graph of each outgoing fact."""

    out: list[tuple[ox.NamedNode, Term, str | None]]  # (p, o, graph)
    closure: list[ox.Triple]
    nary: list[ox.Triple]
    #: Triples of `closure` and `nary` that the ontology's alignments entail (not shown on n-ary nodes).
    entailed: set[ox.Triple] = field(default_factory=set)


def _gather(store: Store, iri: str) -> _Gathered | None:
    out_rows = _rows(store, _OUT, iri)
    seen: dict[tuple[str, Term], str | None] = {}
    order: list[tuple[ox.NamedNode, Term]] = []
    for r in out_rows:
        p, o, g = r["p"], r["o"], r.get("g")
        key = (p.value, o)
        graph = g.value if g is not None else None
        if key not in seen:
            order.append((p, o))  # type: ignore[arg-type]
            seen[key] = graph
        elif seen[key] == INFERRED_GRAPH and graph is not None:
            seen[key] = graph  # an asserted copy wins over the entailed one
    out = [(p, o, seen[(p.value, o)]) for p, o in order]
    entailed: set[ox.Triple] = set()
    closure = _blank_closure(store, iri, entailed) if any(isinstance(o, ox.BlankNode) for _, o, _ in out) else []
    nary = []
    for r in _rows(store, _NARY, iri):
        t = ox.Triple(r["n"], r["p"], r["o"])  # type: ignore[arg-type]
        nary.append(t)
        if r["inf"].value == "true":
            entailed.add(t)
    if not out:
        return None
    return _Gathered(out, closure, nary, entailed)


def _blank_closure(
    store: Store, iri: str, entailed: set[ox.Triple], step: int = 4, max_depth: int = 64
) -> list[ox.Triple]:
    """Return the triples of blank nodes reachable from the resource through blank nodes only."""
    triples: dict[ox.Triple, None] = {}
    start = 1
    while start <= max_depth:
        depths = list(range(start, start + step))
        rows = _rows(store, _closure_query(depths), iri)
        deepest_blank = False
        for r in rows:
            t = ox.Triple(r["b"], r["p"], r["o"])  # type: ignore[arg-type]
            triples[t] = None
            if r["g"].value == INFERRED_GRAPH:
                entailed.add(t)
            if int(r["d"].value) == depths[-1] and isinstance(r["o"], ox.BlankNode):
                deepest_blank = True
        if not deepest_blank:
            break
        start += step
    return list(triples)


def labels_of(store: Store, iris: Iterable[str]) -> dict[str, str]:
    """Return the best label of each IRI: rdfs:label, then skos:prefLabel, then dcterms:title; English first."""
    wanted = sorted({i for i in iris})
    if not wanted:
        return {}
    best: dict[str, tuple[int, int, str]] = {}
    for chunk in (wanted[i : i + 500] for i in range(0, len(wanted), 500)):
        values = " ".join(str(ox.NamedNode(i)) for i in chunk)
        text = (
            _PROLOGUE
            + f"""SELECT ?x ?l ?k WHERE {{ VALUES ?x {{ {values} }}
          {{ ?x rdfs:label ?l BIND(0 AS ?k) }} UNION {{ ?x skos:prefLabel ?l BIND(1 AS ?k) }}
          UNION {{ ?x dcterms:title ?l BIND(2 AS ?k) }} }}"""
        )
        result = store.query(text)
        assert isinstance(result, Solutions)
        for x, lab, k in result.rows:
            if x is None or lab is None or k is None:
                continue
            lang = lab.language if isinstance(lab, ox.Literal) else None
            rank = (int(k.value), 0 if lang in (None, "", "en") or (lang or "").startswith("en") else 1, lab.value)
            if x.value not in best or rank < best[x.value]:
                best[x.value] = rank
    return {i: r[2] for i, r in best.items()}


def fallback_label(iri: str) -> str:
    short = _curie(iri)
    if short != iri:
        local = short.split(":", 1)[1]
        return local.replace("_", " ") if short.startswith("aikgr:") else short
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return tail or iri


def _iris_in(triples: Iterable[ox.Triple]) -> set[str]:
    out: set[str] = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                out.add(term.value)
    return out


# --------------------------------------------------------------------------------------------------
# The resource document
# --------------------------------------------------------------------------------------------------


def description_triples(store: Store, iri: str) -> list[ox.Triple]:
    """Return the triples of the resource document of an IRI (the shape in this module's docstring);
    an empty list when the store says nothing of it."""
    s = ox.NamedNode(iri)
    gathered = _gather(store, iri)
    incoming_rows = _rows(store, _INCOMING, iri, limit=MAX_INCOMING)
    incoming = [ox.Triple(r["x"], r["p"], s) for r in incoming_rows]  # type: ignore[arg-type]
    if gathered is None and not incoming:
        return []
    triples: dict[ox.Triple, None] = {}
    if gathered is not None:
        for p, o, _ in gathered.out:
            triples[ox.Triple(s, p, o)] = None
        for t in (*gathered.closure, *gathered.nary):
            triples[t] = None
    for t in incoming:
        triples[t] = None
    label_iris = _iris_in(triples) - {iri}
    if label_iris:
        values = " ".join(str(ox.NamedNode(i)) for i in sorted(label_iris))
        result = store.query(_PROLOGUE + f"SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }} ?x rdfs:label ?l }}")
        assert isinstance(result, Solutions)
        label = ox.NamedNode(_LABEL)
        for x, lab in result.rows:
            triples[ox.Triple(x, label, lab)] = None  # type: ignore[arg-type]
    return list(triples)


# --------------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------------


def describe(store: Store, iri: str, *, incoming_limit: int = 50, incoming_offset: int = 0) -> Description | None:
    """Describe one resource for its page, or return None when the store says nothing of it."""
    gathered = _gather(store, iri)
    counts = _rows(store, _INCOMING_COUNTS, iri)
    if gathered is None and not counts:
        return None
    gathered = gathered or _Gathered([], [], [])
    figure_rows = _rows(store, _FIGURES, iri)
    figure_facts: dict[Term, list[tuple[ox.NamedNode, Term]]] = defaultdict(list)
    top_figures: dict[Term, None] = {}
    for r in figure_rows:
        top_figures[r["m0"]] = None
        if (r["p"], r["o"]) not in figure_facts[r["m"]]:
            figure_facts[r["m"]].append((r["p"], r["o"]))  # type: ignore[arg-type]

    # Facts of every node we may expand: blank nodes (closure), n-ary IRI nodes, measurement nodes.
    node_facts: dict[Term, list[tuple[ox.NamedNode, Term]]] = defaultdict(list)
    for t in (*gathered.closure, *gathered.nary):
        subject: Term = t.subject  # type: ignore[assignment]
        if t not in gathered.entailed and (t.predicate, t.object) not in node_facts[subject]:
            node_facts[subject].append((t.predicate, t.object))  # type: ignore[arg-type]
    for m, facts in figure_facts.items():
        for f in facts:
            if f not in node_facts[m]:
                node_facts[m].append(f)

    incoming_pages: list[tuple[ox.NamedNode, int, list[dict[str, Term]]]] = []
    for c in sorted(counts, key=lambda r: r["p"].value):
        p, total = c["p"], int(c["n"].value)
        page: list[dict[str, Term]] = []
        if incoming_offset < total and incoming_limit > 0:
            text = _INCOMING_PAGE + f" LIMIT {int(incoming_limit)} OFFSET {int(incoming_offset)}"
            page = _rows(store, text, iri, p=p)
        incoming_pages.append((p, total, page))  # type: ignore[arg-type]

    # One label lookup for everything that will be shown.
    wanted: set[str] = {iri}
    for p, o, _ in gathered.out:
        wanted.add(p.value)
        if isinstance(o, ox.NamedNode):
            wanted.add(o.value)
    for facts in node_facts.values():
        for p, o in facts:
            wanted.add(p.value)
            if isinstance(o, ox.NamedNode):
                wanted.add(o.value)
    for p, _, page in incoming_pages:
        wanted.add(p.value)
        for r in page:
            if "via" in r:
                wanted.add(r["via"].value)
    labels = labels_of(store, wanted)

    def name(i: str) -> str:
        return labels.get(i) or fallback_label(i)

    def link(i: str) -> Link:
        return Link(i, name(i))

    def value(o: Term, graph: str | None = None, expand: bool = True) -> Value:
        if isinstance(o, ox.Literal):
            dt = o.datatype.value
            return Value(
                o,
                o.value,
                True,
                None if dt in (_XSD_STRING, _LANG_STRING) else dt,
                o.language or None,
                graph=graph,
                inferred=graph == INFERRED_GRAPH,
            )
        node = _node(o, node_facts, name, value) if expand and o in node_facts else None
        text = name(o.value) if isinstance(o, ox.NamedNode) else (node.label if node and node.label else "")
        return Value(o, text, False, node=node, graph=graph, inferred=graph == INFERRED_GRAPH)

    desc = Description(iri=iri, label=name(iri), incoming_offset=incoming_offset, incoming_limit=incoming_limit)
    asserted: dict[str, PropertyGroup] = {}
    entailed: dict[str, PropertyGroup] = {}
    graphs: set[str] = set()
    for p, o, g in gathered.out:
        if g and g != INFERRED_GRAPH:
            graphs.add(g)
        inferred = g == INFERRED_GRAPH
        if not inferred and p.value in _OWN_FIELDS:
            if p.value == _TYPE and isinstance(o, ox.NamedNode):
                desc.types.append(link(o.value))
            elif p.value == _ALT:
                desc.alt_labels.append(o.value)
            elif p.value == _DESCRIPTION and isinstance(o, ox.Literal):
                if desc.description is None or (o.language or "").startswith("en"):
                    desc.description = o.value
            elif p.value == _SOURCE:
                desc.sources.append(link(o.value) if isinstance(o, ox.NamedNode) else Link(o.value, o.value))
            continue
        groups = entailed if inferred else asserted
        group = groups.setdefault(p.value, PropertyGroup(p.value, name(p.value)))
        group.values.append(value(o, g))
    for groups, target in ((asserted, desc.out), (entailed, desc.inferred)):
        for group in groups.values():
            group.values.sort(key=lambda v: (v.is_literal, v.label.lower()))
        target.extend(sorted(groups.values(), key=lambda g: g.label.lower()))
    desc.alt_labels.sort()
    desc.types.sort(key=lambda t: t.label.lower())
    # Every list in label order: stores return a property's values in orders of their own.
    desc.sources.sort(key=_by_label)
    desc.graphs = sorted(graphs)

    for p, total, page in incoming_pages:
        links: list[IncomingLink] = []
        for r in page:
            x = r["x"]
            if isinstance(x, ox.NamedNode):
                label = r["label"].value if "label" in r else fallback_label(x.value)
                links.append(IncomingLink(x.value, label, link(r["via"].value) if "via" in r else None))
        label = name(p.value)
        vias = {lk.via for lk in links}
        if p.value in (_FIRST, _REST) and len(vias) == 1 and None not in vias:
            label = next(iter(vias)).label  # type: ignore[union-attr]  # a list member: name the list
        desc.incoming.append(IncomingGroup(p.value, label, links, total, incoming_offset, incoming_limit))
    desc.incoming.sort(key=lambda g: g.label.lower())

    desc.figures = [_figure(m, figure_facts, link, name, nested=True) for m in top_figures]
    desc.figures.sort(key=lambda f: (f.metric.label if f.metric else "", f.date or "", f.value or "", f.label or ""))
    return desc


def _node(term: Term, node_facts: dict[Term, list[tuple[ox.NamedNode, Term]]], name, value) -> Node:  # type: ignore[no-untyped-def]
    """Expand an n-ary node one level (a list node into its members)."""
    facts = node_facts[term]
    preds = {p.value for p, _ in facts}
    if preds <= {_FIRST, _REST}:
        members: list[Value] = []
        cursor: Term | None = term
        guard = 0
        while cursor is not None and cursor in node_facts and guard < 10_000:
            guard += 1
            nxt = None
            for p, o in node_facts[cursor]:
                if p.value == _FIRST:
                    members.append(value(o, expand=False))
                elif p.value == _REST and not (isinstance(o, ox.NamedNode) and o.value == _NIL):
                    nxt = o
            cursor = nxt
        return Node(term, None, members=members)
    label = None
    types: list[Link] = []
    groups: dict[str, PropertyGroup] = {}
    for p, o in facts:
        if p.value == _LABEL:
            label = label or o.value
            continue
        if p.value == _TYPE and isinstance(o, ox.NamedNode):
            types.append(Link(o.value, name(o.value)))
            continue
        groups.setdefault(p.value, PropertyGroup(p.value, name(p.value))).values.append(value(o, expand=False))
    if label is None and isinstance(term, ox.NamedNode):
        label = name(term.value)
    return Node(term, label, types, sorted(groups.values(), key=lambda g: g.label.lower()))


def _by_label(link: Link) -> tuple[str, str]:
    return link.label.lower(), link.iri


def _figure(m: Term, facts: dict[Term, list[tuple[ox.NamedNode, Term]]], link, name, nested: bool) -> Figure:  # type: ignore[no-untyped-def]
    """Build a figure from the facts of a measurement node."""
    by: dict[str, list[Term]] = defaultdict(list)
    for p, o in facts.get(m, []):
        by[p.value].append(o)

    def one(local: str) -> Term | None:
        values = by.get(ONTOLOGY + local)
        return values[0] if values else None

    def links(local: str) -> list[Link]:
        found = (link(o.value) for o in by.get(ONTOLOGY + local, []) if isinstance(o, ox.NamedNode))
        return sorted(found, key=_by_label)

    def one_link(local: str) -> Link | None:
        found = links(local)
        return found[0] if found else None

    raw = one("value")
    unit_term = one("unit")
    unit = None
    if isinstance(unit_term, ox.NamedNode):
        unit_label = name(unit_term.value)
        local = unit_term.value.rsplit("/", 1)[-1]
        if unit_term.value.startswith("http://qudt.org/") and local in _UNIT_SYMBOLS:
            unit_label = _UNIT_SYMBOLS[local]
        unit = Link(unit_term.value, unit_label)
    date = one("date")
    rank = one("rank")
    qualifier = one("qualifier")
    labels = by.get(_LABEL, [])
    descriptions = by.get(_DESCRIPTION, [])
    sources = sorted((link(o.value) if isinstance(o, ox.NamedNode) else Link(o.value, o.value)
                      for o in by.get(_SOURCE, [])), key=_by_label)
    compared = []
    if nested:
        compared = [
            _figure(c, facts, link, name, nested=False) for c in by.get(ONTOLOGY + "comparedWith", []) if c in facts
        ]
        compared.sort(key=lambda f: (f.metric.label if f.metric else "", f.date or "", f.value or "", f.label or ""))
    return Figure(
        term=m,
        label=labels[0].value if labels else None,
        metric=one_link("metric"),
        value=raw.value if isinstance(raw, ox.Literal) else None,
        value_term=raw if isinstance(raw, ox.Literal) else None,
        unit=unit,
        benchmark=one_link("benchmark"),
        competition=one_link("competition"),
        date=date.value if date is not None else None,
        rank=rank.value if rank is not None else None,
        qualifier=qualifier.value if qualifier is not None else None,
        description=descriptions[0].value if descriptions else None,
        achieved_by=links("achievedBy"),
        hardware=links("hardware"),
        sources=sources,
        compared_with=compared,
    )
