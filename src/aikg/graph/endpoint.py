"""Run a query from the public: lexical checks, size, time and row limits, and the dataset rules.

Nothing here knows about HTTP; the SPARQL protocol view and the query page both call :func:`run_query`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from aikg.errors import BadQuery, BadRequest, PayloadTooLarge, QueryTimeout
from aikg.sparql.query import QueryShape, analyse, describe_as_select
from aikg.store import Answer, QueryResult, Solutions, Store, Triples
from aikg.store.native import by_terms

DescribeFn = Callable[[Store, str], list[ox.Triple]]


def check_text(text: str, settings: Mapping[str, Any]) -> str:
    """Check a public query's size and safety and return its form (SELECT, ASK, CONSTRUCT, DESCRIBE)."""
    # The nesting limit belongs here too, in the project's one lexer; until it lands, a query nested deep
    # enough to overflow the engine's parser kills only its engine process (aikg.store.pool).
    max_bytes = settings.get("MAX_QUERY_BYTES")
    # A str holds at most 4 UTF-8 bytes per character: skip the encoding when it cannot be over.
    if max_bytes and len(text) * 4 > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise PayloadTooLarge(f"The query is longer than the limit of {max_bytes} bytes.")
    return analyse(text).form


@dataclass(frozen=True)
class _Plan:
    """A public query made ready for the store: its text as sent, its shape, dataset and limits."""

    text: str
    shape: QueryShape
    default_graph: list[str] | None
    named_graphs: list[str] | None
    timeout: float | None
    max_rows: int | None
    shift: int  # characters put in front of the text (a BASE), for the positions in syntax errors


def _plan(
    text: str,
    settings: Mapping[str, Any],
    default_graph: Sequence[str] | None,
    named_graphs: Sequence[str] | None,
    base_iri: str | None,
) -> _Plan:
    """Check a public query once and work out what the store is asked."""
    check_text(text, settings)
    shape = analyse(text)
    shift = 0
    if shape.needs_base and base_iri:
        prefix = f"BASE <{base_iri}> "
        text, shift = prefix + text, len(prefix)
    if default_graph is None and named_graphs is None and shape.has_dataset:
        # The query's own FROM / FROM NAMED clauses name the dataset; the store's union default
        # graph would otherwise override them.
        default_graph, named_graphs = shape.default_graphs, shape.named_graphs
    dg = ng = None
    if default_graph is not None or named_graphs is not None:
        dg = _iris(default_graph or (), "default-graph-uri")
        ng = _iris(named_graphs or (), "named-graph-uri")
    timeout = float(settings.get("QUERY_TIMEOUT") or 0) or None
    max_rows = int(settings.get("MAX_ROWS") or 0) or None
    return _Plan(text, shape, dg, ng, timeout, max_rows, shift)


def run_query(
    store: Store,
    text: str,
    *,
    settings: Mapping[str, Any],
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
    plan = _plan(text, settings, default_graph, named_graphs, base_iri)
    try:
        if plan.default_graph is None and plan.shape.form == "DESCRIBE":
            describe = _description_triples()
            if describe is not None:
                return _describe(store, plan.text, describe, timeout=plan.timeout, max_rows=plan.max_rows)
        return store.query(plan.text, default_graph=plan.default_graph, named_graphs=plan.named_graphs,
                           timeout=plan.timeout, limit=plan.max_rows)
    except BadQuery as e:
        raise _shift(e, plan.shift) from None


def answer_query(
    store: Store,
    text: str,
    fmt: str,
    *,
    settings: Mapping[str, Any],
    default_graph: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
    base_iri: str | None = None,
) -> Answer:
    """Answer a query from the public written in format `fmt`, with the checks and limits of :func:`run_query`.

    The store writes the answer itself where it can (the engine, natively), so no Python term is made.
    """
    plan = _plan(text, settings, default_graph, named_graphs, base_iri)
    try:
        if plan.default_graph is None and plan.shape.form == "DESCRIBE":
            describe = _description_triples()
            if describe is not None:
                found = _describe(store, plan.text, describe, timeout=plan.timeout, max_rows=plan.max_rows)
                return by_terms(found, fmt)
        return store.answer(plan.text, fmt, default_graph=plan.default_graph, named_graphs=plan.named_graphs,
                            timeout=plan.timeout, limit=plan.max_rows)
    except BadQuery as e:
        raise _shift(e, plan.shift) from None


def _shift(error: BadQuery, columns: int) -> BadQuery:
    """Report a syntax error's position in the text as sent, before a BASE was put in front of it."""
    if not columns:
        return error
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


def _description_triples() -> DescribeFn | None:
    # The resource documents and DESCRIBE share one definition of a description when it exists.
    try:
        from aikg.graph.describe import description_triples  # type: ignore[attr-defined]
    except ImportError:
        return None
    return description_triples  # type: ignore[no-any-return]


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
            raise QueryTimeout(f"The query ran longer than the {timeout:g} s limit and was stopped.")
        for triple in describe(store, iri):
            if triple in seen:
                continue
            if max_rows is not None and len(triples) >= max_rows:
                return Triples(triples, truncated=True)
            seen.add(triple)
            triples.append(triple)
    return Triples(triples, truncated=truncated)
