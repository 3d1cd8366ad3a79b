"""One resource as dataclasses for its page: labels, facts out and in, figures, sources.

:func:`describe` returns a :class:`Description` for the resource page: names, types, the asserted facts
grouped by property (n-ary nodes expanded one level), the entailed facts apart, incoming links grouped by
property with counts and paging, the figures (measurement nodes) and the sources. Each query binds the
IRI as an RDF term through ``substitutions``; the number of queries does not grow with the number of
values (it grows with the number of incoming properties, one page query each).
"""

from __future__ import annotations

import builtins
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.graph.document import Gathered, gather, rows_about
from aikg.graph.labels import Link, When, date_of, fallback_label, labels_of, literal_text
from aikg.namespaces import DCTERMS, INFERRED_GRAPH, ONTOLOGY, RDF, RDFS, SKOS, XSD, sparql_prologue
from aikg.namespaces import curie as _curie
from aikg.store import Solutions, Store, Term

_LABEL = RDFS + "label"
_ALT = SKOS + "altLabel"
_DESCRIPTION = DCTERMS + "description"
_SOURCE = DCTERMS + "source"
_TYPE = RDF + "type"
_FIRST = RDF + "first"
_REST = RDF + "rest"
_NIL = RDF + "nil"
_XSD_STRING = XSD + "string"
XSD_DOUBLE = XSD + "double"
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
    "W": "W",
    "FRACTION": "",
    "YR": "years",
    "MIN": "minutes",
}

_PROLOGUE = sparql_prologue()


# --------------------------------------------------------------------------------------------------
# Dataclasses handed to templates (never graphs)
# --------------------------------------------------------------------------------------------------


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
    when: When | None = None
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
    def value_text(self) -> str | None:
        """Return the value for reading (60,000,000; 4.7 × 10¹⁷), or None."""
        if self.value_term is None:
            return self.value
        return literal_text(self.value_term)

    @property
    def text(self) -> str:
        """Return the figure as one line of text, such as "top-5 error rate 3.57 % on ILSVRC 2015"."""
        parts: list[str] = []
        if self.metric:
            parts.append(self.metric.label)
        if self.qualifier and self.qualifier != "exact":
            parts.append(self.qualifier)
        if self.value is not None:
            parts.append((self.value_text or "") + (f" {self.unit.label}" if self.unit and self.unit.label else ""))
        if self.benchmark:
            parts.append(f"on {self.benchmark.label}")
        if self.competition:
            parts.append(f"in {self.competition.label}")
        out = " ".join(parts) or (self.label or "")
        date = self.when.text if self.when else self.date
        return out + (f" ({date})" if date else "")


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

# The statement nodes that carry each fact's sources (rdf:subject / rdf:object of an rdf:Statement) are not
# links a reader follows: their sources are already the numbers beside each fact.
_INCOMING_COUNTS = f"""SELECT ?s ?p (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  ?x ?p ?s . FILTER NOT EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?x ?p ?s }} }}
  FILTER(?p NOT IN (<{RDF}subject>, <{RDF}predicate>, <{RDF}object>))
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


# --------------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------------


def describe(store: Store, iri: str, *, incoming_limit: int = 50, incoming_offset: int = 0) -> Description | None:
    """Describe one resource for its page, or return None when the store says nothing of it."""
    gathered = gather(store, iri)
    counts = rows_about(store, _INCOMING_COUNTS, iri)
    if gathered is None and not counts:
        return None
    gathered = gathered or Gathered([], [], [])
    figure_rows = rows_about(store, _FIGURES, iri)
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
            page = rows_about(store, text, iri, p=p)
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
    desc.figures.sort(key=lambda f: (f.metric.label if f.metric else "", f.date or "", f.value or ""))
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


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number_text(literal: ox.Literal) -> str:
    """Write a figure's value for a reader: an xsd:double as 4.7 × 10¹⁷ from a million up (or below 0.001), else
    with at most four significant digits and thousands separators; other numbers as their source wrote them."""
    if literal.datatype.value != XSD_DOUBLE:
        return literal.value
    try:
        x = float(literal.value)
    except ValueError:
        return literal.value
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else literal.value
    if abs(x) >= 1e6 or abs(x) < 1e-3:
        mantissa, exponent = f"{x:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"
    return f"{float(f'{x:.4g}'):,}".removesuffix(".0")


def _figure(m: Term, facts: dict[Term, list[tuple[ox.NamedNode, Term]]], link, name, nested: bool) -> Figure:  # type: ignore[no-untyped-def]
    """Build a figure from the facts of a measurement node."""
    by: dict[str, list[Term]] = defaultdict(list)
    for p, o in facts.get(m, []):
        by[p.value].append(o)

    def one(local: str) -> Term | None:
        values = by.get(ONTOLOGY + local)
        return values[0] if values else None

    def links(local: str) -> list[Link]:
        return [link(o.value) for o in by.get(ONTOLOGY + local, []) if isinstance(o, ox.NamedNode)]

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
        elif unit_term.value == ONTOLOGY + "FLOP":
            unit_label = "FLOP"
        unit = Link(unit_term.value, unit_label)
    date = one("date")
    rank = one("rank")
    qualifier = one("qualifier")
    labels = by.get(_LABEL, [])
    descriptions = by.get(_DESCRIPTION, [])
    sources = [link(o.value) if isinstance(o, ox.NamedNode) else Link(o.value, o.value) for o in by.get(_SOURCE, [])]
    compared = []
    if nested:
        compared = [
            _figure(c, facts, link, name, nested=False) for c in by.get(ONTOLOGY + "comparedWith", []) if c in facts
        ]
    return Figure(
        term=m,
        label=labels[0].value if labels else None,
        metric=one_link("metric"),
        value=number_text(raw) if isinstance(raw, ox.Literal) else None,
        value_term=raw if isinstance(raw, ox.Literal) else None,
        unit=unit,
        benchmark=one_link("benchmark"),
        competition=one_link("competition"),
        date=date.value if date is not None else None,
        when=date_of(date),
        rank=rank.value if rank is not None else None,
        qualifier=qualifier.value if qualifier is not None else None,
        description=descriptions[0].value if descriptions else None,
        achieved_by=links("achievedBy"),
        hardware=links("hardware"),
        sources=sources,
        compared_with=compared,
    )


# --------------------------------------------------------------------------------------------------
# Provenance of each statement
# --------------------------------------------------------------------------------------------------

#: A statement: (subject IRI, property IRI, object).
StatementKey = tuple[str, str, Term]


def statement_sources(
    store: Store,
    statements: Iterable[StatementKey],
    resource_sources: Mapping[str, Sequence[Link]],
    node_sources: Mapping[Term, Sequence[Link]] | None = None,
) -> dict[StatementKey, list[Link]]:
    """Return the sources that state each statement ``subject property object``: the one place pages ask.

    A curated statement names its own sources: its ``rdf:Statement`` node's ``prov:wasDerivedFrom`` (one query
    for all of ``statements``, the triples bound through ``VALUES``). A statement that names none (an imported
    dataset's, or an entailed alignment) falls back to the ``dcterms:source`` of its n-ary node when the object
    names its own (an affiliation, a measurement), else to those of its subject (``resource_sources``).
    """
    wanted = list(dict.fromkeys(statements))
    nodes = node_sources or {}
    own = _reified_sources(store, wanted)
    return {key: own.get(key) or list(nodes.get(key[2]) or resource_sources.get(key[0], ())) for key in wanted}


#: How many statements one provenance query binds (the VALUES block stays small for any store).
_STATEMENTS_PER_QUERY = 400


def _reified_sources(store: Store, statements: Sequence[StatementKey]) -> dict[StatementKey, list[Link]]:
    """Read the sources of each statement from its rdf:Statement nodes, with each source's title."""
    out: dict[StatementKey, list[Link]] = {}
    wanted = {(s, p, o) for s, p, o in statements if not isinstance(o, ox.BlankNode)}
    # The store is asked by subject and property, and the objects are matched here: Virtuoso 7 matches no
    # language-tagged object in a VALUES block of more than one row, so the sources of every quote were lost.
    pairs = list(dict.fromkeys((s, p) for s, p, _ in sorted(wanted, key=lambda k: (k[0], k[1]))))
    for at in range(0, len(pairs), _STATEMENTS_PER_QUERY):
        values = " ".join(f"(<{s}> <{p}>)" for s, p in pairs[at: at + _STATEMENTS_PER_QUERY])
        text = (
            sparql_prologue()
            + "SELECT ?s ?p ?o ?src (SAMPLE(?t) AS ?title) WHERE { VALUES (?s ?p) { " + values + " } "
            "?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?src . "
            "OPTIONAL { ?src dcterms:title ?t } } GROUP BY ?s ?p ?o ?src ORDER BY ?s ?p ?o ?src"
        )
        found = store.query(text)
        if not isinstance(found, Solutions):
            continue
        for row in found.dicts():
            key = (row["s"].value, row["p"].value, row["o"])
            if key not in wanted:
                continue
            src = row["src"].value
            title = row.get("title")
            out.setdefault(key, []).append(Link(src, title.value if isinstance(title, ox.Literal) else src))
    return out


def node_sources(description: Description) -> dict[Term, list[Link]]:
    """Return the sources each n-ary node of a description names itself (dcterms:source on the node)."""
    out: dict[Term, list[Link]] = {}
    for group in description.out:
        for v in group.values:
            if v.node is None or v.node.members is not None:
                continue
            found = [
                Link(s.iri, s.label) if s.iri else Link(s.label, s.label)
                for g in v.node.facts if g.property == _SOURCE for s in g.values
            ]
            if found:
                out[v.term] = found
    return out


def figures_of(store: Store, measurements: Sequence[Term]) -> list[Figure]:
    """Build the figures of some measurement nodes (IRIs), with the measurements they are compared with."""
    nodes = [m for m in measurements if isinstance(m, ox.NamedNode)]
    if not nodes:
        return []
    values = " ".join(str(m) for m in dict.fromkeys(nodes))
    text = (
        _PROLOGUE
        + f"""SELECT DISTINCT ?m ?p ?o WHERE {{ VALUES ?m0 {{ {values} }}
      {{ ?m0 ?p ?o BIND(?m0 AS ?m) }} UNION {{ ?m0 aikg:comparedWith ?m . ?m ?p ?o }}
      FILTER NOT EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?m ?p ?o }} }} }}"""
    )
    result = store.query(text)
    assert isinstance(result, Solutions)
    facts: dict[Term, list[tuple[ox.NamedNode, Term]]] = defaultdict(list)
    wanted: set[str] = set()
    for m, p, o in result.rows:
        if m is None or not isinstance(p, ox.NamedNode) or o is None:
            continue
        if (p, o) not in facts[m]:
            facts[m].append((p, o))
        if isinstance(o, ox.NamedNode):
            wanted.add(o.value)
    labels = labels_of(store, wanted)

    def name(i: str) -> str:
        return labels.get(i) or fallback_label(i)

    def link(i: str) -> Link:
        return Link(i, name(i))

    return [_figure(m, facts, link, name, nested=True) for m in dict.fromkeys(nodes) if m in facts]
