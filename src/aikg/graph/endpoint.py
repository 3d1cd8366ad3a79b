"""Run a query from the public: lexical checks, size, time and row limits, and the dataset rules.

Nothing here knows about HTTP; the SPARQL protocol view and the query page both call :func:`run_query`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

import pyoxigraph as ox

from aikg.config import Settings
from aikg.errors import BadQuery, BadRequest, PayloadTooLarge, QueryTimeout
from aikg.graph.document import description_triples
from aikg.sparql.query import analyse, describe_as_select
from aikg.store import QueryResult, Solutions, Store, Triples

DescribeFn = Callable[[Store, str], list[ox.Triple]]


def check_text(text: str, settings: Settings) -> str:
    """Check a public query's size and safety and return its form (SELECT, ASK, CONSTRUCT, DESCRIBE)."""
    max_bytes = settings.max_query_bytes
    # A str holds at most 4 UTF-8 bytes per character: skip the encoding when it cannot be over.
    if max_bytes and len(text) * 4 > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise PayloadTooLarge(f"The query is longer than the limit of {max_bytes} bytes.")
    return analyse(text).form


def run_query(
    store: Store,
    text: str,
    *,
    settings: Settings,
    default_graph: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
    base_iri: str | None = None,
) -> QueryResult:
    """Run a query from the public: refuse updates and SERVICE, enforce size, timeout and row cap.

    A protocol dataset (`default_graph`, `named_graphs`) replaces the query's own FROM clauses; when
    only one of the two is given the other is empty. Graphs the store does not hold are empty, never
    fetched. Without any dataset the default graph is the union of all graphs. Relative IRIs in a
    query without BASE resolve against `base_iri` (the endpoint's URL).
    """
    check_text(text, settings)
    shape = analyse(text)
    if shape.needs_base and base_iri:
        prefix = f"BASE <{base_iri}> "
        try:
            return run_query(store, prefix + text, settings=settings, default_graph=default_graph,
                             named_graphs=named_graphs)
        except BadQuery as e:
            raise _shift(e, len(prefix)) from None
    timeout = settings.query_timeout or None
    max_rows = settings.max_rows or None
    if default_graph is None and named_graphs is None and shape.has_dataset:
        # The query's own FROM / FROM NAMED clauses name the dataset; the store's union default
        # graph would otherwise override them.
        default_graph, named_graphs = shape.default_graphs, shape.named_graphs
    if default_graph is not None or named_graphs is not None:
        default_graph = _iris(default_graph or (), "default-graph-uri")
        named_graphs = _iris(named_graphs or (), "named-graph-uri")
    elif shape.form == "DESCRIBE":
        # The resource documents and DESCRIBE share one definition of a description.
        return _describe(store, text, description_triples, timeout=timeout, max_rows=max_rows)
    return store.query(text, default_graph=default_graph, named_graphs=named_graphs, timeout=timeout, limit=max_rows)


def _shift(error: BadQuery, columns: int) -> BadQuery:
    """Report a syntax error's position in the text as sent, before a BASE was put in front of it."""
    details = error.details
    if not (isinstance(details, dict) and details.get("line") == 1):
        return error
    column = max(1, int(details["column"]) - columns)
    message = re.sub(r"line 1, column \d+", f"line 1, column {column}", error.message, count=1)
    return BadQuery(message, details={**details, "column": column})


def _iris(values: Sequence[str], what: str) -> list[str]:
    out = []
    for value in values:
        try:
            out.append(ox.NamedNode(value).value)
        except ValueError as e:
            raise BadRequest(f"{what}: {value!r} is not an absolute IRI ({e}).") from None
    return out


def _describe(store: Store, text: str, describe: DescribeFn, *, timeout: float | None, max_rows: int | None) -> Triples:
    """Answer DESCRIBE with the union of the resource descriptions of every described IRI."""
    started = time.monotonic()
    found = store.query(describe_as_select(text), timeout=timeout, limit=max_rows)
    assert isinstance(found, Solutions)
    iris: dict[str, None] = {}
    for row in found.rows:
        for term in row:
            if isinstance(term, ox.NamedNode):
                iris.setdefault(term.value)
    seen: set[ox.Triple] = set()
    triples: list[ox.Triple] = []
    truncated = found.truncated
    for iri in iris:
        if timeout is not None and time.monotonic() - started > timeout:
            raise QueryTimeout.after(timeout)
        for triple in describe(store, iri):
            if triple in seen:
                continue
            if max_rows is not None and len(triples) >= max_rows:
                return Triples(triples, truncated=True)
            seen.add(triple)
            triples.append(triple)
    return Triples(triples, truncated=truncated)
