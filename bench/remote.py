"""`python -m bench.remote`: what remote mode costs, side by side in one run.

The shipped data is published (`aikg publish`) to a fresh Oxigraph server and a fresh Virtuoso 7 (Debian's
`virtuoso-opensource-7-bin`, its ini written into a temporary folder as the tests do), then served by three
`aikg serve --workers 2` processes: embedded (the files in memory), remote over the Oxigraph server, remote
over Virtuoso. wrk drives each with the same four requests, at one connection and at eight: a one-hop query
on /sparql, the same query with a distinct constant in each request (no cache answers it), the busiest
organisation's resource page, and a named query. Each answer is fetched first; a server
that does not answer 200 is reported, not timed. Writes bench/results/remote-<timestamp>.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from bench import wrk
from bench.datasets import RESULTS
from bench.servers import Server, Servers, free_port, tool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the Virtuoso harness the tests use

ONE_HOP = """PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?m ?label WHERE { ?m schema:producer <https://w3id.org/ai-history/resource/DeepMind> ; rdfs:label ?label }"""
#: The same one-hop query with a distinct constant in every request, so that no cache answers it: the store's
#: own cost and the hop to it.
UNIQUE_ONE_HOP = ONE_HOP.replace("}", ' FILTER(?label != "not %d") }')
REQUESTS = {
    "one-hop /sparql": wrk.Request("GET", "/sparql?query=" + quote(ONE_HOP),
                                   (("Accept", "application/sparql-results+json"),)),
    "unique one-hop /sparql": wrk.Request(
        "POST", "/sparql", (("Accept", "application/sparql-results+json"),
                            ("Content-Type", "application/x-www-form-urlencoded")),
        body="query=" + quote(UNIQUE_ONE_HOP).replace("%25d", "%d"), unique=True),
    "resource page": wrk.Request("GET", "/resource/DeepMind"),
    "named query": wrk.Request("GET", "/api/queries/produced-by?org=DeepMind"),
}


#: The fair share lifted, as bench.serving does: the benchmark is one client.
CLIENT_SHARE = {"AIKG_CLIENT_QUERIES": "100000", "AIKG_CLIENT_BUDGET": "100000000"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.remote", description=__doc__)
    p.add_argument("--connections", default="1,8", help="wrk connections, comma-separated (default 1,8)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (default 10)")
    return p


def _serve(servers: Servers, name: str, endpoint: str | None) -> Server:
    port = free_port()
    argv = [tool("aikg"), "serve", "--port", str(port), "--host", "127.0.0.1", "--workers", "2", "--no-validate"]
    if endpoint:
        argv += ["--endpoint", endpoint, "--timeout", "60"]
    # One wrk client asks 8 at once: over the per-client share (CLIENT_QUERIES, 4), which would measure the 429s.
    return servers.start(name, argv, port, "/sparql", ready_path="/", env=CLIENT_SHARE)


def main(argv: list[str] | None = None) -> int:
    """Publish, serve three ways, drive each with wrk, write the report."""
    args = _parser().parse_args(argv)
    connections = [int(c) for c in args.connections.split(",")]
    if not wrk.available():
        print("wrk is not installed: run `scripts/system-deps wrk` (or `make bench`)", file=sys.stderr)
        return 2
    from oxigraph_server import OxigraphServer
    from virtuoso_server import VirtuosoServer, installed

    from aikg.ingest.files import sources
    from aikg.ingest.publish import publish
    from aikg.resources import default_data, default_ontology

    if not installed():
        print("Virtuoso is not installed: run `scripts/system-deps virtuoso`", file=sys.stderr)
        return 2
    results: dict[tuple[str, str, int], wrk.Result] = {}
    published: dict[str, float] = {}
    failing: dict[tuple[str, str], int] = {}
    with tempfile.TemporaryDirectory(prefix="aikg-bench-remote-") as tmp:
        stores = [("oxigraph", OxigraphServer(Path(tmp) / "oxigraph")), ("virtuoso", VirtuosoServer(Path(tmp) / "v"))]
        started = []
        try:
            for name, store in stores:
                store.start()
                started.append(store)
                began = time.monotonic()
                publish(sources(default_data(), default_ontology()), store.query_url)
                published[name] = time.monotonic() - began
                print(f"published to {name} in {published[name]:.0f} s", flush=True)
            with Servers() as servers:
                apps = [("embedded", _serve(servers, "embedded", None))]
                apps += [(f"remote {name}", _serve(servers, name, store.query_url)) for name, store in stores]
                import requests

                for label, request in REQUESTS.items():
                    for app, server in apps:
                        body = request.body.replace("%d", "0") if request.body is not None else None
                        r = requests.request(request.method, server.url + request.path, data=body,
                                             headers=dict(request.headers), timeout=120)
                        if r.status_code != 200:
                            print(f"{app} answers {label} with {r.status_code}: not timed", flush=True)
                            failing[(label, app)] = r.status_code
                for label, request in REQUESTS.items():
                    for c in connections:
                        for app, server in apps:
                            if (label, app) in failing:
                                continue
                            result = wrk.run(server.url, request, connections=c, duration=args.duration)
                            results[(label, app, c)] = result
                            print(f"{label:22} {app:16} c={c}: {result.requests_per_s:8.1f} req/s  "
                                  f"p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  errors {result.errors}",
                                  flush=True)
        finally:
            for store in started:
                store.stop()
    _write(results, published, connections, failing)
    return 0


def _write(results: dict[tuple[str, str, int], wrk.Result], published: dict[str, float],
           connections: list[int], failing: dict[tuple[str, str], int]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    load = os.getloadavg()
    lines = [f"# Remote overhead ({stamp})", "",
             f"Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores "
             "(a shared machine makes these numbers noisy).", "",
             "Publish of the shipped data: " + ", ".join(f"{k} {v:.0f} s" for k, v in published.items()) + ".", "",
             "| request | connections | embedded req/s (p50 ms) | Oxigraph req/s (p50 ms) | Virtuoso req/s (p50 ms) |",
             "|---|---|---|---|---|"]
    for label in REQUESTS:
        for c in connections:
            cells = []
            for app in ("embedded", "remote oxigraph", "remote virtuoso"):
                r = results.get((label, app, c))
                status = failing.get((label, app))
                cells.append(f"{r.requests_per_s:.1f} ({r.p50_ms:.1f})" if r else f"HTTP {status}" if status else "n/a")
            lines.append(f"| {label} | {c} | " + " | ".join(cells) + " |")
    path = RESULTS / f"remote-{stamp}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written {path}")


if __name__ == "__main__":
    sys.exit(main())
