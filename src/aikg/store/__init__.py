"""One store interface, with the embedded (pyoxigraph) and remote (SPARQL 1.1 endpoint) stores behind it.

Views, domain modules and the CLI talk to a :class:`Store` and never ask which kind is live. Results come
back as :mod:`pyoxigraph` terms in the plain dataclasses of :mod:`aikg.sparql.results`, whatever the backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pyoxigraph import Quad

from aikg.sparql.results import Boolean, QueryResult, Solutions, Term, Triples

__all__ = [
    "Answer", "Boolean", "DatasetInfo", "QueryResult", "Solutions", "Store", "Term", "Triples", "ask", "select",
]


@dataclass
class Answer:
    """A query's answer already written in a format (``fmt``: the name of a result or RDF format).

    A store that can write answers itself (see :func:`aikg.store.native.answer`) makes no Python term;
    ``rows`` is how many rows or triples it holds when the store counted them (else None).
    """

    body: bytes
    fmt: str
    truncated: bool = False
    rows: int | None = None


@dataclass(frozen=True)
class DatasetInfo:
    """What identifies the loaded data: a version hash (for ETags) and when it last changed."""

    version: str
    modified: str
    sources: tuple[str, ...] = ()


@runtime_checkable
class Store(Protocol):
    """What every store offers to the rest of aikg."""

    @property
    def info(self) -> DatasetInfo:
        """Return what identifies the data now served (a property: disk and remote stores follow new versions)."""
        ...

    @property
    def cache_scope(self) -> str:
        """Name which store answers, for caches kept per data version: two stores holding the same version
        (the embedded store and one it was published to) must not share answers in one process."""
        ...

    @property
    def repeat_values(self) -> bool:
        """Tell whether a VALUES block binding parameters is written again at the end of the WHERE group."""
        ...

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
        """Run a SPARQL query; bind `substitutions` as RDF terms, stop after `timeout` seconds,
        and keep at most `limit` rows or triples (setting `truncated`)."""
        ...

    def quads(self) -> Iterator[Quad]:
        """Iterate over every quad held, graph by graph."""
        ...

    def graph_names(self) -> list[str]:
        """Return the IRIs of the named graphs held."""
        ...

    def close(self) -> None:
        """Release what the store holds open."""
        ...


def select(store: Store, text: str, **bindings: Term) -> list[dict[str, Term]]:
    """Run a trusted SELECT with variables bound to terms and return its rows as dicts."""
    result = store.query(text, substitutions=bindings or None)
    if not isinstance(result, Solutions):
        raise TypeError("select() needs a SELECT query")
    return result.dicts()


def ask(store: Store, text: str, **bindings: Term) -> bool:
    """Run a trusted ASK with variables bound to terms."""
    result = store.query(text, substitutions=bindings or None)
    if not isinstance(result, Boolean):
        raise TypeError("ask() needs an ASK query")
    return result.value
