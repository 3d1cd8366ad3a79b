"""The endpoint is safe to leave open: no outbound requests, no updates, no runaway queries holding a core."""

from __future__ import annotations

import json
import socket
import threading
import time

import pyoxigraph as ox
import pytest
import rdflib
import requests
from conftest import TINY
from test_serve import ServeProcess

from aikg.web.http import get_store


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it gets and closes each at once."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture()
def listener():
    lis = Listener()
    yield lis
    lis.close()


def test_the_listener_sees_what_the_engine_fetches(listener):
    # The control: the engine on its own does connect for SERVICE, so a silent listener below means
    # the endpoint stopped the query, not that the listener was blind.
    with pytest.raises(OSError):
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"))
    deadline = time.monotonic() + 5
    while listener.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert listener.connections >= 1


def outbound_attempts(url: str) -> list[tuple[str, dict[str, str]]]:
    """Queries and parameters that would make a careless endpoint fetch `url`."""
    return [
        (f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", {}),
        (f"select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}", {}),
        (f"SELECT * WHERE {{ ?x ?y ?z {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}", {}),
        (f"SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}", {}),
        (f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}", {}),
        (f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
        ("CONSTRUCT WHERE { ?s ?p ?o }", {"default-graph-uri": url}),
        ("ASK WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": url}),
        (f"DESCRIBE <{url}>", {}),
        (f"LOAD <{url}>", {}),
        (f"LOAD <{url}> INTO GRAPH <http://example.org/g>", {}),
    ]


def empty_answer(r: requests.Response) -> bool:
    """Tell whether a 200 answer is empty: no solutions, false, or a graph without triples."""
    mimetype = r.headers["Content-Type"].split(";")[0]
    if mimetype == "application/sparql-results+json":
        body = json.loads(r.content)
        return body.get("boolean") is False or body.get("results", {}).get("bindings") == []
    assert mimetype == "text/turtle", mimetype
    return len(rdflib.Graph().parse(data=r.content, format="turtle")) == 0


def test_no_outbound_requests(live_server, listener):
    sparql = live_server.url + "/sparql"
    for text, params in outbound_attempts(listener.url):
        for r in (
            requests.get(sparql, params={"query": text, **params}, timeout=10),
            requests.post(sparql, data={"query": text, **params}, timeout=10),
        ):
            if r.status_code == 200:
                assert empty_answer(r), (text, r.content[:300])
            else:
                assert 400 <= r.status_code < 500, (text, r.status_code)
    time.sleep(0.3)  # let a late connection from an engine thread arrive before counting
    assert listener.connections == 0


def count(store) -> int:
    return sum(1 for _ in store.quads())


UPDATES = [
    "INSERT DATA { GRAPH <https://w3id.org/ai-history/graph/milestones> "
    "{ <http://example.org/s> <http://example.org/p> 1 } }",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "DROP ALL",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <https://w3id.org/ai-history/graph/ontology> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "COPY <https://w3id.org/ai-history/graph/ontology> TO <http://example.org/g>",
    "MOVE DEFAULT TO <http://example.org/g>",
    "ADD DEFAULT TO <http://example.org/g>",
    "CREATE GRAPH <http://example.org/g>",
    "SELECT * {} ; CLEAR ALL",
    "PREFIX ex: <http://example.org/>\n# a comment\nINSERT DATA { ex:s ex:p ex:o }",
]


def test_updates_are_refused_and_nothing_changes(full_app, live_server):
    sparql = live_server.url + "/sparql"
    store = get_store(full_app)
    before = count(store)
    assert before > 0
    for text in UPDATES:
        attempts = [
            requests.get(sparql, params={"query": text}, timeout=10),
            requests.get(sparql, params={"update": text}, timeout=10),
            requests.post(sparql, data={"query": text}, timeout=10),
            requests.post(sparql, data={"update": text}, timeout=10),
            requests.post(sparql, data=text.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=10),
            requests.post(
                sparql, data=text.encode(), headers={"Content-Type": "application/sparql-update"}, timeout=10
            ),
        ]
        for r in attempts:
            assert r.status_code in (403, 415), (text, r.status_code, r.text[:200])
            assert r.json()["message"]
    assert count(store) == before
    answer = requests.get(
        sparql, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"}, timeout=10
    )
    assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == before


# -- Runaway queries against the production server -------------------------------------------------


def values(name: str, n: int) -> str:
    return f"VALUES ?{name} {{ {' '.join(map(str, range(n)))} }}"


# 100 million combinations to count: several seconds of engine time, far past a one-second limit.
RUNAWAY = f"SELECT (COUNT(*) AS ?n) WHERE {{ {values('a', 200)} {values('b', 200)} {values('c', 2500)} }}"


@pytest.fixture(scope="module")
def strict_server():
    server = ServeProcess("--data", str(TINY), "--workers", "2", "--timeout", "1", "--no-validate",
                          env={"AIKG_ENGINES": "8"})
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_timeout_gives_503_and_the_engine_is_replaced(strict_server):
    sparql = strict_server.url + "/sparql"
    engines_before = strict_server.wait_engines(8)
    assert len(engines_before) == 8
    started = time.monotonic()
    r = requests.get(sparql, params={"query": RUNAWAY}, timeout=30)
    elapsed = time.monotonic() - started
    assert r.status_code == 503
    assert "limit" in r.json()["message"]
    assert elapsed < 4, elapsed
    # The next query is answered at once.
    started = time.monotonic()
    nxt = requests.get(sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert nxt.status_code == 200 and nxt.json()["boolean"] is True
    assert time.monotonic() - started < 2
    # The engine that held the runaway query was killed, long before the query itself could have ended,
    # and a fresh engine took its place; the web processes were never involved.
    workers = strict_server.workers()
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline and not (engines_before - strict_server.engines()):
        time.sleep(0.05)
    after = strict_server.wait_engines(8)
    assert len(after) == 8
    assert len(engines_before - after) == 1, (engines_before, after)
    assert strict_server.workers() == workers
    assert "killed and replaced" in strict_server.output()


def test_a_burst_of_runaways_leaves_the_server_answering(strict_server):
    sparql = strict_server.url + "/sparql"
    results: list[int] = []

    def run() -> None:
        results.append(requests.get(sparql, params={"query": RUNAWAY}, timeout=30).status_code)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == [503, 503, 503]
    r = requests.get(sparql, params={"query": "ASK {}"}, timeout=10)
    assert r.status_code == 200
