"""The embedded store: pyoxigraph in memory or on disk, with a query time limit.

pyoxigraph has no timeout or cancellation, and evaluation happens while results are iterated. A query
with a time limit therefore runs on a daemon thread (pyoxigraph releases the GIL); when the limit
passes, the caller gets :class:`QueryTimeout` at once and the thread is abandoned, keeping a core busy
until its query finishes (the development server and the commands accept that).

A process that serves one request at a time and may die for a runaway query (a gunicorn sync worker)
can call :func:`run_inline` instead: queries then run in the caller's thread, which saves the hand-off
to another thread (a third of the time of a trivial /sparql request), and a watchdog thread calls the
given `overrun` function when a query passes its limit; that function answers and ends the process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pyoxigraph as ox

from aikg.errors import BadQuery, QueryTimeout
from aikg.sparql.values import bind_values
from aikg.store import Boolean, DatasetInfo, QueryResult, Solutions, Term, Triples

log = logging.getLogger(__name__)


class EmbeddedStore:
    """A :class:`aikg.store.Store` over a pyoxigraph store; the default graph is the union of all graphs."""

    #: Bound parameters lead the WHERE group, once: the engine plans its joins from them.
    repeat_values = False

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

        def run() -> QueryResult:
            try:
                raw = self.oxi.query(text, **kwargs)
            except SyntaxError as e:
                raise BadQuery(_syntax_message(str(e)), details=_position(str(e))) from None
            except (ValueError, TypeError) as e:
                raise BadQuery(str(e)) from None
            except RuntimeError as e:
                # pyoxigraph refuses a substitution of a variable that is not projected (SEP-0007).
                raise BadQuery(f"Cannot bind parameters: {e}") from None
            return materialise(raw, limit)

        if timeout is None:
            return run()
        if _inline is not None:
            return _inline.run(run, timeout)
        try:
            return self._runner.run(run, timeout)
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
        # Threads do not survive fork(): a server that loads the store before forking its workers
        # (gunicorn's preload_app) needs fresh threads, queue and lock in each worker.
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


class _Watched:
    """Runs one query at a time in the caller's thread; a watchdog thread checks its deadline.

    The caller only writes two attributes per query (no thread is woken); the watchdog looks every
    `tick` seconds, so a runaway is caught at most that late. Once the watchdog claims an overrun, the
    caller never returns (its process is ending): nothing can be written after the overrun's answer.
    """

    def __init__(self, overrun: Callable[[QueryTimeout], None], tick: float = 0.05) -> None:
        self._overrun = overrun
        self._tick = tick
        self._lock = threading.Lock()
        self._current: tuple[float, float] | None = None  # (deadline, limit) of the running query
        self._claimed = False
        self._pid = -1

    def run(self, fn: Callable[[], Any], timeout: float) -> Any:
        if self._pid != os.getpid():  # started lazily, in the process that queries (after any fork)
            self._pid = os.getpid()
            threading.Thread(target=self._watch, name="aikg-watchdog", daemon=True).start()
        self._current = (time.monotonic() + timeout, timeout)
        try:
            return fn()
        finally:
            with self._lock:
                self._current = None
                claimed = self._claimed
            if claimed:
                threading.Event().wait()  # the watchdog is answering and ending the process

    def _watch(self) -> None:
        while True:
            time.sleep(self._tick)
            current = self._current
            if current is None or time.monotonic() < current[0]:
                continue
            with self._lock:
                if self._current is not current:
                    continue  # it finished meanwhile
                self._claimed = True
            log.warning("query past its %.1f s limit: the process answers 503 and exits", current[1])
            self._overrun(QueryTimeout.after(current[1]))
            return


_inline: _Watched | None = None


def run_inline(overrun: Callable[[QueryTimeout], None]) -> None:
    """Run this process's timed queries in the caller's thread; call `overrun` (which must end the
    process: the engine cannot stop) from a watchdog thread when one passes its limit."""
    global _inline
    _inline = _Watched(overrun)
