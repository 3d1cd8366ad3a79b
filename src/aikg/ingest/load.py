"""Load data files into a store: one named graph per file, the ontology's alignments materialised,
duplicates across graphs removed so that the union default graph has each triple once. In memory for
`aikg serve` over files, in bulk into a new version of an on-disk store for `aikg load`."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from aikg.config import Settings
from aikg.errors import InvalidData
from aikg.ingest.files import (
    Source,
    data_paths,
    dataset_info,
    ontology_paths,
    parse_error,
    parse_sources,
    read_triples,
    shapes_paths,
    sources,
    triples,
)
from aikg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from aikg.store import DatasetInfo, Store
from aikg.store.disk import LoadResult, write_version
from aikg.store.embedded import EmbeddedStore
from aikg.store.registry import open_backend


def open_store(settings: Settings) -> Store:
    """Open the store the settings ask for: a backend the registry knows (remote endpoint, on-disk store),
    or the data files, validated with SHACL (unless VALIDATE is off), in memory."""
    backend = open_backend(settings)
    if backend is not None:
        return backend
    data = data_paths(settings)
    srcs = sources(data, ontology_paths(settings))
    parsed = parse_sources(srcs)  # once: the validator and the store get the same quads
    if settings.validate:
        from aikg.ingest.validate import refuse_violations, validate_triples

        ontology = [t for src, quads in parsed.items() if src.graph == ONTOLOGY_GRAPH for t in triples(quads)]
        facts = [t for src, quads in parsed.items() if src.graph != ONTOLOGY_GRAPH for t in triples(quads)]
        refuse_violations(validate_triples(facts, read_triples(shapes_paths(settings)), ontology, files=data))
    return memory_store(parsed, dataset_info(srcs))


def load_into(oxi: ox.Store, srcs: Sequence[Source]) -> None:
    """Load files into a store, then dedupe across graphs and materialise the alignments."""
    _fill(oxi, parse_sources(srcs).values())


def _fill(oxi: ox.Store, parsed: Iterable[list[ox.Quad]]) -> None:
    for quads in parsed:
        oxi.extend(quads)
    dedupe(oxi)
    materialise_alignments(oxi)


def build_memory_store(srcs: Sequence[Source]) -> EmbeddedStore:
    """Build an in-memory embedded store from files."""
    return memory_store(parse_sources(srcs), dataset_info(srcs))


def memory_store(parsed: Mapping[Source, list[ox.Quad]], info: DatasetInfo) -> EmbeddedStore:
    """Build an in-memory embedded store from files already parsed."""
    oxi = ox.Store()
    _fill(oxi, parsed.values())
    return EmbeddedStore(oxi, info)


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


# -- bulk loads ----------------------------------------------------------------------------------------

#: Called while loading with (bytes read so far, lines read so far) of the file being loaded.
Progress = Callable[[Source, int, int], None]


def build(
    oxi: ox.Store, srcs: Sequence[Source], progress: Progress | None = None, phase: Callable[[str], None] | None = None
) -> int:
    """Bulk-load files into a store, one named graph each, then dedupe and materialise; return its size."""
    for src in srcs:
        reader = _CountingReader(src, progress)
        try:
            with src.path.open("rb") as raw:
                reader.raw = raw
                oxi.bulk_load(
                    io.BufferedReader(reader, 1 << 20), src.format,
                    base_iri=src.path.resolve().as_uri(), to_graph=ox.NamedNode(src.graph),
                )
        except SyntaxError as e:
            raise parse_error(src.path, e) from None
        except OSError as e:
            raise InvalidData(f"{src.path}: cannot load: {e}") from None
    if phase:
        phase("removing duplicates")
    dedupe(oxi, bulk=True)
    if phase:
        phase("inferring alignments")
    materialise_alignments(oxi, bulk=True)
    oxi.flush()
    return len(oxi)


class _CountingReader(io.RawIOBase):
    """Pass a file through, counting bytes and lines (= triples in N-Triples) for the progress bar."""

    def __init__(self, src: Source, progress: Progress | None) -> None:
        self.src = src
        self.raw: Any = None
        self.progress = progress
        self.bytes = 0
        self.lines = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = int(self.raw.readinto(buffer))
        if n:
            self.bytes += n
            self.lines += memoryview(buffer)[:n].tobytes().count(b"\n")
            if self.progress is not None:
                self.progress(self.src, self.bytes, self.lines)
        return n


def load(
    root: Path,
    srcs: Sequence[Source],
    *,
    progress: Progress | None = None,
    phase: Callable[[str], None] | None = None,
    keep: int = 2,
) -> LoadResult:
    """Build a new version of the on-disk store at `root` from files and make it the live one, atomically."""
    return write_version(root, dataset_info(srcs), lambda oxi: build(oxi, srcs, progress, phase), keep=keep)
