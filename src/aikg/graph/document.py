"""The resource document: the bounded set of triples that every representation of a resource carries.

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

:func:`gather` also collects the facts that the resource page (:mod:`aikg.graph.describe`) lays out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.namespaces import INFERRED_GRAPH, RDFS, sparql_prologue
from aikg.store import Solutions, Store, Term

#: The most incoming triples a resource document carries (the endpoint answers for more).
MAX_INCOMING = 5000
#: Types of IRI nodes that are expanded one level, like blank nodes.
NARY_TYPES = ("Measurement", "MonetaryAmount", "Affiliation", "ReportedValue")

_LABEL = RDFS + "label"
_PROLOGUE = sparql_prologue()


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


_INCOMING = """SELECT ?s ?x ?p WHERE { ?x ?p ?s }"""

def _closure_query(depths: Sequence[int]) -> str:
    """Build a query for the triples of blank nodes reached from ?s through exactly d blank hops.

    The last blank node of each branch is ?b itself and the graph of its triple is returned as ?g:
    Virtuoso 7 cannot compile a UNION whose branches BIND after a FILTER.
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


def rows_about(store: Store, text: str, iri: str, limit: int | None = None, **more: Term) -> list[dict[str, Term]]:
    """Run a SELECT about one resource (bound to ?s, with more bindings) and return its rows."""
    result = store.query(text, substitutions={"s": ox.NamedNode(iri), **more}, limit=limit)
    assert isinstance(result, Solutions)
    return result.dicts()


# --------------------------------------------------------------------------------------------------
# Gathering
# --------------------------------------------------------------------------------------------------


@dataclass
class Gathered:
    """The raw facts around one resource, as triples plus the graph of each outgoing fact."""

    out: list[tuple[ox.NamedNode, Term, str | None]]  # (p, o, graph)
    closure: list[ox.Triple]
    nary: list[ox.Triple]
    #: Triples of `closure` and `nary` that the ontology's alignments entail (not shown on n-ary nodes).
    entailed: set[ox.Triple] = field(default_factory=set)


def gather(store: Store, iri: str) -> Gathered | None:
    """Collect the outgoing facts of a resource, its blank-node closure and its n-ary nodes (None when none)."""
    out_rows = rows_about(store, _OUT, iri)
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
    for r in rows_about(store, _NARY, iri):
        t = ox.Triple(r["n"], r["p"], r["o"])  # type: ignore[arg-type]
        nary.append(t)
        if r["inf"].value == "true":
            entailed.add(t)
    if not out:
        return None
    return Gathered(out, closure, nary, entailed)


def _blank_closure(
    store: Store, iri: str, entailed: set[ox.Triple], step: int = 4, max_depth: int = 64
) -> list[ox.Triple]:
    """Return the triples of blank nodes reachable from the resource through blank nodes only."""
    triples: dict[ox.Triple, None] = {}
    start = 1
    while start <= max_depth:
        depths = list(range(start, start + step))
        rows = rows_about(store, _closure_query(depths), iri)
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


#: How many IRIs one label query binds.
_LABELS_PER_QUERY = 500


def description_triples(store: Store, iri: str) -> list[ox.Triple]:
    """Return the triples of the resource document of an IRI (the shape in this module's docstring);
    an empty list when the store says nothing of it."""
    s = ox.NamedNode(iri)
    gathered = gather(store, iri)
    incoming_rows = rows_about(store, _INCOMING, iri, limit=MAX_INCOMING)
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
    wanted = sorted(label_iris)
    label = ox.NamedNode(_LABEL)
    # In blocks: a term's document can name thousands (every person, for foaf:Person), and Virtuoso 7 refuses a
    # VALUES block of some thousands ("SP030 Too many arguments"; 4,000 pass, 8,000 do not).
    for at in range(0, len(wanted), _LABELS_PER_QUERY):
        values = " ".join(str(ox.NamedNode(i)) for i in wanted[at : at + _LABELS_PER_QUERY])
        result = store.query(_PROLOGUE + f"SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }} ?x rdfs:label ?l }}")
        assert isinstance(result, Solutions)
        for x, lab in result.rows:
            triples[ox.Triple(x, label, lab)] = None  # type: ignore[arg-type]
    return list(triples)
