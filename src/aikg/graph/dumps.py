"""Dumps of the whole graph: every format written once per data version to a cache folder, then served
from disk.

The triple formats (Turtle, N-Triples, JSON-LD, RDF/XML) hold the union of all named graphs, as the SPARQL
endpoint's default graph does; the quad formats (TriG, N-Quads) keep each triple in its named graph, which
records where it comes from: one graph per data file, the ontology, and the entailments of the ontology's
alignments in ``graph/inferred`` (drop that graph to get the asserted data alone).

A dump is written by streaming the store's quads into pyoxigraph's serialiser, which writes to a file as it
goes, so a large graph is never held in memory as one string; a request then streams the file. Files are
named by the data version, so a new version never serves an old file, and are written to a temporary name
and renamed, so concurrent workers never see half a file.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from aikg.errors import NotFound
from aikg.graph.cache import in_greenlet
from aikg.namespaces import PREFIXES
from aikg.sparql.formats import DATASET_FORMATS, GRAPH_FORMATS, Format
from aikg.store import Store

#: The dumps offered, by short name (also their file extension).
DUMP_FORMATS: dict[str, Format] = {f.name: f for f in (*GRAPH_FORMATS, *DATASET_FORMATS)}
#: The base name of every dump file.
DUMP_NAME = "aikg"

_lock = threading.Lock()


@dataclass(frozen=True)
class Dump:
    """One dump file on disk and what to call it."""

    path: Path
    format: Format
    gzipped: bool

    @property
    def filename(self) -> str:
        """Return the file name offered for download, such as aikg.nt.gz."""
        return f"{DUMP_NAME}.{self.format.extension}" + (".gz" if self.gzipped else "")


def dump_format(name: str) -> Format:
    """Return the dump format with this short name, or raise NotFound listing those on offer."""
    fmt = DUMP_FORMATS.get(name)
    if fmt is None:
        raise NotFound(f"No dump in format {name!r}. Dumps: {', '.join(DUMP_FORMATS)}.")
    return fmt


def default_cache_dir() -> Path:
    """Return the folder dumps are cached in when the settings name none."""
    return Path(tempfile.gettempdir()) / "aikg-dumps"


def _triples(store: Store) -> Iterator[ox.Triple]:
    for q in store.quads():
        yield ox.Triple(q.subject, q.predicate, q.object)


def write_dump(store: Store, fmt: Format, out: BinaryIO | str | Path) -> None:
    """Write the whole graph in one format to a binary file or a path, streaming quad by quad."""
    target = str(out) if isinstance(out, Path) else out
    if fmt in DATASET_FORMATS:
        ox.serialize(store.quads(), target, format=fmt.rdf, prefixes=PREFIXES)  # type: ignore[arg-type]
    elif fmt.name in ("nt",):
        ox.serialize(_triples(store), target, format=fmt.rdf)  # type: ignore[arg-type]
    else:
        ox.serialize(_triples(store), target, format=fmt.rdf, prefixes=PREFIXES)  # type: ignore[arg-type]


def dump_file(store: Store, fmt: Format, cache_dir: Path | None = None, *, gzipped: bool = False) -> Dump:
    """Return the dump of the store's current version in a format, writing it first if it is not cached."""
    folder = (cache_dir or default_cache_dir()) / store.info.version
    plain = folder / f"{DUMP_NAME}.{fmt.extension}"
    path = plain.with_name(plain.name + ".gz") if gzipped else plain
    if path.exists():
        return Dump(path, fmt, gzipped)
    # One writer per process; other processes (and a request that finds the lock held while it runs in a
    # greenlet, which must not block the thread its writer needs: see aikg.graph.cache) are kept apart by
    # the rename below.
    locked = _lock.acquire(blocking=not in_greenlet())
    try:
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            if not plain.exists():
                _atomic(plain, lambda tmp: write_dump(store, fmt, tmp))
            if gzipped:
                _atomic(path, lambda tmp: _gzip(plain, tmp))
    finally:
        if locked:
            _lock.release()
    return Dump(path, fmt, gzipped)


def _gzip(source: Path, target: Path) -> None:
    # mtime=0 keeps the bytes (and so the strong ETag) the same whoever writes the file.
    with (
        source.open("rb") as src,
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
    ):
        shutil.copyfileobj(src, gz, 1 << 20)


def _atomic(path: Path, write: object) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)  # type: ignore[operator]
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
