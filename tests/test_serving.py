"""The serving core against a live `aikg serve`: slow clients, huge requests, runaway queries, crashes, fair share.

Every test talks to a real server started here (granian front, web processes, engine processes) with
real clients: raw sockets for the clients that misbehave, requests and http.client for the others.
Clients from different addresses use 127.0.0.2 and up as their source (all of 127/8 is loopback).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import requests
from conftest import TINY
from test_serve import ServeProcess

from aikg.serving.engines import probe_network_wall


def values(name: str, n: int) -> str:
    return f"VALUES ?{name} {{ {' '.join(map(str, range(n)))} }}"


# 100 million combinations to count: many seconds of engine time, far past the limits used here.
RUNAWAY = f"SELECT (COUNT(*) AS ?n) WHERE {{ {values('a', 200)} {values('b', 200)} {values('c', 2500)} }}"
ASK = "ASK { ?s ?p ?o }"
RESOURCE = "/resource/Test_Google.html"


def get(server: ServeProcess, query: str, source: str = "127.0.0.1", timeout: float = 30.0) -> tuple[int, dict, bytes]:
    """GET /sparql?query= from a given source address; return status, headers (lower-case) and body."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", "/sparql?" + urlencode({"query": query}),
                     headers={"Accept": "application/sparql-results+json"})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def response(s: socket.socket) -> tuple[bytes, dict]:
    """Read one HTTP response from a raw socket: its status line and its JSON body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = lengths[0] if lengths else 0
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return head.split(b"\r\n")[0], json.loads(body) if body else {}


def held(port: int, idle: int = 64, half: int = 4, slow_bodies: int = 4) -> list[socket.socket]:
    """Open connections that a sync server would give a worker each: idle, half-sent headers, slow bodies."""
    socks = []
    for _ in range(idle):
        socks.append(socket.create_connection(("127.0.0.1", port)))
    for _ in range(half):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: appl")
        socks.append(s)
    for _ in range(slow_bodies):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                  b"Content-Length: 1000\r\n\r\nASK")
        socks.append(s)
    return socks


def engine_runs(server: ServeProcess) -> dict[int, int]:
    """Return each engine's count of voluntary context switches: an idle engine sleeps waiting for a
    connection and never wakes, so the count moves only when the engine takes a request."""
    counts = {}
    for pid in server.engines():
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
            status = f.read()
            counts[pid] = int(status.split("voluntary_ctxt_switches:")[1].split()[0])
    return counts


@contextlib.contextmanager
def engines_stopped(server: ServeProcess, workers: set[int]):
    """SIGSTOP the engines and their supervisor (every process but the web ones) for the block's length."""
    stopped = server.engines() | {p for p in server.children() if p not in workers}
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def hostile():
    # The nesting limit is set out of reach, so that a query deep enough to crash the engine's parser gets
    # to an engine: the second wall (the engine's own process) is what is tested here.
    server = ServeProcess("--data", str(TINY), "--workers", "2", "--timeout", "2", "--no-validate",
                          env={"AIKG_ENGINES": "8", "AIKG_BODY_TIMEOUT": "2", "AIKG_HEADER_TIMEOUT": "5",
                               "AIKG_QUEUE_TIMEOUT": "2", "AIKG_MAX_QUERY_DEPTH": "1000000"})
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_idle_half_sent_and_slow_clients_hold_nothing(hostile):
    socks = held(hostile.port)  # 64 idle, 4 with half their headers, 4 with half their bodies
    try:
        # More held connections than a sync server has workers, threads or than granian has blocking threads:
        # pages, queries and static files answer all the same, one after the other.
        for path in ("/", RESOURCE, "/static/aikg.css", "/timeline"):
            r = requests.get(hostile.url + path, timeout=5)
            assert r.status_code == 200, path
        for _ in range(5):
            status, _, body = get(hostile, ASK, timeout=5)
            assert status == 200 and json.loads(body)["boolean"] is True
    finally:
        for s in socks:
            s.close()


def test_a_slow_body_gets_408_and_idle_connections_are_closed(hostile):
    slow = socket.create_connection(("127.0.0.1", hostile.port))
    slow.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                 b"Content-Length: 100\r\nAccept: application/json\r\n\r\nASK")
    idle = socket.create_connection(("127.0.0.1", hostile.port))
    slow.settimeout(15)
    idle.settimeout(15)
    try:
        status, error = response(slow)
        assert status.startswith(b"HTTP/1.1 408"), status
        assert error["status"] == 408 and "did not arrive" in error["message"]
        assert idle.recv(1) == b""  # closed by the server after AIKG_HEADER_TIMEOUT, without a word
    finally:
        slow.close()
        idle.close()


def test_a_huge_request_line_is_refused_as_it_arrives(hostile):
    s = socket.create_connection(("127.0.0.1", hostile.port))
    s.settimeout(15)
    began = time.monotonic()
    line = b"GET /sparql?query=" + b"a" * (4 * 1024 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        s.sendall(line)  # the server may stop reading (and answer) once its header limit is reached
    answer = s.recv(200)
    elapsed = time.monotonic() - began
    print(f"4 MB request line refused in {elapsed * 1000:.0f} ms")
    assert answer.startswith(b"HTTP/1.1 431"), answer
    # Refused as the bytes arrive, by the Rust front: not after seconds of parsing (a sync server took 5-25 s).
    assert elapsed < 5, elapsed
    s.close()
    status, _, body = get(hostile, ASK, timeout=5)
    assert status == 200 and json.loads(body)["boolean"] is True


def test_a_body_over_the_limit_is_refused_before_it_is_read(hostile):
    s = socket.create_connection(("127.0.0.1", hostile.port))
    s.settimeout(15)
    # A gigabyte announced, a few bytes sent: the answer comes without waiting for the rest.
    s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
              b"Accept: application/json\r\nContent-Length: 1073741824\r\n\r\nASK")
    try:
        status, error = response(s)
        assert status.startswith(b"HTTP/1.1 413"), status
        assert error["error"] == "Query too large" and "limit" in error["message"]
    finally:
        s.close()


def test_a_stated_length_cannot_hide_a_chunked_body_past_the_limit(hostile):
    """Content-Length beside Transfer-Encoding: chunked (request smuggling's classic): the front must not trust
    the small length and read a body of any size in one go; the chunked body past the limit is refused."""
    s = socket.create_connection(("127.0.0.1", hostile.port))
    s.settimeout(15)
    chunk = b"x" * (1 << 20)
    try:
        s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                  b"Accept: application/json\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(8):  # 8 MB, past any body limit the server states
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        status = s.recv(200).split(b"\r\n")[0]
        assert status.startswith((b"HTTP/1.1 400", b"HTTP/1.1 413")), status
    finally:
        s.close()
    status, _, body = get(hostile, ASK, timeout=5)
    assert status == 200 and json.loads(body)["boolean"] is True


def test_queries_one_after_another_are_served_by_the_same_warm_engine(hostile):
    """The idle engine started first takes each connection, so that the others stay cold (a blocking accept
    would hand the connections round the engines, and each would copy the shared pages its queries touch)."""
    for i in range(5):  # every engine idle, and the first one warm
        get(hostile, f'ASK {{ ?s ?p "warm {i}" }}')
    before = engine_runs(hostile)
    for i in range(40):  # unique texts: no cache answers them
        status, _, _ = get(hostile, f'ASK {{ ?s ?p "one after another {i}" }}')
        assert status == 200
    after = engine_runs(hostile)
    moved = [pid for pid in before if pid in after and after[pid] != before[pid]]
    assert len(before) == 8 and len(moved) == 1, (before, after)


def test_runaway_queries_get_503_while_an_ask_and_a_page_answer(hostile):
    with ThreadPoolExecutor(4) as pool:
        # Four clients each run a query that would take minutes; the limit is 2 s.
        runaways = [pool.submit(get, hostile, RUNAWAY, f"127.0.0.{2 + i}") for i in range(4)]
        time.sleep(0.3)  # let them reach their engines
        waits = []
        for _ in range(10):
            began = time.monotonic()
            status, _, body = get(hostile, ASK, timeout=10)
            waits.append(time.monotonic() - began)
            assert status == 200 and json.loads(body)["boolean"] is True
            assert requests.get(hostile.url + RESOURCE, timeout=10).status_code == 200
        # Answered while the runaways still ran, not after the 2 s limit freed an engine.
        assert max(waits) < 1.5, waits
        outcomes = [f.result(timeout=30) for f in runaways]
    for status, headers, body in outcomes:
        assert status == 503
        assert headers["content-type"].startswith("application/json")
        error = json.loads(body)
        assert error["error"] == "Query timeout" and "2 s limit" in error["message"]


def test_an_engine_crash_is_a_json_error_and_the_next_query_answers(hostile):
    # 3,000 nested groups overflow the engine's recursive parser (SIGSEGV at about 2,200). The nesting limit
    # is out of reach on this server, so the query gets to an engine, which dies: the client gets the app's
    # JSON error, never a dropped connection, and the next query is served at once by another engine.
    deep = "SELECT * WHERE " + "{" * 3000 + "}" * 3000
    engines = hostile.wait_engines(8)
    r = requests.post(hostile.url + "/sparql", data=deep, timeout=30,
                      headers={"Content-Type": "application/sparql-query", "Accept": "application/json"})
    assert r.status_code == 500, (r.status_code, r.text)
    error = r.json()
    assert error["error"] == "Engine failure" and error["status"] == 500 and "crashed" in error["message"]
    began = time.monotonic()
    status, _, body = get(hostile, ASK, timeout=5)
    assert status == 200 and json.loads(body)["boolean"] is True
    assert time.monotonic() - began < 2
    assert requests.get(hostile.url + RESOURCE, timeout=5).status_code == 200
    assert len(engines - hostile.wait_engines(8)) >= 1  # the engine that crashed was replaced
    out = hostile.wait_output("died of signal 11")
    assert "died of signal 11" in out, out[-3000:]  # the log's end, whole: pytest would cut the middle


def test_the_network_wall_is_up_or_the_log_says_why_not(hostile):
    why = probe_network_wall()  # what this platform allows a process forked here, as the supervisor asks
    if why:
        assert "engines can open network connections" in hostile.output() and why in hostile.output()
    else:
        assert "engines can open network connections" not in hostile.output()
        for pid in hostile.engines():  # each engine is in a network namespace that is not the server's
            assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink(f"/proc/{hostile.proc.pid}/ns/net")


def test_repeated_queries_are_answered_without_the_engines(hostile):
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 7"
    workers = hostile.wait_workers(2)
    # Each web process keeps its own cache: ask often enough that both have it (connections are spread,
    # unevenly when the machine is busy: 8 were once not enough).
    first = {get(hostile, query)[2] for _ in range(32)}
    assert len(first) == 1
    with engines_stopped(hostile, workers):  # nothing can run a query now
        for _ in range(6):
            status, _, body = get(hostile, query, timeout=5)
            assert status == 200 and body in first
        status, headers, body = get(hostile, "SELECT * WHERE { ?s ?p ?o } LIMIT 6", timeout=30)
        assert status == 503  # a query never asked before needs an engine


@pytest.fixture(scope="module")
def pages_only():
    # No result cache: whatever answers while the engines are stopped is the page cache.
    server = ServeProcess("--data", str(TINY), "--workers", "2", "--timeout", "2", "--no-validate",
                          env={"AIKG_RESULT_CACHE_BYTES": "0", "AIKG_QUEUE_TIMEOUT": "2"})
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_pages_asked_again_are_answered_from_memory_and_kept_apart_as_vary_says(pages_only):
    from test_base_url import check_no_poisoning, urls

    hostile = pages_only
    base = f"http://127.0.0.1:{hostile.port}"
    # Without a base URL some answers are built from Host: two passes over every kind of answer under two Host
    # headers, the second from the page cache wherever the first kept it, and never one Host's for the other.
    for _ in range(2):
        differing = check_no_poisoning(base, urls("Test_AlphaGo", "Test_DeepMind"))
        assert {"/void.ttl", "/resource/Test_AlphaGo.jsonld"} <= set(differing), differing
    # An answer no per-version cache of the pages holds, with no result cache: only the page cache can answer
    # it again without an engine.
    page = "/sparql?" + urlencode({"query": "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3"})
    workers = hostile.wait_workers(2)
    first = {requests.get(base + page, timeout=30).content for _ in range(32)}  # both web processes keep it
    etag = requests.get(base + page, timeout=30).headers["ETag"]
    assert len(first) == 1
    with engines_stopped(hostile, workers):  # no query can run now: what answers is the page cache
        for _ in range(6):
            r = requests.get(base + page, timeout=5)
            assert r.status_code == 200 and r.content in first and r.headers["ETag"] == etag
            assert r.headers["Content-Security-Policy"] and r.headers["Cache-Control"].startswith("public")
        r = requests.get(base + page, headers={"If-None-Match": etag}, timeout=5)
        assert r.status_code == 304 and not r.content and r.headers["ETag"] == etag
        r = requests.head(base + page, timeout=5)
        assert r.status_code == 200 and not r.content
        # The same query asked for in another format was never kept: it needs an engine, which is stopped.
        r = requests.get(base + page, headers={"Accept": "text/csv"}, timeout=30)
        assert r.status_code == 503, r.status_code


def test_answers_that_change_from_run_to_run_are_never_kept(hostile):
    for query in ("SELECT (STRUUID() AS ?id) WHERE {}", "SELECT (STRU\\u0055ID() AS ?id) WHERE {}"):
        bodies = {get(hostile, query)[2] for _ in range(4)}
        assert len(bodies) == 4, query


# -- the result cache's bound ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bounded():
    # One web process (one cache) of 100 kB: an answer up to 12.5 kB is kept. No page cache, which would keep
    # the answers of this test's GETs itself.
    server = ServeProcess("--data", str(TINY), "--workers", "1", "--timeout", "5", "--no-validate",
                          env={"AIKG_ENGINES": "2", "AIKG_RESULT_CACHE_BYTES": str(100_000),
                               "AIKG_PAGE_CACHE_BYTES": "0"})
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def runs_for(server: ServeProcess, query: str) -> tuple[bytes, bool]:
    """Ask a query; return its answer and whether an engine took a request meanwhile."""
    before = engine_runs(server)
    status, _, body = get(server, query)
    assert status == 200, body
    return body, engine_runs(server) != before


def test_the_cache_counts_engine_runs_and_keeps_its_bound(bounded):
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 7"
    bounded.wait_engines(2)
    first, ran = runs_for(bounded, query)
    assert ran  # never asked before: an engine ran it
    for _ in range(5):
        again, ran = runs_for(bounded, query)
        assert again == first and not ran  # kept: no engine took a request
    # Other answers, each kept, whose sizes add up to twice the bound: the oldest are dropped to make room.
    other = "SELECT * WHERE {{ ?s ?p ?o }} ORDER BY ?s ?p ?o LIMIT 20 # {}"
    size = len(get(bounded, other.format(0))[2])
    assert 1000 < size < 12_000
    for i in range(1, 2 * 100_000 // size + 2):
        _, ran = runs_for(bounded, other.format(i))
        assert ran
    _, ran = runs_for(bounded, other.format(i))
    assert not ran  # the newest is kept
    again, ran = runs_for(bounded, query)
    assert again == first and ran  # the first was dropped for the bound: it needed an engine again


# -- fair share --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stingy():
    server = ServeProcess("--data", str(TINY), "--workers", "2", "--timeout", "1", "--no-validate",
                          env={"AIKG_ENGINES": "4", "AIKG_CLIENT_BUDGET": "1"})
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_a_client_over_its_budget_gets_429_and_others_do_not(stingy):
    status, _, _ = get(stingy, RUNAWAY, "127.0.0.2")
    assert status == 503  # stopped at the 1 s limit, and charged for it: the whole 1 s budget
    status, headers, body = get(stingy, ASK, "127.0.0.2")
    assert status == 429
    assert int(headers["retry-after"]) >= 1
    error = json.loads(body)
    assert error["error"] == "Too many requests" and "share" in error["message"]
    status, _, _ = get(stingy, ASK, "127.0.0.3")  # another client is not affected
    assert status == 200
    assert requests.get(stingy.url + "/static/aikg.css", timeout=5).status_code == 200  # no engine needed


def test_a_client_runs_a_bounded_number_of_queries_at_once(stingy):
    # AIKG_CLIENT_QUERIES is 4 by default: the fifth query of one client at once is refused.
    with ThreadPoolExecutor(5) as pool:
        outcomes = list(pool.map(lambda _: get(stingy, RUNAWAY, "127.0.0.9"), range(5)))
    statuses = sorted(status for status, _, _ in outcomes)
    assert 429 in statuses and statuses.count(503) + statuses.count(429) == 5
    refused = next(o for o in outcomes if o[0] == 429)
    assert "retry-after" in refused[1]


# -- a full queue ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def narrow():
    server = ServeProcess("--data", str(TINY), "--workers", "2", "--timeout", "2", "--no-validate",
                          env={"AIKG_ENGINES": "1", "AIKG_QUEUE_LENGTH": "1", "AIKG_QUEUE_TIMEOUT": "1"})
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_a_full_queue_gets_503_with_retry_after_never_an_endless_wait(narrow):
    began = time.monotonic()
    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(lambda i: get(narrow, RUNAWAY, f"127.0.1.{i + 1}"), range(6)))
    elapsed = time.monotonic() - began
    errors = [(status, h, json.loads(b)) for status, h, b in outcomes]
    busy = [(h, e) for status, h, e in errors if status == 503 and e["error"] == "Service busy"]
    assert busy, [status for status, _, _ in outcomes]
    for headers, error in busy:
        assert int(headers["retry-after"]) >= 1
        assert "busy" in error["message"]
    assert all(status == 503 for status, _, _ in outcomes)
    # One engine, a 2 s limit, a 1 s queue limit: nobody waited for more than the runaways ahead of it.
    assert elapsed < 2 + 1 + 2 * 2, elapsed
    status, _, _ = get(narrow, ASK, timeout=10)
    assert status == 200


# -- one web process, many requests at once --------------------------------------------------------------


def test_concurrent_first_requests_for_what_a_page_computes_once_never_hang_a_web_process():
    # What a page computes once per data version is built under a lock; under aikg serve the requests of
    # a web process are greenlets of one thread, and the builder hands that thread back to the event loop
    # while it waits for an engine. A second request blocking on the lock would stop the loop for good.
    server = ServeProcess("--data", str(TINY), "--workers", "1", "--no-validate",
                          env={"AIKG_ENGINES": "2", "AIKG_CLIENT_QUERIES": "16"})
    try:
        server.wait_ready()
        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(lambda _: requests.get(server.url + "/.well-known/void", timeout=20).status_code,
                                     range(6)))
        assert statuses == [200] * 6
        assert requests.get(server.url + "/", timeout=10).status_code == 200
    finally:
        server.stop()
