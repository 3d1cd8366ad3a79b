"""Answers written in the format asked for: natively by the engine where the store can, else from terms.

pyoxigraph serialises solutions in Rust (``QuerySolutions.serialize``) several times faster than making a
Python term of every value and writing them out in Python (:mod:`aikg.sparql.results`). The row cap needs
the rows counted: the caller gives a SELECT an outer ``LIMIT cap + 1`` (``Query.with_row_limit``), so
the engine never computes more rows than can be sent, and the native output is then counted cheaply (a
byte count that bounds the rows from above, exact for XML and TSV). Only an answer that may hold more
than the cap is read back and cut in Python, where the format registry writes it again.

A store offers native answers by having an ``answer`` method (the embedded and on-disk stores, the
engine pool and the wrappers over them); :func:`answer` asks any :class:`aikg.store.Store` and falls back
to its terms, so the Store protocol stays the one interface.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from typing import Any, Protocol

import pyoxigraph as ox

from aikg.sparql.formats import DATASET_FORMATS, GRAPH_FORMATS, RESULT_FORMATS, SPARQL_JSON, TURTLE, Format, by_name
from aikg.store import Answer, Boolean, QueryResult, Solutions, Store, Term, Triples

#: pyoxigraph's writers of the four SPARQL result formats, by format name (the registry's parsers, and CSV,
#: which pyoxigraph writes but cannot read).
OX_RESULTS: dict[str, ox.QueryResultsFormat] = {
    **{f.name: f.results for f in RESULT_FORMATS if f.results is not None},
    "csv": ox.QueryResultsFormat.CSV,
}
#: The format an answer is written in when it is not of the kind its requested format is for.
SOLUTIONS_FALLBACK = SPARQL_JSON
GRAPH_FALLBACK = TURTLE


class Answering(Protocol):
    """A store that writes answers itself (an optional capability beside :class:`aikg.store.Store`)."""

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
        """Run a query and return its answer written in `fmt` (see :func:`answer`); `volatile`: whether two
        runs can answer differently, when the caller has read the query (None: the store reads it if it must)."""
        ...


def answer(
    store: Store,
    text: str,
    fmt: str,
    *,
    default_graph: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
    timeout: float | None = None,
    limit: int | None = None,
    volatile: bool | None = None,
) -> Answer:
    """Run a query on any store and return its answer written in `fmt` (a result format for SELECT and
    ASK, an RDF format for CONSTRUCT and DESCRIBE; the other kind's default when the answer is the other kind).

    `volatile` says whether two runs can answer differently (``Query.volatile``), so that a result cache
    need not read the query again; None lets it read the text.
    """
    native = getattr(store, "answer", None)
    if native is not None:
        return native(text, fmt, default_graph=default_graph, named_graphs=named_graphs, timeout=timeout,
                      limit=limit, volatile=volatile)  # type: ignore[no-any-return]
    found = store.query(text, default_graph=default_graph, named_graphs=named_graphs, timeout=timeout, limit=limit)
    return by_terms(found, fmt)


def write(raw: Any, fmt: str, limit: int | None) -> Answer:
    """Write a lazy pyoxigraph result in format `fmt`, keeping at most `limit` rows or triples."""
    if isinstance(raw, ox.QueryBoolean):
        out = _result_format(fmt)
        return Answer(out.write(Boolean(bool(raw))), out.name)
    if isinstance(raw, ox.QuerySolutions):
        return _solutions(raw, _result_format(fmt).name, limit)
    graph = _graph_format(fmt)
    triples: list[ox.Triple] = []
    truncated = False
    for triple in raw:
        if limit is not None and len(triples) >= limit:
            truncated = True
            break
        triples.append(triple)
    return Answer(graph.write(triples), graph.name, truncated, len(triples))


def by_terms(result: QueryResult, fmt: str) -> Answer:
    """Write an answer held as terms in format `fmt` (for stores that cannot write natively)."""
    if isinstance(result, Triples):
        graph = _graph_format(fmt)
        return Answer(graph.write(result.triples), graph.name, result.truncated, len(result.triples))
    out = _result_format(fmt)
    if isinstance(result, Boolean):
        return Answer(out.write(result), out.name)
    return Answer(out.write(result), out.name, result.truncated, len(result.rows))


def _solutions(raw: ox.QuerySolutions, name: str, limit: int | None) -> Answer:
    variables = [v.value for v in raw.variables]
    body = raw.serialize(format=OX_RESULTS[name])
    assert body is not None
    if limit is None:
        return Answer(body, name)
    bound = _most_rows(body, name)
    if bound <= limit:
        return Answer(body, name, rows=bound if name in ("xml", "tsv") else None)
    # Perhaps over the cap: read the answer back, keep `limit` rows and write those.
    if name == "csv":
        return _cut_csv(body, limit)
    rows: list[tuple[Term | None, ...]] = []
    truncated = False
    parsed = ox.parse_query_results(body, format=OX_RESULTS[name])
    assert isinstance(parsed, ox.QuerySolutions)
    for solution in parsed:
        if len(rows) >= limit:
            truncated = True
            break
        rows.append(tuple(solution[v] for v in variables))
    if not truncated:
        return Answer(body, name, rows=len(rows))
    return Answer(_result_format(name).write(Solutions(variables, rows, True)), name, True, len(rows))


def _cut_csv(body: bytes, limit: int) -> Answer:
    # CSV results are plain strings (pyoxigraph cannot read them back as terms): cut them as CSV.
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    kept = list(itertools.islice(reader, limit + 1))  # the header and `limit` rows
    if next(reader, None) is None:
        return Answer(body, "csv", rows=len(kept) - 1)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(kept)
    return Answer(out.getvalue().encode("utf-8"), "csv", True, limit)


def _most_rows(body: bytes, name: str) -> int:
    """Return how many rows a natively written answer holds at most (exactly, for XML and TSV)."""
    if name == "xml":
        return body.count(b"<result>")  # literal text escapes '<'
    if name == "json":
        # Each row and each bound value opens a brace, as do the document, head and results; a value's
        # object starts {"type": which a string cannot hold unescaped. Braces inside strings only add.
        return body.count(b"{") - 3 - body.count(b'{"type":')
    return body.count(b"\n") - 1  # one line a row after the header; CSV may quote line breaks


def _result_format(name: str) -> Format:
    return by_name(name, RESULT_FORMATS) or SOLUTIONS_FALLBACK


def _graph_format(name: str) -> Format:
    return by_name(name, (*GRAPH_FORMATS, *DATASET_FORMATS)) or GRAPH_FALLBACK
