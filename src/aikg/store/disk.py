"""The on-disk embedded store: immutable versions side by side, and an atomic switch between them.

Layout of a store directory (``--store PATH``)::

    PATH/current                 symlink to versions/<version>: the live version
    PATH/versions/<version>/     one complete version, never modified after it is built
        store/                   a pyoxigraph (RocksDB) store
        info.json                version, modified, sources, triples, loaded
    PATH/versions/.tmp-<random>/ a version being built (removed by the next load if the build died)
    PATH/.lock                   held by the one load that may run at a time

``aikg load`` (:func:`aikg.ingest.load.load`, through :func:`write_version`) builds a new version in a
temporary directory, renames it into place, then points ``current`` at it with ``os.replace`` of a fresh
symlink, which is atomic: a reader opens either the old version or the new one, never a mix, and a load
killed at any moment leaves ``current`` as it was.
After the switch, versions older than the previous one are deleted.

Reload. Servers open ``current`` read-only (the engine processes share one copy on disk). With
``watch=True`` (setting ``WATCH``, ``aikg serve --watch``) a store looks at the symlink at most every
:data:`CHECK_EVERY` seconds, on the next query; when it has moved, it opens the new version and sends new
queries there, while queries already running finish on the old one. Without watching, restart
the server (its engines open the new version when they start).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from aikg.errors import StoreUnavailable
from aikg.store import Answer, DatasetInfo, QueryResult, Term
from aikg.store.embedded import EmbeddedStore

log = logging.getLogger(__name__)

CURRENT = "current"
VERSIONS = "versions"
TMP_PREFIX = ".tmp-"
CHECK_EVERY = 0.5

@dataclass(frozen=True)
class VersionInfo:
    """What info.json records about a version."""

    version: str
    modified: str
    sources: tuple[str, ...]
    triples: int
    loaded: str

    def dataset(self) -> DatasetInfo:
        """Return the DatasetInfo the store reports."""
        return DatasetInfo(self.version, self.modified, self.sources)


@dataclass(frozen=True)
class LoadResult:
    """The outcome of a load: the new version, its size and how long it took."""

    path: Path
    info: VersionInfo
    seconds: float
    previous: str | None

    @property
    def triples_per_second(self) -> float:
        return self.info.triples / self.seconds if self.seconds else 0.0


# -- writing ---------------------------------------------------------------------------------------


def write_version(root: Path, info: DatasetInfo, fill: Callable[[ox.Store], int], *, keep: int = 2) -> LoadResult:
    """Build a new version of the store at `root` with `fill` (which returns the store's size) and make it
    the live one, atomically."""
    started = time.perf_counter()
    versions = root / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        clean(root)
        loaded = datetime.now(UTC)
        name = f"{loaded:%Y%m%dT%H%M%S%fZ}-{info.version[:12]}"
        tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=versions))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; server workers may run as another user
            oxi = ox.Store(str(tmp / "store"))
            triples = fill(oxi)
            del oxi
            gc.collect()  # close the RocksDB instance before the directory is renamed and opened read-only
            record = VersionInfo(info.version, info.modified, info.sources, triples, loaded.isoformat())
            (tmp / "info.json").write_text(json.dumps(asdict(record), indent=1), encoding="utf-8")
            _fsync_dir(tmp)
            final = versions / name
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        previous = current_version(root)
        switch(root, final)
        prune(root, keep)
    return LoadResult(final, record, time.perf_counter() - started, previous.name if previous else None)


def switch(root: Path, version: Path) -> None:
    """Point `current` at a version: a new symlink renamed over the old one (atomic on POSIX)."""
    link = root / CURRENT
    tmp = root / f"{TMP_PREFIX}{CURRENT}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(os.path.relpath(version, root), tmp)
    os.replace(tmp, link)
    _fsync_dir(root)


def current_version(root: Path) -> Path | None:
    """Return the directory of the live version, or None when nothing was loaded yet."""
    link = root / CURRENT
    if not link.is_symlink():
        return None
    return (root / os.readlink(link)).resolve()


def prune(root: Path, keep: int = 2) -> list[Path]:
    """Delete all versions but the live one and the newest others, up to `keep` in all."""
    live = current_version(root)
    versions = sorted((p for p in (root / VERSIONS).iterdir() if not p.name.startswith(".")), reverse=True)
    kept = [live] if live else []
    removed = []
    for path in versions:
        if path.resolve() in kept:
            continue
        if len(kept) < keep:
            kept.append(path.resolve())
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def clean(root: Path) -> list[Path]:
    """Remove what an interrupted load left behind: temporary version directories and symlinks."""
    removed = []
    for path in [*(root / VERSIONS).glob(TMP_PREFIX + "*"), *root.glob(TMP_PREFIX + "*")]:
        if path.is_symlink() or path.is_file():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    with (root / ".lock").open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreUnavailable(f"{root}: another load is running on this store.") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- reading ---------------------------------------------------------------------------------------


def read_version(version: Path) -> EmbeddedStore:
    """Open one version read-only as an embedded store."""
    try:
        record = json.loads((version / "info.json").read_text(encoding="utf-8"))
        oxi = ox.Store.read_only(str(version / "store"))
    except (OSError, ValueError) as e:
        raise StoreUnavailable(f"{version}: cannot open this store version: {e}") from None
    info = VersionInfo(**{**record, "sources": tuple(record.get("sources", ()))})
    return EmbeddedStore(oxi, info.dataset(), read_only=True)


class DiskStore:
    """The live version of an on-disk store; with `watch`, it follows `current` when a load moves it."""

    repeat_values = False
    cache_scope = ""  # a local store: the version alone names its answers

    def __init__(self, root: Path, *, watch: bool = False) -> None:
        self.root = root
        self.watch = watch
        self.read_only = True
        self._lock = threading.Lock()
        self._target = self._link()
        self._store = self._open(self._target)
        self._checked = time.monotonic()

    def _link(self) -> str:
        try:
            return os.readlink(self.root / CURRENT)
        except OSError:
            raise StoreUnavailable(
                f"{self.root}: no store version here yet; build one with `aikg load FILE... --store {self.root}`."
            ) from None

    def _open(self, target: str) -> EmbeddedStore:
        return read_version((self.root / target).resolve())

    def live(self) -> EmbeddedStore:
        """Return the version to query now, switching to a new one if `current` moved (when watching)."""
        if self.watch and time.monotonic() - self._checked >= CHECK_EVERY:
            with self._lock:
                if time.monotonic() - self._checked >= CHECK_EVERY:
                    self._checked = time.monotonic()
                    self._follow()
        return self._store

    def _follow(self) -> None:
        try:
            target = os.readlink(self.root / CURRENT)
        except OSError:
            return
        if target == self._target:
            return
        try:
            store = self._open(target)
        except StoreUnavailable as e:
            log.warning("keeping store version %s: %s", self._target, e.message)
            return
        log.info("store switched from %s to %s", self._target, target)
        # Queries already running keep their reference to the old version and finish on it.
        self._store, self._target = store, target

    @property
    def info(self) -> DatasetInfo:
        """Return the live version's info."""
        return self.live().info

    @property
    def oxi(self) -> ox.Store:
        """Return the live version's pyoxigraph store."""
        return self.live().oxi

    def query(
        self,
        text: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> QueryResult:
        """Run a SPARQL query on the live version (see :meth:`aikg.store.Store.query`)."""
        return self.live().query(
            text, substitutions=substitutions, default_graph=default_graph, named_graphs=named_graphs,
            timeout=timeout, limit=limit,
        )

    def answer(
        self,
        text: str,
        fmt: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limit: int | None = None,
        volatile: bool | None = None,
    ) -> Answer:
        """Run a SPARQL query on the live version and write its answer (see :func:`aikg.store.native.answer`)."""
        return self.live().answer(
            text, fmt, default_graph=default_graph, named_graphs=named_graphs, timeout=timeout, limit=limit,
            volatile=volatile,
        )

    def raw(
        self,
        text: str,
        substitutions: Mapping[str, Term] | None = None,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> Any:
        """Run a query on the live version with no time limit; return pyoxigraph's lazy result."""
        return self.live().raw(text, substitutions, default_graph, named_graphs)

    def quads(self) -> Iterator[ox.Quad]:
        """Iterate over every quad of the live version."""
        return self.live().quads()

    def graph_names(self) -> list[str]:
        """Return the IRIs of the named graphs of the live version."""
        return self.live().graph_names()

    def __len__(self) -> int:
        return len(self.live())

    def close(self) -> None:
        """Nothing to flush: versions are read-only."""


def open_disk_store(path: Path, read_only: bool = True, *, watch: bool = False) -> DiskStore:
    """Open the live version of the store directory at `path` (read-only; see the module docstring)."""
    if not read_only:
        raise ValueError("store versions are immutable: build a new one with aikg.ingest.load.load()")
    return DiskStore(Path(path), watch=watch)

