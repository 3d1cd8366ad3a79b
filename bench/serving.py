"""The serving benchmark: the serving core's speed, and what it keeps answering under attack, in one run.

On a graph of 8,000 generated milestones, served by aikg (granian front, engine processes), the bare Flask
app (gunicorn sync workers, the usual way to serve Flask) and the Oxigraph server, all loaded with the
same quads:

- **unique** queries (a distinct constant in every request, so no cache can answer) and **repeated**
  ones (the same text each time: aikg's result cache), for ASK, a 200-row SELECT with labels and a
  GROUP BY over all subjects, driven by wrk;
- **the HTTP front alone**: the same bare app under granian's WSGI interface, beside gunicorn;
- **the engine's side of an answer**: written natively by pyoxigraph (what the engines do) against made
  into Python terms and written by ``aikg.sparql.results`` (what the endpoint did before), in-process;
- **held**: ASK and a resource page, one request after another, while 64 idle sockets are held open and 4
  runaway queries run (from four other client addresses), for each server;
- **memory**: every aikg process's proportional set size over 10,000 mixed requests, the result cache
  bounded at 16 MB per web process so that the bound is reached during the run.
"""

from __future__ import annotations

import http.client
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from aikg.namespaces import RESOURCE, sparql_prologue
from bench import wrk
from bench.datasets import Dataset
from bench.endpoint import warm_up
from bench.servers import Server, Servers, cpu_seconds, start_aikg, start_bare, start_bare_granian, start_oxigraph
from bench.workloads import JSON_RESULTS, Sparql, answer_size

SERVERS = ("aikg", "bare", "oxigraph")
MILESTONES = 8_000
#: aikg's time limit in this benchmark: the runaways of the held phase must outlast its sampling.
TIMEOUT = 10.0
CACHE_BYTES = 16 * 1024 * 1024
#: Every request of the benchmark comes from one address (wrk's): fair share would rightly refuse most of
#: them, so its limits are lifted here; the runaways of the held phase come from four other addresses.
AIKG_SETTINGS = {"AIKG_RESULT_CACHE_BYTES": str(CACHE_BYTES), "AIKG_CLIENT_QUERIES": "100000",
                 "AIKG_CLIENT_BUDGET": "100000000"}
#: A 200-row answer the engine finds at once, so that writing it is what is timed.
CHEAP_200 = sparql_prologue() + 'SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(STR(?label) != "x%d") } LIMIT 200'

QUERIES = {
    "ask": "ASK { ?s ?p ?o FILTER(STR(?o) != \"x%d\") }",
    "select-200": sparql_prologue() + """SELECT ?m ?label ?org ?orgLabel WHERE {
  ?m a aikg:Milestone ; rdfs:label ?label ; aikg:producedBy ?org . ?org rdfs:label ?orgLabel .
  FILTER(STR(?label) != "none %d") } LIMIT 200""",
    "group-by": "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class FILTER(?s != <urn:aikg:bench:%d>) } "
                "GROUP BY ?class",
}


def _values(name: str, n: int) -> str:
    return f"VALUES ?{name} {{ {' '.join(map(str, range(n)))} }}"


# A count over 2.5 billion combinations: minutes of engine time on any server.
RUNAWAY = f"SELECT (COUNT(*) AS ?n) WHERE {{ {_values('a', 500)} {_values('b', 500)} {_values('c', 10000)} }}"


@dataclass
class Held:
    """Latency of ASK (and a page) while 64 idle sockets and 4 runaways are held, on one server."""

    server: str
    ask: wrk.Result
    page: wrk.Result | None
    runaways: list[str] = field(default_factory=list)


@dataclass
class ServingRun:
    """Everything the serving benchmark measured."""

    dataset: str
    triples: int
    quads: int
    measures: list[tuple[str, str, str, wrk.Result]] = field(default_factory=list)  # query, variant, server
    cpu: dict[tuple[str, str, str], float] = field(default_factory=dict)  # CPU ms a request, all of a server's
    fronts: list[tuple[str, wrk.Result]] = field(default_factory=list)
    native: list[tuple[str, float, float]] = field(default_factory=list)  # format, native µs, python µs
    held: list[Held] = field(default_factory=list)
    memory: list[tuple[int, float, float]] = field(default_factory=list)  # requests, PSS MB, largest RSS MB
    memory_errors: dict[int, int] = field(default_factory=dict)  # status -> count, for those not 200
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _sparql(text: str, unique: bool) -> wrk.Request:
    body = text if unique else text.replace("%d", "0")
    return wrk.Request("POST", "", (("Content-Type", "application/sparql-query"), ("Accept", JSON_RESULTS)), body,
                       unique=unique)


def _for(server: Server, request: wrk.Request) -> wrk.Request:
    return wrk.Request(request.method, server.sparql_path, request.headers, request.body, request.unique)


def run(ds: Dataset, duration: float, connections: int = 8) -> ServingRun:
    """Serve the dataset three ways and measure everything listed in the module docstring."""
    out = ServingRun(ds.name, ds.triples, ds.quads)
    out.native = native_costs()
    with Servers() as servers:
        print(f"  starting servers over {ds.name} ({ds.triples:,} triples, {ds.quads:,} quads served)")
        started = {
            "aikg": start_aikg(servers, ds, timeout=TIMEOUT, settings=AIKG_SETTINGS),
            "bare": start_bare(servers, ds),
            "oxigraph": start_oxigraph(servers, ds),
        }
        for name, text in QUERIES.items():
            query = Sparql(name, text.replace("%d", "0"))
            out.answers[name] = {n: answer_size(s, query) for n, s in started.items()}
            print(f"  check {name:10s}: {out.answers[name]}")
        for name, text in QUERIES.items():
            # A GROUP BY over every subject takes seconds: one connection a core, and runs long enough
            # for several answers each.
            conns, seconds = (2, max(duration, 10.0)) if name == "group-by" else (connections, duration)
            for variant in ("unique", "repeated"):
                best: dict[str, wrk.Result] = {}
                # The machine is shared: unique queries run twice, in both orders, and the better run counts.
                orders = [SERVERS, SERVERS[::-1]] if variant == "unique" else [SERVERS]
                for order in orders:
                    for server_name in order:
                        server = started[server_name]
                        request = _for(server, _sparql(text, variant == "unique"))
                        warm_up(server, wrk.Request(request.method, request.path, request.headers,
                                                    (request.body or "").replace("%d", "0")))
                        cpu = cpu_seconds(server)
                        result = wrk.run(server.url, request, connections=conns, duration=seconds)
                        per_request = (cpu_seconds(server) - cpu) * 1000 / max(1, result.requests)
                        print(f"  {name:10s} {variant:8s} {server_name:9s} c={conns} {result.requests_per_s:9.0f} "
                              f"req/s  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
                              + f"  {per_request:.2f} CPU ms/request"
                              + (f"  ({result.errors} errors)" if result.errors else ""))
                        if server_name not in best or result.requests_per_s > best[server_name].requests_per_s:
                            best[server_name] = result
                        key = (name, variant, server_name)
                        out.cpu[key] = min(out.cpu.get(key, per_request), per_request)
                for server_name in SERVERS:
                    out.measures.append((name, variant, server_name, best[server_name]))
        granian = start_bare_granian(servers, ds)
        for server in (started["bare"], granian):
            request = _for(server, _sparql(QUERIES["ask"], True))
            cpu = cpu_seconds(server)
            result = wrk.run(server.url, request, connections=connections, duration=duration)
            out.fronts.append((server.name, result))
            out.cpu[("front", "unique", server.name)] = (cpu_seconds(server) - cpu) * 1000 / max(1, result.requests)
            print(f"  front: bare app under {server.name:12s} {result.requests_per_s:9.0f} req/s "
                  f"p99 {result.p99_ms:.2f} ms")
        servers.stop(granian)
        org = ds.top_producer
        page = f"/resource/{org[len(RESOURCE):]}.html" if org and org.startswith(RESOURCE) else None
        out.memory, out.memory_errors = memory(started["aikg"], page, org)
        for server_name in ("aikg", "bare", "oxigraph"):
            # Last for each server: the bare app and the Oxigraph server never stop a runaway; they are
            # stopped with it.
            held = hold(started[server_name], page if server_name == "aikg" else None, seconds=5.0)
            out.held.append(held)
            page_text = f", page p99 {held.page.p99_ms:.1f} ms" if held.page else ""
            print(f"  held {server_name:9s}: ASK p50 {held.ask.p50_ms:.1f} ms p99 {held.ask.p99_ms:.1f} ms "
                  f"({held.ask.errors} of {held.ask.requests} failed){page_text}; runaways: {held.runaways}")
            servers.stop(started[server_name])
    return out


# -- the engine's side of an answer ------------------------------------------------------------------


def native_costs(rounds: int = 200) -> list[tuple[str, float, float]]:
    """Time a 200-row answer written natively against made into terms and written in Python, per format."""
    from aikg.config import load_config
    from aikg.ingest.load import open_store
    from aikg.sparql.formats import RESULT_FORMATS, Format
    from aikg.store.native import answer
    from bench.datasets import generated

    small = generated(100_000)
    store = open_store(load_config({"DATA": [str(f) for f in small.files], "VALIDATE": False}))
    text = CHEAP_200
    rows = []
    counter = itertools.count()  # a distinct constant in every query: nothing is planned or cached twice
    for fmt in RESULT_FORMATS:

        def native(fmt_name: str = fmt.name) -> None:
            answer(store, text % next(counter), fmt_name, limit=10_000)

        def python(fmt: Format = fmt) -> None:
            fmt.write(store.query(text % next(counter), limit=10_000))

        rows.append((fmt.name, _per_call(native, rounds), _per_call(python, rounds)))
        print(f"  answer of 200 rows as {fmt.name}: native {rows[-1][1]:.0f} µs, terms + Python {rows[-1][2]:.0f} µs")
    store.close()
    return rows


def _per_call(fn: Callable[[], None], rounds: int) -> float:
    for _ in range(10):
        fn()
    began = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - began) / rounds * 1e6


# -- held: idle sockets and runaways -------------------------------------------------------------------


def _get(server: Server, path: str, source: str = "127.0.0.1", timeout: float = 2.0, method: str = "GET",
         body: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=timeout,
                                      source_address=(source, 0))
    try:
        accept = JSON_RESULTS if path.startswith(server.sparql_path) else "text/html"
        headers = {"Accept": "application/json" if path.startswith("/api/") else accept}
        if body is not None:
            headers["Content-Type"] = "application/sparql-query"
        conn.request(method, path, body=body.encode() if body is not None else None, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _timed(fn: Callable[[], int]) -> tuple[float, bool]:
    began = time.perf_counter()
    try:
        ok = fn() == 200
    except OSError:
        ok = False
    return (time.perf_counter() - began) * 1000, ok


def _result(samples: list[tuple[float, bool]], seconds: float) -> wrk.Result:
    times = sorted(ms for ms, _ in samples)
    errors = sum(1 for _, ok in samples if not ok)

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(p * len(times)))] if times else float("nan")

    return wrk.Result(len(samples) / seconds, pct(0.5), pct(0.99), len(samples), errors)


def hold(server: Server, page: str | None, seconds: float) -> Held:
    """Hold 64 idle sockets and 4 runaways, and time ASK (and a page) one after another meanwhile."""
    port = int(server.url.rsplit(":", 1)[1])
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
    statuses: list[str] = []

    def runaway(i: int) -> None:
        try:
            statuses.append(str(_get(server, server.sparql_path, f"127.0.0.{2 + i}", timeout=seconds + TIMEOUT + 5,
                                     method="POST", body=RUNAWAY)))
        except OSError as e:
            statuses.append(type(e).__name__)

    threads = [threading.Thread(target=runaway, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # let the runaways reach their engines, and aikg's find them long (LONG_QUERY)
    ask_path = server.sparql_path + "?" + urlencode({"query": "ASK { ?s ?p ?o }"})
    asks: list[tuple[float, bool]] = []
    pages: list[tuple[float, bool]] = []
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        asks.append(_timed(lambda: _get(server, ask_path)))
        if page is not None:
            pages.append(_timed(lambda: _get(server, page)))
    elapsed = time.monotonic() - began
    for s in idle:
        s.close()
    for t in threads:
        t.join(timeout=TIMEOUT + 3 if server.name == "aikg" else 0.1)
    answered = list(statuses)  # the runaways still running end when their server is stopped, later
    if len(answered) < 4:
        answered.append(f"{4 - len(answered)} still running")
    return Held(server.name, _result(asks, elapsed), _result(pages, elapsed) if page else None, answered)


# -- memory over mixed requests ------------------------------------------------------------------------


def _group_memory(pgid: int) -> tuple[float, float]:
    """Sum the proportional set size of a process group, and the largest resident size in it (MB)."""
    total = largest = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[2]) != pgid:
                    continue
            with open(f"/proc/{entry.name}/smaps_rollup") as f:
                fields = {line.split(":")[0]: int(line.split()[1]) for line in f
                          if line.split(":")[0] in ("Rss", "Pss")}
        except (OSError, ValueError, IndexError):
            continue
        total += fields.get("Pss", 0) / 1024
        largest = max(largest, fields.get("Rss", 0) / 1024)
    return total, largest


def memory(server: Server, page: str | None, org: str | None, total: int = 10_000,
           every: int = 1_000) -> tuple[list[tuple[int, float, float]], dict[int, int]]:
    """Send `total` mixed requests over 8 connections; sample the memory of every aikg process as it goes."""
    named = f"/api/queries/produced-by?org={quote(org, safe='')}" if org else "/api/queries"
    mix: list[Callable[[int], tuple[str, str, str | None]]] = [
        lambda i: ("POST", server.sparql_path, QUERIES["ask"] % i),
        lambda i: ("POST", server.sparql_path, QUERIES["select-200"] % i),
        lambda i: ("POST", server.sparql_path, QUERIES["group-by"] % 0),
        lambda i: ("GET", page or "/", None),
        lambda i: ("GET", "/", None),
        lambda i: ("GET", named, None),
        lambda i: ("GET", "/timeline", None),
        lambda i: ("GET", f"/search?q=a{i % 50}", None),
    ]
    counter = itertools.count(10_000_000)
    lock = threading.Lock()
    done = [0]
    errors: dict[int, int] = {}
    samples = [(0, *_group_memory(server.proc.pid))]

    def client(_: int) -> None:
        while True:
            with lock:
                if done[0] >= total:
                    return
                done[0] += 1
                n = done[0]
            method, path, body = mix[n % len(mix)](next(counter))
            try:
                status = _get(server, path, timeout=30, method=method, body=body)
            except OSError:
                status = 0
            with lock:
                if status != 200:
                    errors[status] = errors.get(status, 0) + 1
                if n % every == 0:
                    samples.append((n, *_group_memory(server.proc.pid)))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client, range(8)))
    print("  memory: " + ", ".join(f"{n:,}: {pss:.0f} MB" for n, pss, _ in samples) + f" (not 200: {errors})")
    return samples, errors
