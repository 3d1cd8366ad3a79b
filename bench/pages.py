"""In-process timings of search and of the pages, through Flask's test client (no sockets, no wrk).

    .venv/bin/python -m bench.pages                   # the shipped graph, then a generated graph of ~10k resources
    .venv/bin/python -m bench.pages --milestones 900 --repeat 30

Every search of a fixed list (words in any order, typos, years, one letter, nothing found) is run `repeat`
times against the search index of each graph (built once, outside the timing), and each page kind is
fetched `repeat` times; p50, p99 and the slowest are printed in milliseconds. Speed is measured here, never
in the tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from aikg.graph.search import find, index
from aikg.ingest.generate import generate
from aikg.web.app import create_app

R = "https://w3id.org/ai-history/resource/"
#: Searches of the shipped graph's vocabulary (they find nothing in a generated graph, which is timed too).
SHIPPED_SEARCHES = ["alphago", "Sutskever OpenAI", "alexnet 2012", "Hintn", "Geofrey Hinton", "transfromer", "a",
                    "go", "deep learning", "lee sedol", "2016", "zzqx", "Sutskever Microsoft", "université"]
#: Searches of the generated graph's vocabulary (words of its labels, a typo, a year, one letter).
GENERATED_SEARCHES = ["deep", "neural vision", "Convolutional Speech 1987", "convolutonal", "a", "e", "gen",
                      "sparse memory network", "1999", "zzqx", "bayesian reasoning 2010", "hierarchical"]
SHIPPED_PAGES = [
    "/", "/search?q=Sutskever+OpenAI", "/search?q=Hintn", "/resource/AlphaGo.html", "/resource/DeepMind.html",
    "/resource/Ilya_Sutskever.html", "/resource/AlphaGo_defeats_Lee_Sedol_2016.html", "/resource/Google.html",
    "/timeline", "/explore?iri=" + R + "AlphaGo", "/explore?iri=" + R + "AlphaGo&hops=2",
    "/lists/Milestone", "/lists/Person?sort=label", "/lists/Milestone.csv", "/query", "/queries",
    "/resource/No_Such_Thang.html",
]


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"p50 {statistics.median(samples):7.2f}  p99 {p99:7.2f}  max {samples[-1]:7.2f} ms"


def time_searches(store, queries: list[str], repeat: int) -> float:
    """Time each search, by the wall clock and by the process's CPU time (which leaves out the time other
    processes of a busy machine hold the cores); return the slowest CPU time seen (ms)."""
    index(store)
    slowest = 0.0
    for q in queries:
        wall, cpu = [], []
        for _ in range(repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            results = find(store, q, limit=20)
            cpu.append((time.process_time() - began_cpu) * 1000)
            wall.append((time.perf_counter() - began) * 1000)
        slowest = max(slowest, max(cpu))
        print(f"  search {q!r:28} {results.total:5d} found  wall {_ms(wall)} | cpu max {max(cpu):6.2f} ms")
    return slowest


def time_pages(app, paths: list[str], repeat: int) -> None:
    """Time each page through the test client (each page fetched once before timing)."""
    client = app.test_client()
    for path in paths:
        status = client.get(path).status_code
        samples, cpu = [], []
        for _ in range(repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            cpu.append((time.process_time() - began_cpu) * 1000)
            samples.append((time.perf_counter() - began) * 1000)
        print(f"  page {path[:58]:58} {status}  wall {_ms(samples)} | cpu p50 {statistics.median(cpu):6.2f} ms")


def main(argv: list[str] | None = None) -> int:
    """Time searches and pages on the shipped graph and on a generated one."""
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--milestones", type=int, default=900, help="milestones of the generated graph (900 "
                        "make about 10k labelled resources)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", choices=("search", "pages"))
    args = parser.parse_args(argv)

    print("== shipped graph")
    shipped = create_app({"TESTING": True})
    store = shipped.extensions["aikg"]
    if args.only != "pages":
        time_searches(store, SHIPPED_SEARCHES, args.repeat)
    if args.only != "search":
        time_pages(shipped, SHIPPED_PAGES, args.repeat)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.nt"
        with path.open("w", encoding="utf-8") as out:
            generate(out, args.milestones, seed=args.seed)
        app = create_app({"TESTING": True, "DATA": [str(path)], "VALIDATE": False})
        big = app.extensions["aikg"]
        began = time.perf_counter()
        idx = index(big)
        print(f"== generated graph: {args.milestones} milestones, {len(idx.entries):,} labelled resources "
              f"(index built in {time.perf_counter() - began:.2f} s)")
        if args.only != "pages":
            slowest = time_searches(big, GENERATED_SEARCHES + SHIPPED_SEARCHES, args.repeat)
            print(f"  slowest search (CPU time): {slowest:.2f} ms; load average {os.getloadavg()[0]:.1f} "
                  f"on {os.cpu_count()} cores")
        if args.only != "search":
            first = next(iter(sorted(i for i in idx.entries if "Gen_Milestone_" in i)), None)
            org = next(iter(sorted(i for i in idx.entries if "Gen_Organisation_" in i)), None)
            paths = ["/", "/timeline", "/search?q=deep+vision", "/lists/Milestone", "/lists/Milestone?page=5"]
            paths += [p for p in (first, org) if p for p in (f"/resource/{p.rsplit('/', 1)[-1]}.html",
                                                           f"/explore?iri={p}&hops=2")]
            time_pages(app, paths, max(3, args.repeat // 4))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
