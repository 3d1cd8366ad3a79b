"""Write an engine's answer in the format asked for, natively, with the row cap applied.

pyoxigraph serialises solutions in Rust (``QuerySolutions.serialize``) several times faster than making a
Python term of every value and writing them out in Python (``aikg.results``). The row cap needs the rows
counted, so the query is first given an outer ``LIMIT cap + 1`` (:func:`cap_limit`), so that the engine
never computes more rows than can be sent; the native output is then counted cheaply (a byte count that
bounds the rows from above, exact for XML and TSV). Only an answer that may hold more than the cap is
read back and cut in Python, where it is written again by :mod:`aikg.results`.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from typing import Any

import pyoxigraph as ox

from aikg.sparql.formats import DATASET_FORMATS, GRAPH_FORMATS, OX_FORMATS, RESULT_FORMATS, Format, by_name
from aikg.sparql.query import tokens
from aikg.sparql.results import boolean_bytes, solutions_bytes, triples_bytes
from aikg.store import Answer, Boolean, QueryResult, Solutions, Term, Triples

#: pyoxigraph's writers of the four SPARQL result formats, by format name.
OX_RESULTS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_INTEGER = re.compile(r"\s*([0-9]+)")
#: The format an answer is written in when it is not of the kind its requested format is for.
SOLUTIONS_FALLBACK = "json"
GRAPH_FALLBACK = "ttl"


def cap_limit(text: str, cap: int) -> str | None:
    """Return the query with its outermost LIMIT at most `cap`, or None when the text is left as it is.

    None means either that no rewrite is needed (a SELECT whose own LIMIT is already at most `cap`, or a
    query that is not a SELECT) or that the text is not understood; the caller counts the rows in both
    cases, so a wrong reading costs time, never the cap. A LIMIT is put before a trailing VALUES block,
    after a line break (the text may end in a comment).
    """
    # The token scanner is the guard's; the project's one lexer replaces it when it lands.
    toks = list(tokens(text))
    depth = 0
    form = None
    limit_at = values_at = None
    for i, tok in enumerate(toks):
        if tok.kind == "other":
            if tok.text == "{":
                depth += 1
            elif tok.text == "}":
                depth -= 1
            continue
        if depth or tok.kind != "word":
            continue
        word = tok.text.upper()
        if form is None and word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            form = word
        elif word == "LIMIT":
            limit_at = i
        elif word == "VALUES" and form is not None:
            values_at = i
    if form != "SELECT" or depth != 0:
        return None
    if limit_at is not None:
        number = _INTEGER.match(text, toks[limit_at].end)
        if number is None:
            return None
        if int(number.group(1)) <= cap:
            return None
        return f"{text[: number.start(1)]}{cap}{text[number.end(1) :]}"
    if values_at is not None:
        at = toks[values_at].start
        return f"{text[:at]}\nLIMIT {cap}\n{text[at:]}"
    return f"{text}\nLIMIT {cap}\n"


def write(raw: Any, fmt: str, limit: int | None) -> Answer:
    """Write a lazy pyoxigraph result in format `fmt`, keeping at most `limit` rows or triples."""
    if isinstance(raw, ox.QueryBoolean):
        name = fmt if fmt in OX_RESULTS else SOLUTIONS_FALLBACK
        return Answer(boolean_bytes(Boolean(bool(raw)), _result_format(name)), name)
    if isinstance(raw, ox.QuerySolutions):
        name = fmt if fmt in OX_RESULTS else SOLUTIONS_FALLBACK
        return _solutions(raw, name, limit)
    name = fmt if fmt in OX_FORMATS else GRAPH_FALLBACK
    triples: list[ox.Triple] = []
    truncated = False
    for triple in raw:
        if limit is not None and len(triples) >= limit:
            truncated = True
            break
        triples.append(triple)
    return Answer(triples_bytes(triples, _graph_format(name)), name, truncated, len(triples))


def by_terms(result: QueryResult, fmt: str) -> Answer:
    """Write an answer held as terms in format `fmt` (for stores that cannot serialise natively)."""
    if isinstance(result, Triples):
        graph = by_name(fmt, (*GRAPH_FORMATS, *DATASET_FORMATS)) or _graph_format(GRAPH_FALLBACK)
        return Answer(triples_bytes(result.triples, graph), graph.name, result.truncated, len(result.triples))
    solutions = by_name(fmt, RESULT_FORMATS) or _result_format(SOLUTIONS_FALLBACK)
    if isinstance(result, Boolean):
        return Answer(boolean_bytes(result, solutions), solutions.name)
    return Answer(solutions_bytes(result, solutions), solutions.name, result.truncated, len(result.rows))


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
    out = solutions_bytes(Solutions(variables, rows, True), _result_format(name))
    return Answer(out, name, True, len(rows))


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
    fmt = by_name(name, RESULT_FORMATS)
    assert fmt is not None
    return fmt


def _graph_format(name: str) -> Format:
    fmt = by_name(name, (*GRAPH_FORMATS, *DATASET_FORMATS))
    assert fmt is not None
    return fmt
