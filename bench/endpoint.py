"""The endpoint benchmark: the same data behind aikg, the Oxigraph server and a bare Flask app, driven by wrk."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import requests

from bench import wrk
from bench.datasets import Dataset
from bench.servers import Server, Servers, start_aikg, start_bare, start_oxigraph
from bench.workloads import Page, Sparql, aikg_pages, answer_size, browse_pages, sparql_queries

SERVERS = ("aikg", "bare", "oxigraph")


@dataclass
class Measure:
    """One wrk run: which data, request, server and concurrency, and what it gave."""

    size: str
    triples: int
    query: str
    server: str
    connections: int
    result: wrk.Result


@dataclass
class EndpointRun:
    """Everything one size of the endpoint benchmark produced."""

    size: str
    triples: int
    quads: int
    measures: list[Measure] = field(default_factory=list)
    pages: list[tuple[Page, wrk.Result]] = field(default_factory=list)  # every page, one connection
    answers: dict[str, dict[str, str]] = field(default_factory=dict)  # query -> server -> answer
    notes: list[str] = field(default_factory=list)

    def mismatches(self) -> list[str]:
        """Queries on which the servers disagree."""
        return [q for q, by in self.answers.items() if len(set(by.values())) > 1]


def run(ds: Dataset, connections: Sequence[int], duration: float) -> EndpointRun:
    """Serve one dataset three ways, check the answers agree, then time every request."""
    out = EndpointRun(ds.name, ds.triples, ds.quads)
    org = ds.top_producer
    if org is None:
        out.notes.append("no organisation produced a milestone: the one-hop query is left out")
    queries = sparql_queries(org)
    with Servers() as servers:
        started: dict[str, Server] = {}
        print(f"  starting servers over {ds.name} ({ds.triples:,} triples, {ds.quads:,} quads served)")
        started["aikg"] = start_aikg(servers, ds)
        started["bare"] = start_bare(servers, ds)
        started["oxigraph"] = start_oxigraph(servers, ds)
        for q in queries:
            out.answers[q.name] = {name: answer_size(s, q) for name, s in started.items()}
            verdict = "same" if len(set(out.answers[q.name].values())) == 1 else "MISMATCH"
            print(f"  check {q.name:10s} {verdict}: {out.answers[q.name]}")
        pages, missing = aikg_pages(started["aikg"], org)
        out.notes += missing
        for note in missing:
            print(f"  {note}")
        for q in queries:
            for name, answer in out.answers[q.name].items():
                if not _answered(answer):
                    out.notes.append(f"{q.name} on {name}: not timed ({answer})")
        for c in connections:
            for q in queries:
                for name in SERVERS:
                    if _answered(out.answers[q.name][name]):
                        out.measures.append(_time(ds, q, started[name], c, duration))
            for page in pages:
                out.measures.append(_time(ds, page, started["aikg"], c, duration))
        browse, missing = browse_pages(started["aikg"], org)
        out.notes += missing
        for page in browse:
            request = page.request(started["aikg"])
            warm_up(started["aikg"], request)
            result = sample_latency(started["aikg"], request, max(1.0, duration / 2))
            out.pages.append((page, result))
            print(f"  page {page.name:22s} c=1 p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms")
    return out


def _answered(answer: str) -> bool:
    return answer in ("true", "false") or answer.endswith(" rows")


def warm_up(server: Server, request: wrk.Request, times: int = 5) -> None:
    """Send a request a few times before timing it (caches, lazily built state, first connections)."""
    for _ in range(times):
        requests.request(request.method, server.url + request.path, headers=dict(request.headers),
                         data=request.body.encode() if request.body is not None else None, timeout=300)


def _time(ds: Dataset, q: Sparql | Page, server: Server, connections: int, duration: float) -> Measure:
    warm_up(server, q.request(server))
    result = wrk.run(server.url, q.request(server), connections=connections, duration=duration)
    flag = "" if result.ok else f"  ({result.errors} errors)" if result.requests else "  (none completed: run longer)"
    print(f"  {q.name:24s} {server.name:9s} c={connections:<3d} {result.requests_per_s:9.0f} req/s  "
          f"p50 {result.p50_ms:8.2f} ms  p99 {result.p99_ms:8.2f} ms{flag}")
    return Measure(ds.name, ds.triples, q.name, server.name, connections, result)


def sample_latency(server: Server, request: wrk.Request, duration: float, least: int = 5) -> wrk.Result:
    """Time one request after another (one connection): at least `least` samples, else for `duration` s.

    Unlike wrk, this records requests slower than the run itself (a page can take seconds on a big graph).
    """
    samples: list[float] = []
    errors = 0
    began = time.perf_counter()
    while len(samples) < least or time.perf_counter() - began < duration:
        t = time.perf_counter()
        answer = requests.request(request.method, server.url + request.path, headers=dict(request.headers),
                                  data=request.body.encode() if request.body is not None else None, timeout=300)
        samples.append((time.perf_counter() - t) * 1000)
        errors += answer.status_code >= 400
        if time.perf_counter() - began > max(duration, 1.0) * 10:
            break  # bounded, however slow the request
    samples.sort()
    elapsed = time.perf_counter() - began

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, int(p * len(samples)))]

    return wrk.Result(len(samples) / elapsed, pct(0.5), pct(0.99), len(samples), errors)
