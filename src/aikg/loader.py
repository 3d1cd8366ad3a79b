"""Read RDF files into an embedded store: one named graph per file, the ontology's alignments
materialised, duplicates across graphs removed so that the union default graph has each triple once."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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
        known = ", ".join(_FORMATS)
        raise InvalidData(f"{path}: unknown RDF file extension {path.suffix!r}; use one of {known}") from None


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
        with src.path.open("rb") as f:  # in chunks: bulk loads hash files of gigabytes
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        newest = max(newest, src.path.stat().st_mtime)
    modified = datetime.fromtimestamp(newest, tz=UTC).replace(microsecond=0).isoformat()
    return DatasetInfo(digest.hexdigest()[:20], modified, tuple(str(s.path) for s in srcs))


def parse_file(src: Source) -> list[ox.Quad]:
    """Parse one file into quads of its graph; a syntax error names the file, line and column."""
    graph = ox.NamedNode(src.graph)
    try:
        with src.path.open("rb") as f:
            return [
                ox.Quad(
                    q.subject, q.predicate, q.object,
                    graph if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name,
                )
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




def dedupe(oxi: ox.Store, *, bulk: bool = False) -> None:
    """Keep each triple in the first graph (by IRI order) that holds it, so the union has no duplicates.

    `bulk` finds them with a read-only query and removes them one by one: an update transaction on
    millions of quads holds them all in memory.
    """
    if len(list(oxi.named_graphs())) < 2:
        return
    if not bulk:
        oxi.update(
            "DELETE { GRAPH ?g2 { ?s ?p ?o } } WHERE { GRAPH ?g1 { ?s ?p ?o } GRAPH ?g2 { ?s ?p ?o } "
            "FILTER(STR(?g1) < STR(?g2)) }"
        )
        return
    # Graph by graph, the smaller one driving the join: one data file against the small ontology costs
    # a scan of the ontology, where the all-graphs join scans every quad.
    counted = oxi.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert isinstance(counted, ox.QuerySolutions)
    sizes = {r[0]: int(r[1].value) for r in counted}
    names = sorted(sizes, key=lambda g: g.value)
    for i, first in enumerate(names):
        for later in names[i + 1:]:
            small, big = (first, later) if sizes[first] <= sizes[later] else (later, first)
            rows = oxi.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH {small} {{ ?s ?p ?o }} GRAPH {big} {{ ?s ?p ?o }} }}")
            assert isinstance(rows, ox.QuerySolutions)
            for quad in [ox.Quad(r[0], r[1], r[2], later) for r in rows]:
                oxi.remove(quad)


_ALIGNMENT_PREFIXES = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nPREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
# (triple template, pattern) pairs, applied in order: later steps see what earlier ones inferred.
_ALIGNMENT_STEPS = [
    ("?o ?inverse ?s", f"""
  GRAPH <{ONTOLOGY_GRAPH}> {{ {{ ?p owl:inverseOf ?inverse }} UNION {{ ?inverse owl:inverseOf ?p }} }}
  GRAPH ?g {{ ?s ?p ?o }}
  FILTER(!isLiteral(?o))
  FILTER NOT EXISTS {{ GRAPH ?h {{ ?o ?inverse ?s }} }}"""),
    ("?s ?super ?o", f"""
  GRAPH <{ONTOLOGY_GRAPH}> {{ ?p rdfs:subPropertyOf+ ?super }}
  GRAPH ?g {{ ?s ?p ?o }}
  FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?super ?o }} }}"""),
    ("?s a ?super", f"""
  GRAPH <{ONTOLOGY_GRAPH}> {{ ?c rdfs:subClassOf+ ?super FILTER(isIRI(?super)) }}
  GRAPH ?g {{ ?s a ?c }}
  FILTER NOT EXISTS {{ GRAPH ?h {{ ?s a ?super }} }}"""),
]
_MATERIALISE = _ALIGNMENT_PREFIXES + " ;\n".join(
    f"INSERT {{ GRAPH <{INFERRED_GRAPH}> {{ {template} }} }}\nWHERE {{{where}\n}}"
    for template, where in _ALIGNMENT_STEPS
)


def materialise_alignments(oxi: ox.Store, *, bulk: bool = False) -> None:
    """Add to the inferred graph what the ontology's subclass, subproperty and inverse axioms entail,
    so a client that knows only schema.org, PROV-O, FOAF or Dublin Core finds producers, authors and dates.

    `bulk` runs each step as a CONSTRUCT whose triples go through the bulk loader, in chunks: one update
    inserting millions of triples is slow and holds them all in memory.
    """
    if not bulk:
        oxi.update(_MATERIALISE)
        return
    inferred = ox.NamedNode(INFERRED_GRAPH)
    for template, where in _ALIGNMENT_STEPS:
        constructed = oxi.query(f"{_ALIGNMENT_PREFIXES}CONSTRUCT {{ {template} }} WHERE {{{where}\n}}")
        assert isinstance(constructed, ox.QueryTriples)
        triples = iter(constructed)
        while chunk := [ox.Quad(t.subject, t.predicate, t.object, inferred)
                        for t in itertools.islice(triples, 200_000)]:
            oxi.bulk_extend(chunk)
