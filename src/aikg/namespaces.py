"""The aikg namespaces and the prefix map shared by queries, pages and serialisers."""

from __future__ import annotations

BASE = "https://w3id.org/ai-history/"
RESOURCE = BASE + "resource/"
ONTOLOGY = BASE + "ontology/"
GRAPH = BASE + "graph/"
#: Statement nodes (rdf:Statement, one per curated triple) are named by a hash of their triple.
STATEMENT = BASE + "statement/"

#: Named graphs the loader fills. The default graph of every query is their union.
ONTOLOGY_GRAPH = GRAPH + "ontology"
INFERRED_GRAPH = GRAPH + "inferred"
PROVENANCE_GRAPH = GRAPH + "provenance"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
SH = "http://www.w3.org/ns/shacl#"

PREFIXES: dict[str, str] = {
    "aikg": ONTOLOGY,
    "aikgr": RESOURCE,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "schema": SCHEMA,
    "prov": PROV,
    "foaf": FOAF,
    "void": VOID,
}


def sparql_prologue(prefixes: dict[str, str] | None = None) -> str:
    """Return PREFIX declarations for the shared prefix map."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in (prefixes or PREFIXES).items())


def curie(iri: str, prefixes: dict[str, str] | None = None) -> str:
    """Shorten an IRI to prefix:local when a prefix matches, else return it unchanged."""
    for prefix, ns in (prefixes or PREFIXES).items():
        if iri.startswith(ns) and len(iri) > len(ns):
            local = iri[len(ns):]
            if "/" not in local and "#" not in local:
                return f"{prefix}:{local}"
    return iri
