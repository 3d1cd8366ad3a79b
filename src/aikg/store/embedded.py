"""The embedded store: pyoxigraph in memory or on disk, with a query time limit.

pyoxigraph has no timeout or cancellation, and evaluation happens while results are iterated. A query
with a time limit therefore runs on a daemon thread (pyoxigraph releases the GIL); when the limit
passes, the caller gets :class:`QueryTimeout` at once and the thread is abandoned, keeping a core busy
until its query finishes. The CLI and the in-process apps of the tests accept that; ``aikg serve`` runs
every query in an engine process instead (:mod:`aikg.store.pool`), which is killed at the limit, and
calls this store there without a time limit.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import pyoxigraph as ox

from aikg.errors import AikgError, BadQuery, QueryTimeout, StoreUnavailable
from aikg.sparql.values import bind_values
from aikg.store import Answer, Boolean, DatasetInfo, QueryResult, Solutions, Term, Triples
from aikg.store.native import write

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class EmbeddedStore:
    """A :class:`aikg.store.Store` over a pyoxigraph store; the default graph is the union of all graphs."""

    #: Bound parameters lead the WHERE group, once: the engine plans its joins from them.
    repeat_values = False
    #: A local store; the version alone names its answers.
    cache_scope = ""

    def __init__(self, oxi: ox.Store, info: DatasetInfo, *, read_only: bool = False) -> None:
        self.oxi = oxi
        self.info = info
        self.read_only = read_only
        self._runner = _Runner()

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
        """Run a SPARQL query (see :meth:`aikg.store.Store.query`)."""
        text, kwargs = self._prepare(text, substitutions, default_graph, named_graphs)

        def run() -> QueryResult:
            try:
                return materialise(self._run(text, kwargs), limit)
            except OSError as e:
                raise _evaluation_error(e) from None

        return self._timed(run, timeout, text)

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
        """Run a SPARQL query and write its answer natively (see :func:`aikg.store.native.answer`)."""
        text, kwargs = self._prepare(text, None, default_graph, named_graphs)

        def run() -> Answer:
            try:
                return write(self._run(text, kwargs), fmt, limit)
            except OSError as e:
                raise _evaluation_error(e) from None

        return self._timed(run, timeout, text)

    def raw(
        self,
        text: str,
        substitutions: Mapping[str, Term] | None = None,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> Any:
        """Run a query with no time limit and return pyoxigraph's lazy result (for engine processes)."""
        text, kwargs = self._prepare(text, substitutions, default_graph, named_graphs)
        return self._run(text, kwargs)

    def _prepare(
        self,
        text: str,
        substitutions: Mapping[str, Term] | None,
        default_graph: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
    ) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        if default_graph is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if substitutions and all(isinstance(t, (ox.NamedNode, ox.Literal)) for t in substitutions.values()):
            text = bind_values(text, substitutions)  # planned as a join, where substitutions are not
        elif substitutions:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        return text, kwargs

    def _run(self, text: str, kwargs: dict[str, Any]) -> Any:
        try:
            return self.oxi.query(text, **kwargs)
        except SyntaxError as e:
            raise BadQuery(_syntax_message(str(e)), details=_position(str(e))) from None
        except (ValueError, TypeError) as e:
            raise BadQuery(str(e)) from None
        except RuntimeError as e:
            # pyoxigraph refuses a substitution of a variable that is not projected (SEP-0007).
            raise BadQuery(f"Cannot bind parameters: {e}") from None

    def _timed(self, run: Callable[[], _T], timeout: float | None, text: str) -> _T:
        if timeout is None:
            return run()
        try:
            return self._runner.run(run, timeout)  # type: ignore[no-any-return]
        except QueryTimeout:
            log.warning("query abandoned after %.1f s: %s", timeout, text[:200].replace("\n", " "))
            raise

    def quads(self) -> Iterator[ox.Quad]:
        """Iterate over every quad held."""
        return iter(self.oxi.quads_for_pattern(None, None, None, None))

    def graph_names(self) -> list[str]:
        """Return the IRIs of the named graphs held."""
        return sorted(g.value for g in self.oxi.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self.oxi)

    def close(self) -> None:
        """Flush pending writes of an on-disk store."""
        if not self.read_only:
            with contextlib.suppress(OSError):  # an in-memory store has nothing to flush
                self.oxi.flush()


def materialise(raw: Any, limit: int | None) -> QueryResult:
    """Turn a lazy pyoxigraph result into a dataclass, evaluating at most `limit` rows (+1 to detect more)."""
    if isinstance(raw, ox.QueryBoolean):
        return Boolean(bool(raw))
    if isinstance(raw, ox.QuerySolutions):
        names = [v.value for v in raw.variables]
        width = len(names)
        rows: list[tuple[Term | None, ...]] = []
        append = rows.append
        truncated = False
        for solution in raw:
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            append(tuple(solution[i] for i in range(width)))
        return Solutions(names, rows, truncated)
    triples: list[ox.Triple] = []
    truncated = False
    for triple in raw:
        if limit is not None and len(triples) >= limit:
            truncated = True
            break
        triples.append(triple)
    return Triples(triples, truncated)


def _evaluation_error(error: OSError) -> AikgError:
    """Translate an I/O error raised while a query is evaluated."""
    if error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED) or "Network" in str(error):
        # Only SERVICE makes the engine open a connection, and it is refused before any engine sees a query;
        # engine processes have no network where the platform allows it.
        return BadQuery("This endpoint does not fetch remote data on a query's behalf (SERVICE): its query "
                        "engines have no network. Query the other endpoint yourself and combine the results.")
    return StoreUnavailable(f"The store could not be read: {error}")


def _syntax_message(message: str) -> str:
    # pyoxigraph says "error at L:C: expected one of ..." and lists character classes as ranges of
    # code points; keep the position and the named alternatives, summarise the ranges.
    m = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if not m:
        return message
    line, column, rest = m.groups()
    expected = [part for part in re.split(r",\s*(?=[\"'\[A-Za-z])", rest.removeprefix("expected one of "))
                if not part.startswith("[")]
    rest = rest.replace("Prefix not found", "a declared prefix")
    if rest.startswith("expected one of "):
        ranges = "[" in rest
        rest = "expected one of " + ", ".join(expected[:25]) + (", or a name or number" if ranges else "")
    return f"SPARQL syntax error at line {line}, column {column}: {' '.join(rest.split())}"


def _position(message: str) -> dict[str, int] | None:
    # pyoxigraph reports "error at LINE:COLUMN: expected ..."
    head = message.split(":", 3)
    try:
        line = int(head[0].rsplit(" ", 1)[-1])
        column = int(head[1])
    except (IndexError, ValueError):
        return None
    return {"line": line, "column": column}


class _Runner:
    """A small pool of daemon threads; a thread whose task passes its deadline is given up and replaced."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._start()

    def _start(self) -> None:
        # Threads do not survive fork(): a process forked after the store was loaded (an engine, a
        # test's child) needs fresh threads, queue and lock.
        self._pid = os.getpid()
        self._tasks: queue.SimpleQueue[tuple[Callable[[], Any], _Slot]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        for _ in range(self._size):
            self._spawn()

    def _spawn(self) -> None:
        threading.Thread(target=self._work, name="aikg-query", daemon=True).start()

    def _work(self) -> None:
        while True:
            fn, slot = self._tasks.get()
            try:
                slot.value = fn()
            except BaseException as e:  # handed back to the waiting caller
                slot.error = e
            slot.done.set()
            if slot.abandoned:
                return  # its caller gave up; a replacement thread was already started

    def run(self, fn: Callable[[], Any], timeout: float) -> Any:
        if self._pid != os.getpid():
            self._start()
        slot = _Slot()
        self._tasks.put((fn, slot))
        if not slot.done.wait(timeout):
            with self._lock:
                slot.abandoned = True
            self._spawn()
            raise QueryTimeout.after(timeout)
        if slot.error is not None:
            raise slot.error
        return slot.value


class _Slot:
    __slots__ = ("done", "value", "error", "abandoned")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.abandoned = False
