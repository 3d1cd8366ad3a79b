"""Data files: which files the settings name, the graph each is loaded into, their version hash, and
parsing them into quads."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from aikg.config import Settings
from aikg.errors import InvalidData
from aikg.namespaces import GRAPH, ONTOLOGY_GRAPH
from aikg.resources import default_data, default_ontology, default_shapes
from aikg.store import DatasetInfo


def data_paths(settings: Settings) -> list[Path]:
    """Return the data files the settings name, or the shipped ones."""
    return [Path(p) for p in settings.data or default_data()]


def ontology_paths(settings: Settings) -> list[Path]:
    """Return the ontology files the settings name, or the shipped ones."""
    return [Path(p) for p in settings.ontology or default_ontology()]


def shapes_paths(settings: Settings) -> list[Path]:
    """Return the SHACL shapes files the settings name, or the shipped ones."""
    return [Path(p) for p in settings.shapes or default_shapes()]


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
        raise parse_error(src.path, e) from None
    except OSError as e:
        raise InvalidData(f"{src.path}: cannot read the file: {e.strerror}", details={"file": str(src.path)}) from None


def parse_sources(srcs: Sequence[Source]) -> dict[Source, list[ox.Quad]]:
    """Parse each file once, into the quads of its graph: the same quads go to SHACL and to the store."""
    return {src: parse_file(src) for src in srcs}


def triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """Return the triples of quads (graph names dropped), as SHACL reads them."""
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


def read_triples(paths: Sequence[Path]) -> list[ox.Triple]:
    """Parse RDF files into triples (graph names dropped); a syntax error names the file, line and column."""
    return [t for path in map(Path, paths) for t in triples(parse_file(Source(path, GRAPH + path.stem)))]


def parse_error(path: Path, error: SyntaxError) -> InvalidData:
    """Turn the parser's error into one that names the file, line, column and reason."""
    line, column = error.lineno, error.offset
    reason = str(error.msg if error.msg else error)
    # pyoxigraph says "Parser error at line 4 between columns 18 and 24: <reason>"; keep the reason.
    if reason.startswith("Parser error") and ": " in reason:
        reason = reason.split(": ", 1)[1]
    where = f"{path}, line {line}, column {column}" if line else str(path)
    return InvalidData(
        f"{where}: the file does not parse: {reason}",
        details={"file": str(path), "line": line, "column": column, "reason": reason},
    )
