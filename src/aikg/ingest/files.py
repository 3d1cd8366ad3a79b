"""Data files: which files the settings name, the graph each is loaded into, their version hash, and
parsing them into quads."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
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
        raise InvalidData(f"{src.path}: {e}", details={"file": str(src.path), "error": str(e)}) from None
    except OSError as e:
        raise InvalidData(f"{src.path}: cannot read: {e.strerror}") from None
