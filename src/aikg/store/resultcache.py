"""A result cache in front of any store: the data never changes within a version, so neither do answers.

An answer is kept under the data version, the query text (without the blank space around it), the
bound terms, the dataset, the row cap and, for a written answer, the format; a new version makes every
older entry unreachable, and they age out. The cache is bounded in bytes: a written answer counts its
length, an answer held as terms an estimate of its Python objects; the least recently used entries go
first, and an answer larger than an eighth of the bound is never kept. Queries whose answer may change
from one run to the next (``Query.volatile``: NOW, RAND, UUID, STRUUID, BNODE, blank nodes made by a
CONSTRUCT template) are never cached. Errors are never cached.

Each web process has its own cache (what the main process cached while warming up is shared by all).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyoxigraph import BlankNode, Literal, Quad

from aikg.errors import AikgError
from aikg.sparql.query import analyse
from aikg.store import Answer, Boolean, DatasetInfo, QueryResult, Solutions, Store, Term, Triples
from aikg.store.native import answer as answer_from

_ENTRY = 200  # bytes an entry costs beyond its contents (key tuple, dict slot, dataclass)


def deterministic(text: str) -> bool:
    """Tell whether a query gives the same answer every time it runs on the same data (not volatile)."""
    if not any(mark in text for mark in ("(", "[", "_:", "\\")):
        return True  # no call, no blank node, no escape that could spell one: nothing volatile
    try:
        # The project's one reading of a query (its tokens, codepoint escapes decoded); texts up to 8 KB are
        # analysed once per process, and the endpoint's own analysis of a public query is that same one.
        return not analyse(text, max_depth=None).volatile
    except AikgError:
        return False  # not understood: never kept


@dataclass
class CacheStats:
    """What the cache holds and how it has done."""

    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int


class CachedStore:
    """A store that answers repeated queries from memory (see the module docstring)."""

    def __init__(self, inner: Store, max_bytes: int) -> None:
        self.inner = inner
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, ...], tuple[Answer | QueryResult, int]] = OrderedDict()
        self._bytes = 0
        self._hits = self._misses = 0
        self._lock = threading.Lock()

    @property
    def info(self) -> DatasetInfo:
        """Return the inner store's info."""
        return self.inner.info

    @property
    def cache_scope(self) -> str:
        """Name what the inner store names."""
        return self.inner.cache_scope

    @property
    def repeat_values(self) -> bool:
        """Tell what the inner store tells."""
        return self.inner.repeat_values

    @property
    def stats(self) -> CacheStats:
        """Return the cache's size and hit counts."""
        return CacheStats(len(self._entries), self._bytes, self.max_bytes, self._hits, self._misses)

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
        """Run a query, or give the answer kept from an earlier run (see :meth:`aikg.store.Store.query`)."""
        bound = tuple(sorted((k, str(t)) for k, t in substitutions.items())) if substitutions else ()
        key = ("q", self.info.version, text.strip(), bound, _tuple(default_graph), _tuple(named_graphs), limit)
        kept = self._get(key)
        if kept is not None:
            return _copy(kept)  # type: ignore[arg-type]
        result = self.inner.query(
            text, substitutions=substitutions, default_graph=default_graph, named_graphs=named_graphs,
            timeout=timeout, limit=limit,
        )
        if deterministic(text):
            self._put(key, result, _size(result) + sum(len(k) + len(v) for k, v in bound) + len(text))
        return _copy(result)

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
        """Answer a query, or give the answer kept from an earlier run (see :func:`aikg.store.native.answer`)."""
        key = ("a", self.info.version, text.strip(), fmt, _tuple(default_graph), _tuple(named_graphs), limit)
        kept = self._get(key)
        if kept is not None:
            return kept  # type: ignore[return-value]  # an Answer holds bytes: nothing to copy
        found = answer_from(
            self.inner, text, fmt, default_graph=default_graph, named_graphs=named_graphs, timeout=timeout,
            limit=limit, volatile=volatile,
        )
        if deterministic(text) if volatile is None else not volatile:
            self._put(key, found, len(found.body) + len(text))
        return found

    def _get(self, key: tuple[Any, ...]) -> Answer | QueryResult | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return entry[0]

    def _put(self, key: tuple[Any, ...], value: Answer | QueryResult, size: int) -> None:
        size += _ENTRY
        if size > self.max_bytes // 8:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def quads(self) -> Iterator[Quad]:
        """Iterate over the inner store's quads (never cached: dumps are written to files once)."""
        return self.inner.quads()

    def graph_names(self) -> list[str]:
        """Return the inner store's named graphs."""
        return self.inner.graph_names()

    def close(self) -> None:
        """Close the inner store."""
        self.inner.close()


def _tuple(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def _copy(result: QueryResult) -> QueryResult:
    # Callers may sort or extend what they get; the kept answer must not change with them.
    if isinstance(result, Solutions):
        return Solutions(list(result.variables), list(result.rows), result.truncated)
    if isinstance(result, Triples):
        return Triples(list(result.triples), result.truncated)
    return Boolean(result.value, result.truncated)


def _term_size(term: Term | None) -> int:
    if term is None:
        return 8
    size = 72 + len(term.value)  # the term object and its string
    if isinstance(term, Literal):
        size += 16 + len(term.language or "")  # datatypes are shared
    elif isinstance(term, BlankNode):
        size += 8
    return size


def _size(result: QueryResult) -> int:
    """Estimate the memory an answer held as terms takes."""
    if isinstance(result, Solutions):
        return 64 + sum(56 + 8 * len(row) + sum(_term_size(t) for t in row) for row in result.rows)
    if isinstance(result, Triples):
        return 64 + sum(64 + _term_size(t.subject) + _term_size(t.predicate) + _term_size(t.object)  # type: ignore[arg-type, misc]
                        for t in result.triples)
    return 64
