"""The VoID description of the dataset, computed from the data.

:func:`statistics` counts triples, entities, subjects, objects, classes and properties, the partitions by
class and by property, the vocabularies used and the named graphs, once per data version (the counts are
cached; a request never recounts). :func:`void_triples` then writes them as VoID with the absolute URLs of
the host that serves them (endpoint, dumps, example resources).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.graph.cache import per_version
from aikg.namespaces import (
    DCTERMS,
    FOAF,
    INFERRED_GRAPH,
    ONTOLOGY,
    OWL,
    PREFIXES,
    RDF,
    RESOURCE,
    SD,
    VOID,
    XSD,
    sparql_prologue,
)
from aikg.store import Solutions, Store

LICENCE = "https://creativecommons.org/licenses/by/4.0/"
TITLE = "aikg: a knowledge graph of the history of AI"
DESCRIPTION = (
    "Milestones in the history of artificial intelligence and what they are about: the organisations and "
    "people behind them, the techniques, papers, models, software, datasets and events involved, and the "
    "measured figures with their units, benchmarks and sources."
)
FORMATS_NS = "http://www.w3.org/ns/formats/"
# The W3C format IRIs that void:feature uses, by dump format.
FEATURES = {
    "ttl": "Turtle",
    "nt": "N-Triples",
    "jsonld": "JSON-LD",
    "rdf": "RDF_XML",
    "trig": "TriG",
    "nq": "N-Quads",
}


@dataclass(frozen=True)
class Statistics:
    """What VoID says about the data, counted from it."""

    version: str
    modified: str
    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    classes: dict[str, int] = field(default_factory=dict)  # class IRI -> number of distinct instances
    properties: dict[str, int] = field(default_factory=dict)  # property IRI -> number of triples
    graphs: dict[str, int] = field(default_factory=dict)  # named graph IRI -> number of triples
    vocabularies: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@per_version
def statistics(store: Store, resource_space: str = RESOURCE) -> Statistics:
    """Return the statistics of the store's current version, counting them on first use."""
    return _count(store, resource_space)


def _solutions(store: Store, text: str) -> list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]]:
    result = store.query(sparql_prologue() + text)
    assert isinstance(result, Solutions)
    return result.rows


def _int(term: object) -> int:
    return int(term.value) if isinstance(term, ox.Literal) else 0


def _count(store: Store, resource_space: str) -> Statistics:
    space = str(ox.Literal(resource_space))
    (row,) = _solutions(
        store, "SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?ds) (COUNT(DISTINCT ?o) AS ?do) WHERE { ?s ?p ?o }"
    )
    triples, subjects, objects = (_int(t) for t in row)
    ((n,),) = _solutions(
        store,
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), {space})) }}",
    )
    entities = _int(n)
    classes = {
        c.value: _int(n)
        for c, n in _solutions(store, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c")
        if isinstance(c, ox.NamedNode)
    }
    properties = {
        p.value: _int(n)
        for p, n in _solutions(store, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
        if isinstance(p, ox.NamedNode)
    }
    graphs = {
        g.value: _int(n)
        for g, n in _solutions(store, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        if isinstance(g, ox.NamedNode)
    }
    examples = tuple(
        m.value
        for (m,) in _solutions(
            store,
            "SELECT ?m WHERE { ?m a aikg:Milestone . OPTIONAL { ?m aikg:date ?d } } ORDER BY ?d ?m LIMIT 3",
        )
        if isinstance(m, ox.NamedNode)
    )
    used = set(classes) | set(properties)
    vocabularies = tuple(sorted({ns for ns in PREFIXES.values() if any(i.startswith(ns) for i in used)} - {RESOURCE}))
    return Statistics(
        version=store.info.version,
        modified=store.info.modified,
        triples=triples,
        entities=entities,
        distinct_subjects=subjects,
        distinct_objects=objects,
        classes=dict(sorted(classes.items())),
        properties=dict(sorted(properties.items())),
        graphs=dict(sorted(graphs.items())),
        vocabularies=vocabularies,
        examples=examples,
    )


def dataset_iri(host_url: str) -> str:
    """Return the IRI of the dataset as the host names it (the VoID document's #dataset)."""
    return host_url.rstrip("/") + "/.well-known/void#dataset"


def void_triples(stats: Statistics, host_url: str, *, title: str = TITLE, uri_space: str = RESOURCE) -> list[ox.Triple]:
    """Return the VoID description: the dataset, its counts and partitions, endpoint, dumps and examples."""
    host = host_url.rstrip("/")
    doc = ox.NamedNode(host + "/.well-known/void")
    ds = ox.NamedNode(dataset_iri(host))
    a = ox.NamedNode(RDF + "type")
    triples: list[ox.Triple] = []

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    def num(n: int) -> ox.Literal:
        return ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer"))

    def text(value: str) -> ox.Literal:
        return ox.Literal(value, language="en")

    triples.append(ox.Triple(doc, a, ox.NamedNode(VOID + "DatasetDescription")))
    add(doc, FOAF + "primaryTopic", ds)
    add(doc, DCTERMS + "title", text(f"VoID description of {title}"))
    triples.append(ox.Triple(ds, a, ox.NamedNode(VOID + "Dataset")))
    add(ds, DCTERMS + "title", text(title))
    add(ds, DCTERMS + "description", text(DESCRIPTION))
    add(ds, DCTERMS + "license", ox.NamedNode(LICENCE))
    add(ds, OWL + "versionInfo", ox.Literal(stats.version))
    add(ds, DCTERMS + "modified", ox.Literal(stats.modified, datatype=ox.NamedNode(XSD + "dateTime")))
    add(ds, VOID + "sparqlEndpoint", ox.NamedNode(host + "/sparql"))
    add(ds, VOID + "uriSpace", ox.Literal(uri_space))
    add(ds, VOID + "vocabulary", ox.NamedNode(ONTOLOGY))
    for vocabulary in stats.vocabularies:
        if vocabulary != ONTOLOGY:
            add(ds, VOID + "vocabulary", ox.NamedNode(vocabulary))
    for example in stats.examples:
        add(ds, VOID + "exampleResource", ox.NamedNode(example))
    from aikg.graph.dumps import DUMP_FORMATS, DUMP_NAME

    for name, fmt in DUMP_FORMATS.items():
        dump = ox.NamedNode(f"{host}/dumps/{DUMP_NAME}.{fmt.extension}")
        add(ds, VOID + "dataDump", dump)
        add(dump, DCTERMS + "format", ox.Literal(fmt.media_type))
        add(ds, VOID + "feature", ox.NamedNode(FORMATS_NS + FEATURES[name]))
    add(ds, VOID + "triples", num(stats.triples))
    add(ds, VOID + "entities", num(stats.entities))
    add(ds, VOID + "distinctSubjects", num(stats.distinct_subjects))
    add(ds, VOID + "distinctObjects", num(stats.distinct_objects))
    add(ds, VOID + "classes", num(len(stats.classes)))
    add(ds, VOID + "properties", num(len(stats.properties)))
    for i, (cls, n) in enumerate(stats.classes.items()):
        part = ox.BlankNode(f"class{i}")
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", ox.NamedNode(cls))
        add(part, VOID + "entities", num(n))
    for i, (prop, n) in enumerate(stats.properties.items()):
        part = ox.BlankNode(f"property{i}")
        add(ds, VOID + "propertyPartition", part)
        add(part, VOID + "property", ox.NamedNode(prop))
        add(part, VOID + "triples", num(n))
    for i, (graph, n) in enumerate(stats.graphs.items()):
        part = ox.BlankNode(f"graph{i}")
        add(ds, VOID + "subset", part)
        triples.append(ox.Triple(part, a, ox.NamedNode(VOID + "Dataset")))
        add(part, SD + "name", ox.NamedNode(graph))
        add(part, VOID + "triples", num(n))
        if graph == INFERRED_GRAPH:
            add(part, DCTERMS + "description", text("Triples entailed by the ontology's alignments."))
    return triples
