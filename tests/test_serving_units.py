"""The serving core's parts alone: native answers and the row cap, the result cache, the fair share table."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
from conftest import TINY

from aikg.config import load_config
from aikg.errors import TooManyRequests
from aikg.ingest.load import open_store
from aikg.serving.share import FairShare
from aikg.sparql.formats import RESULT_FORMATS
from aikg.store import Answer, Solutions
from aikg.store.resultcache import CachedStore, deterministic


@pytest.fixture(scope="module")
def embedded():
    return open_store(load_config({"DATA": [str(TINY)], "VALIDATE": False}))


def rows_of(body: bytes, fmt: str) -> list[tuple[str, ...]]:
    """Read an answer's rows back as tuples of plain values, whatever the format."""
    if fmt == "json":
        doc = json.loads(body)
        names = doc["head"]["vars"]
        return [tuple(b.get(n, {}).get("value", "") for n in names) for b in doc["results"]["bindings"]]
    if fmt == "xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        root = ET.fromstring(body)
        names = [v.get("name") for v in root.iter(ns + "variable")]
        out = []
        for result in root.iter(ns + "result"):
            cells = {b.get("name"): "".join(b.itertext()) for b in result.iter(ns + "binding")}
            out.append(tuple(cells.get(n, "") for n in names))
        return out
    if fmt == "csv":
        return [tuple(r) for r in list(csv.reader(io.StringIO(body.decode(), newline="")))[1:]]
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
    return [tuple("" if t is None else t.value for t in row) for row in parsed]


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("cap", [1, 5, 10_000])
def test_native_answers_hold_the_rows_the_python_writer_holds(embedded, fmt, cap):
    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    native = embedded.answer(text, fmt, limit=cap)
    terms = embedded.query(text, limit=cap)
    assert isinstance(terms, Solutions)
    python = next(f for f in RESULT_FORMATS if f.name == fmt).write(terms)
    assert native.truncated == terms.truncated
    assert rows_of(native.body, fmt) == rows_of(python, fmt)
    assert len(rows_of(native.body, fmt)) == min(cap, len(embedded.query(text).rows))  # type: ignore[union-attr]


def test_values_that_look_like_structure_do_not_fool_the_row_count(embedded):
    # Braces, '{"type":', line breaks and '<result>' inside values: each format still counts right.
    tricky = '"{\\"type\\": } {{ <result> \\n\\r\\n ,{"'
    text = f"SELECT ?v WHERE {{ VALUES ?v {{ {' '.join([tricky] * 3)} }} }}"
    for fmt in ("json", "xml", "csv", "tsv"):
        for cap in (2, 3):
            answer = embedded.answer(text, fmt, limit=cap)
            assert len(rows_of(answer.body, fmt)) == min(cap, 3), (fmt, cap)
            assert answer.truncated == (cap < 3), (fmt, cap)


def test_the_endpoint_gives_a_select_one_more_row_than_the_cap(embedded):
    from aikg.config import Settings
    from aikg.graph.endpoint import answer_query

    seen: list[str] = []

    class Recording:
        info = embedded.info

        def answer(self, text, fmt, **kwargs):
            seen.append(text)
            return embedded.answer(text, fmt, **kwargs)

    text = "SELECT * WHERE { ?s ?p ?o }"
    answer = answer_query(Recording(), text, "json", settings=Settings(max_rows=3))  # type: ignore[arg-type]
    assert answer.truncated and len(rows_of(answer.body, "json")) == 3
    assert seen == ["SELECT * WHERE { ?s ?p ?o } LIMIT 4"]  # the engine computes no row that is not sent
    answer_query(Recording(), text + " LIMIT 2", "json", settings=Settings(max_rows=3))  # type: ignore[arg-type]
    assert seen[-1] == text + " LIMIT 2"


def test_deterministic_queries():
    assert deterministic("SELECT * WHERE { ?s ?p ?o }")
    assert deterministic("SELECT * WHERE { ?s ?p 'NOW()' } # RAND()")  # in a string and a comment
    assert deterministic("SELECT * WHERE { ?s <http://x/uuid(> ?o }")
    for call in ("NOW()", "rand()", "UUID()", "STRUUID ()", "BNODE('x')", "bnode()", "N\\u004FW()"):
        assert not deterministic(f"SELECT ({call} AS ?x) WHERE {{}}"), call
    assert not deterministic("CONSTRUCT { [] ?p ?o } WHERE { ?s ?p ?o }")  # a fresh blank node each run


class Counting:
    """A store that counts the queries it runs and answers each with a body of a given size."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.ran = 0
        self.version = "v1"

    @property
    def info(self):
        from aikg.store import DatasetInfo

        return DatasetInfo(self.version, "")

    def answer(self, text, fmt, **kwargs):
        self.ran += 1
        return Answer(text.encode().ljust(self.size, b"."), fmt)

    def query(self, text, **kwargs):
        self.ran += 1
        return Solutions(["x"], [(ox.Literal(text),)])


def test_the_cache_answers_repeats_and_keeps_its_bound():
    inner = Counting(1000)
    cache = CachedStore(inner, max_bytes=20_000)
    for _ in range(3):
        cache.answer("SELECT 1", "json")
    assert inner.ran == 1
    cache.answer("SELECT 1", "xml")  # another format is another answer
    cache.answer("  SELECT 1\n", "json")  # blank space around a query does not make another query
    assert inner.ran == 2
    for i in range(200):
        cache.answer(f"SELECT x{i}", "json")
        assert cache.stats.bytes <= 20_000
    assert cache.stats.entries < 200
    inner.version = "v2"  # new data: nothing old is answered
    cache.answer("SELECT x199", "json")
    assert inner.ran == 2 + 200 + 1


def test_the_cache_keeps_no_answer_that_changes_and_none_too_big():
    inner = Counting(10)
    cache = CachedStore(inner, max_bytes=80_000)
    for _ in range(2):
        cache.answer("SELECT (RAND() AS ?r) WHERE {}", "json")
    assert inner.ran == 2
    for _ in range(2):  # the caller read the query already: volatile, whatever the text looks like
        cache.answer("SELECT 2", "json", volatile=True)
    assert inner.ran == 4
    big = CachedStore(Counting(20_000), max_bytes=80_000)  # over an eighth of the bound
    big.answer("SELECT 1", "json")
    big.answer("SELECT 1", "json")
    assert big.inner.ran == 2  # type: ignore[attr-defined]


def test_the_cache_hands_out_copies_of_terms():
    cache = CachedStore(Counting(10), max_bytes=80_000)
    first = cache.query("SELECT 1")
    assert isinstance(first, Solutions)
    first.rows.append((None,))
    again = cache.query("SELECT 1")
    assert isinstance(again, Solutions) and len(again.rows) == 1


def test_fair_share_budget_concurrency_and_refill(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("aikg.serving.share.time.monotonic", lambda: clock[0])
    share = FairShare(tmp_path, budget=6.0, concurrent=2, stale_after=60.0)
    share.admit("a")
    share.admit("a")
    with pytest.raises(TooManyRequests) as e:
        share.admit("a")  # a third at once
    assert e.value.retry_after == 1
    share.admit("b")  # another client is not affected
    share.release("a", 4.0)
    share.release("a", 3.0)
    assert share.used("a") == pytest.approx(7.0)
    with pytest.raises(TooManyRequests) as e:
        share.admit("a")  # 7 s used of a 6 s budget
    assert e.value.status_code == 429 and e.value.retry_after >= 10  # 1 s over at 0.1 s a second, rounded up
    clock[0] += 20.0  # the budget refills at 6/60 s a second: 2 s back
    assert share.used("a") == pytest.approx(5.0)
    share.admit("a")


def test_fair_share_forgets_counts_left_by_a_dead_process(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("aikg.serving.share.time.monotonic", lambda: clock[0])
    share = FairShare(tmp_path, budget=60.0, concurrent=1, stale_after=45.0)
    share.admit("a")  # never released: the process that admitted it died
    with pytest.raises(TooManyRequests):
        share.admit("a")
    clock[0] += 46.0
    share.admit("a")


def test_fair_share_is_shared_between_processes(tmp_path):
    import os

    share = FairShare(tmp_path, budget=1.0, concurrent=8, stale_after=60.0)
    pid = os.fork()
    if pid == 0:  # another web process spends the client's budget
        share.admit("c")
        share.release("c", 5.0)
        os._exit(0)
    os.waitpid(pid, 0)
    with pytest.raises(TooManyRequests):
        share.admit("c")
