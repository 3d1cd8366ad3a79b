"""A store whose queries are admitted by a gate (fair share of engine time per client) and charged to it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Protocol, TypeVar

from pyoxigraph import Quad

from aikg.errors import EngineFailure, QueryTimeout
from aikg.store import Answer, DatasetInfo, QueryResult, Store, Term
from aikg.store.native import answer as answer_from

#: Who a query runs for (the client's address): the web tier sets it per request; None is the app itself.
requester: ContextVar[str | None] = ContextVar("aikg_requester", default=None)
#: The seconds an engine spent on the last query, when the store measured them (the engine pool does):
#: charged instead of the time the caller waited, which includes the queue.
spent: ContextVar[float | None] = ContextVar("aikg_spent", default=None)

_T = TypeVar("_T")


class Gate(Protocol):
    """What decides whether a client may run one more query now (:class:`aikg.serving.share.FairShare`)."""

    def admit(self, client: str) -> None:
        """Let a query of `client` start, or raise TooManyRequests."""
        ...

    def release(self, client: str, seconds: float) -> None:
        """Record that a query of `client` ended after using the store for `seconds`."""
        ...


class GatedStore:
    """Run each query of a client (see :data:`requester`) only if the gate admits it, and charge its time.

    What is charged is the engine's time when the store measured it, else the time the store took to
    answer; a stopped or crashed query costs the time until it ended. The app's own queries (no
    requester) are never gated.
    """

    def __init__(self, inner: Store, gate: Gate) -> None:
        self.inner = inner
        self.gate = gate

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
        """Run a query through the gate (see :meth:`aikg.store.Store.query`)."""
        return self._through(lambda: self.inner.query(
            text, substitutions=substitutions, default_graph=default_graph, named_graphs=named_graphs,
            timeout=timeout, limit=limit,
        ))

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
        """Answer a query through the gate (see :func:`aikg.store.native.answer`)."""
        return self._through(lambda: answer_from(
            self.inner, text, fmt, default_graph=default_graph, named_graphs=named_graphs, timeout=timeout,
            limit=limit, volatile=volatile,
        ))

    def _through(self, run: Callable[[], _T]) -> _T:
        client = requester.get()
        if client is None:
            return run()
        self.gate.admit(client)
        began = time.monotonic()
        used = 0.0
        spent.set(None)
        try:
            result = run()
            measured = spent.get()
            used = time.monotonic() - began if measured is None else measured
            return result
        except (QueryTimeout, EngineFailure):
            used = time.monotonic() - began  # the store was held until the query was stopped or died
            raise
        finally:
            self.gate.release(client, used)

    def quads(self) -> Iterator[Quad]:
        """Iterate over the inner store's quads (dumps are the app's, not a client's)."""
        return self.inner.quads()

    def graph_names(self) -> list[str]:
        """Return the inner store's named graphs."""
        return self.inner.graph_names()

    def close(self) -> None:
        """Close the inner store."""
        self.inner.close()
