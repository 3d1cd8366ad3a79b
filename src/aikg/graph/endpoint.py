"""Run a query from the public: its structure read once, size, depth, time and row limits, the dataset rules.

Nothing here knows about HTTP. The SPARQL protocol view calls :func:`answer_query`, which has the store write
the answer in the format asked for (natively, where the store can); the query page calls :func:`run_query`,
which returns terms. Both run the one :class:`~aikg.sparql.query.Query` made by :func:`prepare`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

import pyoxigraph as ox

from aikg.config import Settings
from aikg.errors import BadQuery, BadRequest, PayloadTooLarge, QueryTimeout
from aikg.graph.document import description_triples
from aikg.sparql.query import DEFAULT_MAX_DEPTH, Query, analyse
from aikg.store import Answer, QueryResult, Solutions, Store, Triples
from aikg.store.native import answer, by_terms

DescribeFn = Callable[[Store, str], list[ox.Triple]]


def prepare(text: str, settings: Settings) -> Query:
    """Check a public query's size, then analyse it once: updates, SERVICE, nesting (see aikg.sparql.query)."""
    max_bytes = settings.max_query_bytes
    # A str holds at most 4 UTF-8 bytes per character: skip the encoding when it cannot be over.
    if max_bytes and len(text) * 4 > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise PayloadTooLarge(f"The query is longer than the limit of {max_bytes} bytes.")
    return analyse(text, max_depth=settings.max_query_depth or DEFAULT_MAX_DEPTH)


def check_text(text: str, settings: Settings) -> str:
    """Check a public query's size and safety and return its form (SELECT, ASK, CONSTRUCT, DESCRIBE)."""
    return prepare(text, settings).form


def run_query(
    store: Store,
    query: Query | str,
    *,
    settings: Settings,
    default_graph: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
    base_iri: str | None = None,
) -> QueryResult:
    """Run a query from the public: refuse updates and SERVICE, enforce size, depth, timeout and row cap.

    `query` is a text or what :func:`prepare` made of it. The decoded text it was analysed from is the
    text that runs. A protocol dataset (`default_graph`, `named_graphs`) replaces the query's own FROM
    clauses; when only one of the two is given the other is empty. Graphs the store does not hold are
    empty, never fetched. Without any dataset the default graph is the union of all graphs. Relative IRIs
    in a query without BASE resolve against `base_iri` (the endpoint's URL).
    """
    if isinstance(query, str):
        query = prepare(query, settings)
    text, prefix = _based(query, base_iri)
    try:
        return _run(store, query, text, settings, default_graph, named_graphs)
    except BadQuery as e:
        raise query.relocate(e, prefix) from None


def answer_query(
    store: Store,
    query: Query | str,
    fmt: str,
    *,
    settings: Settings,
    default_graph: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
    base_iri: str | None = None,
) -> Answer:
    """Answer a query from the public written in format `fmt`, with the checks and limits of :func:`run_query`.

    The store writes the answer itself where it can (the engine, natively), so no Python term is made; a
    SELECT gets an outer LIMIT of one more than the row cap, so the engine computes no row that is not sent.
    """
    if isinstance(query, str):
        query = prepare(query, settings)
    text, prefix = _based(query, base_iri)
    timeout = settings.query_timeout or None
    max_rows = settings.max_rows or None
    try:
        default_graph, named_graphs = _dataset(query, default_graph, named_graphs)
        if default_graph is None and query.form == "DESCRIBE":
            return by_terms(_run(store, query, text, settings, None, None), fmt)
        if max_rows is not None and query.form == "SELECT":
            text = text[: prefix] + query.with_row_limit(max_rows + 1)
        return answer(store, text, fmt, default_graph=default_graph, named_graphs=named_graphs, timeout=timeout,
                      limit=max_rows, volatile=query.volatile)
    except BadQuery as e:
        raise query.relocate(e, prefix) from None


def _based(query: Query, base_iri: str | None) -> tuple[str, int]:
    """Return the text to run (with BASE in front when the query needs one) and the length of what was put there."""
    if query.needs_base and base_iri:
        with contextlib.suppress(ValueError):  # not an absolute IRI: the engine then reports the relative IRIs
            text = query.with_base(base_iri)
            return text, len(text) - len(query.text)
    return query.text, 0


def _dataset(query: Query, default_graph: Sequence[str] | None,
             named_graphs: Sequence[str] | None) -> tuple[list[str] | None, list[str] | None]:
    """Return the dataset to run on: the protocol's, else the query's own FROM clauses, else None (the union)."""
    if default_graph is None and named_graphs is None and query.has_dataset:
        # The query's own FROM / FROM NAMED clauses name the dataset; the store's union default
        # graph would otherwise override them.
        default_graph, named_graphs = query.default_graphs, query.named_graphs
    if default_graph is not None or named_graphs is not None:
        return _iris(default_graph or (), "default-graph-uri"), _iris(named_graphs or (), "named-graph-uri")
    return None, None


def _run(store: Store, query: Query, text: str, settings: Settings, default_graph: Sequence[str] | None,
         named_graphs: Sequence[str] | None) -> QueryResult:
    timeout = settings.query_timeout or None
    max_rows = settings.max_rows or None
    default_graph, named_graphs = _dataset(query, default_graph, named_graphs)
    if default_graph is None and query.form == "DESCRIBE":
        # The resource documents and DESCRIBE share one definition of a description.
        select = query.describe_as_select()
        if text is not query.text:
            select = text[: len(text) - len(query.text)] + select
        return _describe(store, select, description_triples, timeout=timeout, max_rows=max_rows)
    return store.query(text, default_graph=default_graph, named_graphs=named_graphs, timeout=timeout, limit=max_rows)


def _iris(values: Sequence[str], what: str) -> list[str]:
    out = []
    for value in values:
        try:
            out.append(ox.NamedNode(value).value)
        except ValueError as e:
            raise BadRequest(f"{what}: {value!r} is not an absolute IRI ({e}).") from None
    return out


def _describe(store: Store, select: str, describe: DescribeFn, *, timeout: float | None,
              max_rows: int | None) -> Triples:
    """Answer DESCRIBE with the union of the resource descriptions of every IRI the `select` finds."""
    started = time.monotonic()
    found = store.query(select, timeout=timeout, limit=max_rows)
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
