"""Read RDF files into an embedded store: one named graph per file, the ontology's alignments
materialised, duplicates across graphs removed so that the union default graph has each triple once."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox

from aikg.errors import InvalidData
from aikg.namespaces import GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH
from aikg.store import DatasetInfo
from aikg.store.embedded import EmbeddedStore

_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".n3": ox.RdfFormat.N3,
}


@dataclass(frozen=True)
class Source:
    """One RDF file and the named graph it is loaded into."""

    path: Path
    graph: str

    @property
    def format(self) -> ox.RdfFormat:
        return rdf_format(self.path)


def rdf_format(path: Path) -> ox.RdfFormat:
    """Return the RDF format of a file by its extension (a trailing .gz is not supported)."""
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        raise InvalidData(f"{path}: unknown RDF file extension {path.suffix!r}; use one of {', '.join(_FORMATS)}") from None


def sources(data: Sequence[Path], ontology: Sequence[Path] = ()) -> list[Source]:
    """Name a graph for each file: the ontology graph for ontology files, graph/<stem> for data."""
    out = [Source(Path(p), ONTOLOGY_GRAPH) for p in ontology]
    out += [Source(Path(p), GRAPH + Path(p).stem) for p in data]
    return out


def dataset_info(srcs: Sequence[Source]) -> DatasetInfo:
    """Hash the files' bytes into a version, and take the newest modification time."""
    digest = hashlib.sha256()
    newest = 0.0
    for src in srcs:
        digest.update(src.graph.encode())
        digest.update(src.path.read_bytes())
        newest = max(newest, src.path.stat().st_mtime)
    modified = datetime.fromtimestamp(newest, tz=timezone.utc).replace(microsecond=0).isoformat()
    return DatasetInfo(digest.hexdigest()[:20], modified, tuple(str(s.path) for s in srcs))


def parse_file(src: Source) -> list[ox.Quad]:
    """Parse one file into quads of its graph; a syntax error names the file, line and column."""
    graph = ox.NamedNode(src.graph)
    try:
        with src.path.open("rb") as f:
            return [
                ox.Quad(q.subject, q.predicate, q.object, graph if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name)
                for q in ox.parse(f, src.format, base_iri=src.path.resolve().as_uri())
            ]
    except SyntaxError as e:
        raise InvalidData(f"{src.path}: {e}", details={"file": str(src.path), "error": str(e)}) from None
    except OSError as e:
        raise InvalidData(f"{src.path}: cannot read: {e.strerror}") from None


def load_into(oxi: ox.Store, srcs: Sequence[Source]) -> None:
    """Load files into a store, then dedupe across graphs and materialise the alignments."""
    for src in srcs:
        oxi.extend(parse_file(src))
    dedupe(oxi)
    materialise_alignments(oxi)


def build_memory_store(srcs: Sequence[Source]) -> EmbeddedStore:
    """Build an in-memory embedded store from files."""
    oxi = ox.Store()
    load_into(oxi, srcs)
    return EmbeddedStore(oxi, dataset_info(srcs))


def dedupe(oxi: ox.Store) -> None:
    """Keep each triple in the first graph (by IRI order) that holds it, so the union has no duplicates."""
    if len(list(oxi.named_graphs())) < 2:
        return
    oxi.update(
        "DELETE { GRAPH ?g2 { ?s ?p ?o } } WHERE { GRAPH ?g1 { ?s ?p ?o } GRAPH ?g2 { ?s ?p ?o } "
        "FILTER(STR(?g1) < STR(?g2)) }"
    )


_MATERIALISE = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
INSERT {{ GRAPH <{INFERRED_GRAPH}> {{ ?o ?inverse ?s }} }}
WHERE {{
  GRAPH <{ONTOLOGY_GRAPH}> {{ {{ ?p owl:inverseOf ?inverse }} UNION {{ ?inverse owl:inverseOf ?p }} }}
  GRAPH ?g {{ ?s ?p ?o }}
  FILTER(!isLiteral(?o))
  FILTER NOT EXISTS {{ GRAPH ?h {{ ?o ?inverse ?s }} }}
}} ;
INSERT {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?super ?o }} }}
WHERE {{
  GRAPH <{ONTOLOGY_GRAPH}> {{ ?p rdfs:subPropertyOf+ ?super }}
  GRAPH ?g {{ ?s ?p ?o }}
  FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?super ?o }} }}
}} ;
INSERT {{ GRAPH <{INFERRED_GRAPH}> {{ ?s a ?super }} }}
WHERE {{
  GRAPH <{ONTOLOGY_GRAPH}> {{ ?c rdfs:subClassOf+ ?super FILTER(isIRI(?super)) }}
  GRAPH ?g {{ ?s a ?c }}
  FILTER NOT EXISTS {{ GRAPH ?h {{ ?s a ?super }} }}
}}
"""


def materialise_alignments(oxi: ox.Store) -> None:
    """Add to the inferred graph what the ontology's subclass, subproperty and inverse axioms entail,
    so a client that knows only schema.org, PROV-O, FOAF or Dublin Core finds producers, authors and dates."""
    oxi.update(_MATERIALISE)
