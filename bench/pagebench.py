"""The page benchmark: every kind of page a reader opens on the shipped graph, timed by wrk over `aikg serve`
and in-process through Flask's test client.

    .venv/bin/python -m bench --only pages                  # the shipped graph, 5 s per page, one connection
    .venv/bin/python -m bench --only pages --duration 2 --connections 1,8

Over HTTP, each page is fetched until it answers (a page that does not answer 200 is noted, not timed), a few
times more to warm the caches, then wrk requests it one connection at a time for `--duration` seconds (and at
any other concurrency asked for): p50, p99 and requests per second. In-process, each page is fetched once,
then `repeat` times through the test client: wall-clock p50/p99 and the CPU time's p50, which leaves out the
time other processes of a busy machine hold the cores. Writes `bench/results/pages-<timestamp>.md`.
"""

from __future__ import annotations

import statistics
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

from aikg.namespaces import RESOURCE
from bench import wrk
from bench.datasets import Dataset
from bench.endpoint import warm_up
from bench.servers import Server, Servers, start_aikg
from bench.workloads import Page

R = RESOURCE


def _q(iri: str) -> str:
    return urllib.parse.quote(iri, safe="")


#: Every page kind, on the shipped graph's resources: the three pages the issue names, the largest hubs (an
#: organisation with hundreds of Epoch models; the country most resources point at), and each listing.
SHIPPED_PAGES = [
    Page("home", "/", "text/html"),
    Page("resource: AlphaGo", "/resource/AlphaGo.html", "text/html"),
    Page("resource: DeepMind", "/resource/DeepMind.html", "text/html"),
    Page("resource: Ilya Sutskever", "/resource/Ilya_Sutskever.html", "text/html"),
    Page("resource: Google (hub)", "/resource/Google.html", "text/html"),
    Page("resource: United States (hub)", "/resource/United_States.html", "text/html"),
    Page("search: Sutskever OpenAI", "/search?q=Sutskever+OpenAI", "text/html"),
    Page("search: Hintn (typo)", "/search?q=Hintn", "text/html"),
    Page("autocomplete: alph", "/api/search?q=alph", "application/json"),
    Page("explore 1 hop: DeepMind", f"/explore?iri={_q(R + 'DeepMind')}&hops=1", "text/html"),
    Page("explore 2 hops: DeepMind", f"/explore?iri={_q(R + 'DeepMind')}&hops=2", "text/html"),
    Page("explore 2 hops: Google", f"/explore?iri={_q(R + 'Google')}&hops=2", "text/html"),
    Page("explore 2 hops: United States", f"/explore?iri={_q(R + 'United_States')}&hops=2", "text/html"),
    Page("paths: Sutskever to AlphaGo", "/paths?from=Ilya+Sutskever&to=AlphaGo", "text/html"),
    Page("timeline", "/timeline", "text/html"),
    Page("lists", "/lists", "text/html"),
    Page("list: milestones", "/lists/Milestone", "text/html"),
    Page("list: people by name", "/lists/Person?sort=label", "text/html"),
    Page("list: models", "/lists/Model", "text/html"),
    Page("trends: compute", "/trends", "text/html"),
    Page("trends: parameters", "/trends?metric=parameters", "text/html"),
    Page("query page", "/query", "text/html"),
    Page("named-query list", "/queries", "text/html"),
    Page("named query: prolific authors", "/queries/prolific-authors", "text/html"),
    Page("named query: produced by DeepMind", f"/queries/produced-by?org={_q(R + 'DeepMind')}", "text/html"),
    Page("ontology", "/ontology", "text/html"),
]


@dataclass
class PageTiming:
    """One page's figures: over HTTP per concurrency, and in-process."""

    page: Page
    status: int | str
    http: dict[int, wrk.Result] = field(default_factory=dict)
    wall_p50: float = float("nan")
    wall_p99: float = float("nan")
    cpu_p50: float = float("nan")


def _status(server: Server, page: Page) -> int | str:
    import requests

    try:
        return requests.get(server.url + page.path, headers={"Accept": page.accept}, timeout=120).status_code
    except requests.RequestException as e:
        return type(e).__name__


def run_http(ds: Dataset, pages: Sequence[Page], connections: Sequence[int], duration: float) -> list[PageTiming]:
    """Serve the dataset with `aikg serve` and time every page with wrk."""
    out: list[PageTiming] = []
    with Servers() as servers:
        print(f"  starting aikg over {ds.name} ({ds.triples:,} triples)")
        server = start_aikg(servers, ds)
        for page in pages:
            timing = PageTiming(page, _status(server, page))
            out.append(timing)
            if timing.status != 200:
                print(f"  {page.name:36s} HTTP {timing.status}: not timed")
                continue
            warm_up(server, page.request(server))
            for c in connections:
                result = wrk.run(server.url, page.request(server), connections=c, duration=duration)
                timing.http[c] = result
                bad = f"  ({result.errors} errors)" if result.errors else ""
                print(f"  {page.name:36s} c={c:<3d} p50 {result.p50_ms:8.2f} ms  p99 {result.p99_ms:8.2f} ms  "
                      f"{result.requests_per_s:7.0f} req/s{bad}")
    return out


def run_in_process(timings: Sequence[PageTiming], repeat: int) -> None:
    """Time every page through the test client of an app over the shipped graph (no sockets, no wrk)."""
    from aikg.web.app import create_app

    client = create_app({"TESTING": True}).test_client()
    for timing in timings:
        path, accept = timing.page.path, timing.page.accept
        client.get(path, headers={"Accept": accept})
        wall, cpu = [], []
        for _ in range(repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            client.get(path, headers={"Accept": accept})
            cpu.append((time.process_time() - began_cpu) * 1000)
            wall.append((time.perf_counter() - began) * 1000)
        wall.sort()
        timing.wall_p50 = statistics.median(wall)
        timing.wall_p99 = wall[min(len(wall) - 1, int(len(wall) * 0.99))]
        timing.cpu_p50 = statistics.median(cpu)
        print(f"  {timing.page.name:36s} in-process p50 {timing.wall_p50:7.2f} ms  p99 {timing.wall_p99:7.2f} ms"
              f"  cpu p50 {timing.cpu_p50:6.2f} ms")


def table(timings: Sequence[PageTiming], connections: Sequence[int], repeat: int) -> list[str]:
    """Write the figures as one markdown table: a row per page."""
    def ms(x: float) -> str:
        return "" if x != x else (f"{x:.1f}" if x >= 10 else f"{x:.2f}")  # NaN: not measured

    head = "| page | path |" + "".join(f" HTTP c={c} p50 / p99 ms | req/s |" for c in connections)
    head += f" in-process p50 / p99 ms ({repeat} runs) | CPU p50 ms |"
    rule = "|---|---|" + "---:|---:|" * len(connections) + "---:|---:|"
    lines = ["### Pages, shipped graph", "", head, rule]
    for t in timings:
        row = f"| {t.page.name} | `{urllib.parse.unquote(t.page.path)}` |"
        for c in connections:
            r = t.http.get(c)
            if r is None:
                row += f" HTTP {t.status} | |" if t.status != 200 else " | |"
            else:
                bad = f" ({r.errors} errors)" if r.errors else ""
                row += f" {ms(r.p50_ms)} / {ms(r.p99_ms)}{bad} | {r.requests_per_s:,.0f} |"
        row += f" {ms(t.wall_p50)} / {ms(t.wall_p99)} | {ms(t.cpu_p50)} |"
        lines.append(row)
    lines.append("")
    return lines
