"""The ontology as documentation: every class and property with its label, definition, domain and range,
super terms, alignments to other vocabularies, and how much the data uses it (counted once per version)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from aikg.graph.cache import per_version
from aikg.graph.labels import Link, fallback_label, labels_of
from aikg.namespaces import (
    DCTERMS,
    INFERRED_GRAPH,
    ONTOLOGY,
    ONTOLOGY_GRAPH,
    OWL,
    RDF,
    RDFS,
    SKOS,
    sparql_prologue,
)
from aikg.store import Solutions, Store, Triples

_KINDS = {
    OWL + "Class": "class",
    OWL + "ObjectProperty": "object property",
    OWL + "DatatypeProperty": "datatype property",
    OWL + "AnnotationProperty": "annotation property",
    RDF + "Property": "property",
}
# Relations to terms of other vocabularies that the documentation lists as alignments.
_ALIGNMENTS = {
    RDFS + "subClassOf": "subclass of",
    RDFS + "subPropertyOf": "subproperty of",
    OWL + "equivalentClass": "equivalent class",
    OWL + "equivalentProperty": "equivalent property",
    SKOS + "closeMatch": "close match",
    SKOS + "exactMatch": "exact match",
}


@dataclass
class Term:
    """One class or property of the ontology, documented."""

    iri: str
    name: str  # the local name, also the HTML anchor
    label: str
    kind: str  # class, object property, datatype property, ...
    definition: str | None = None
    characteristics: list[str] = field(default_factory=list)  # functional, transitive, ...
    domain: list[Link] = field(default_factory=list)
    range: list[Link] = field(default_factory=list)
    supers: list[Link] = field(default_factory=list)  # super classes or properties within the ontology
    subs: list[Link] = field(default_factory=list)  # sub classes or properties within the ontology
    inverse: list[Link] = field(default_factory=list)
    disjoint: list[Link] = field(default_factory=list)
    alignments: list[tuple[str, Link]] = field(default_factory=list)  # (relation label, outside term)
    usage: int = 0  # instances of a class, triples of a property (asserted and entailed)

    @property
    def is_class(self) -> bool:
        """Tell whether the term is a class."""
        return self.kind == "class"


@dataclass
class OntologyDoc:
    """The ontology's header and its terms, classes first."""

    iri: str
    title: str
    description: str | None
    version: str | None
    licence: str | None
    prefix: str
    classes: list[Term]
    properties: list[Term]
    metadata: list[tuple[str, str]] = field(default_factory=list)  # (property label, value) of the header

    def term(self, name: str) -> Term | None:
        """Return the term with this local name, or None."""
        for t in (*self.classes, *self.properties):
            if t.name == name:
                return t
        return None


# How to name terms of vocabularies that have no prefix in the shared map.
_OUTSIDE_NAMES = {
    "http://www.wikidata.org/prop/direct/": "Wikidata",
    "http://www.wikidata.org/entity/": "Wikidata",
}



def ontology_triples(store: Store) -> list[ox.Triple]:
    """Return the triples of the ontology: its named graph, else every asserted triple about its terms."""
    result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}")
    assert isinstance(result, Triples)
    if result.triples:
        return result.triples
    fallback = store.query(
        f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ONTOLOGY}"))
        FILTER NOT EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }} }}"""
    )
    assert isinstance(fallback, Triples)
    return fallback.triples


@per_version
def ontology_doc(store: Store) -> OntologyDoc:
    """Return the documentation of the ontology for the store's current version (built once per version)."""
    return _build(store)


def _rows(store: Store, text: str) -> list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]]:
    result = store.query(sparql_prologue() + text)
    assert isinstance(result, Solutions)
    return result.rows


def _build(store: Store) -> OntologyDoc:
    facts: dict[str, list[tuple[str, ox.NamedNode | ox.BlankNode | ox.Literal]]] = defaultdict(list)
    for t in ontology_triples(store):
        if isinstance(t.subject, ox.NamedNode):
            facts[t.subject.value].append((t.predicate.value, t.object))  # type: ignore[arg-type]
    usage_classes = {
        c.value: int(n.value)
        for c, n in _rows(store, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c")
        if c is not None and n is not None
    }
    usage_props = {
        p.value: int(n.value)
        for p, n in _rows(store, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
        if p is not None and n is not None
    }
    wanted = set(facts)
    for fs in facts.values():
        wanted.update(o.value for _, o in fs if isinstance(o, ox.NamedNode))
    labels = labels_of(store, wanted)

    def link(iri: str) -> Link:
        for space, name in _OUTSIDE_NAMES.items():
            if iri.startswith(space) and iri not in labels:
                return Link(iri, f"{name} {iri[len(space) :]}")
        return Link(iri, labels.get(iri) or fallback_label(iri))

    terms: dict[str, Term] = {}
    for iri, fs in facts.items():
        if not iri.startswith(ONTOLOGY) or iri == ONTOLOGY:
            continue
        types = [o.value for p, o in fs if p == RDF + "type"]
        kind = next((_KINDS[t] for t in types if t in _KINDS and t != RDF + "Property"), None)
        kind = kind or next((_KINDS[t] for t in types if t in _KINDS), None)
        if kind is None:
            continue
        name = iri[len(ONTOLOGY) :]
        term = Term(iri, name, labels.get(iri) or name, kind)
        for p, o in fs:
            value = o.value
            if p == RDFS + "comment" and isinstance(o, ox.Literal):
                # A term both ontology files define (aikg:Task) has two comments: take the same one whatever
                # order the store gives them in (the first in text order).
                term.definition = min(term.definition, value) if term.definition else value
            elif p == RDF + "type" and value.startswith(OWL) and value not in _KINDS:
                term.characteristics.append(value[len(OWL) :].replace("Property", "").lower())
            elif not isinstance(o, ox.NamedNode):
                continue
            elif p == RDFS + "domain":
                term.domain.append(link(value))
            elif p == RDFS + "range":
                term.range.append(link(value))
            elif p == OWL + "inverseOf":
                term.inverse.append(link(value))
            elif p == OWL + "disjointWith":
                term.disjoint.append(link(value))
            elif p in (RDFS + "subClassOf", RDFS + "subPropertyOf") and value.startswith(ONTOLOGY):
                term.supers.append(link(value))
            elif p in _ALIGNMENTS:
                term.alignments.append((_ALIGNMENTS[p], link(value)))
        term.usage = usage_classes.get(iri, 0) if term.is_class else usage_props.get(iri, 0)
        terms[iri] = term
    for term in terms.values():
        for sup in term.supers:
            if sup.iri in terms:
                terms[sup.iri].subs.append(Link(term.iri, term.label))
        term.inverse += [Link(t.iri, t.label) for t in terms.values() if any(i.iri == term.iri for i in t.inverse)]
        term.inverse = list(dict.fromkeys(term.inverse))
    # Every list in label order: stores return a term's statements in orders of their own.
    for term in terms.values():
        for links in (term.domain, term.range, term.inverse, term.disjoint, term.supers, term.subs):
            links.sort(key=lambda link: (link.label.lower(), link.iri))
        term.alignments.sort(key=lambda a: (a[0], a[1].label.lower(), a[1].iri))
        term.characteristics.sort()
    classes = sorted((t for t in terms.values() if t.is_class), key=lambda t: t.name.lower())
    properties = sorted((t for t in terms.values() if not t.is_class), key=lambda t: t.name.lower())

    header = facts.get(ONTOLOGY, [])

    def first(p: str) -> str | None:
        return next((o.value for q, o in header if q == p), None)

    metadata = [
        (labels.get(p) or fallback_label(p), o.value)
        for p, o in header
        if p not in (RDF + "type", DCTERMS + "title", DCTERMS + "description")
    ]
    return OntologyDoc(
        iri=ONTOLOGY,
        title=first(DCTERMS + "title") or "aikg ontology",
        description=first(DCTERMS + "description"),
        version=first(OWL + "versionInfo"),
        licence=first(DCTERMS + "license"),
        prefix="aikg",
        classes=classes,
        properties=properties,
        metadata=sorted(metadata),
    )


def jsonld_context(doc: OntologyDoc) -> dict[str, object]:
    """Return the JSON-LD context of aikg documents: short keys for the ontology's terms and the
    descriptive properties (label, altLabel, description, source), and the shared prefixes."""
    from aikg.namespaces import PREFIXES, XSD

    ctx: dict[str, object] = {"id": "@id", "type": "@type"}
    ctx.update(PREFIXES)
    ctx["label"] = {"@id": "rdfs:label", "@language": "en"}
    ctx["altLabel"] = {"@id": "skos:altLabel", "@language": "en"}
    ctx["description"] = {"@id": "dcterms:description", "@language": "en"}
    ctx["source"] = {"@id": "dcterms:source", "@type": "@id"}
    for term in doc.classes:
        ctx.setdefault(term.name, f"aikg:{term.name}")
    for term in doc.properties:
        if term.name in ctx:
            continue
        if term.kind == "object property":
            ctx[term.name] = {"@id": f"aikg:{term.name}", "@type": "@id"}
        elif len(term.range) == 1 and term.range[0].iri.startswith(XSD) and term.range[0].iri != XSD + "string":
            ctx[term.name] = {"@id": f"aikg:{term.name}", "@type": term.range[0].iri}
        else:
            ctx[term.name] = f"aikg:{term.name}"
    return ctx
