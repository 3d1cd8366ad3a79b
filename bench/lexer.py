"""The query lexer's cost per public query, and the nesting at which the engine itself crashes.

    .venv/bin/python -m bench.lexer            # microseconds per analysed query (1 KB and 60 KB texts)
    .venv/bin/python -m bench.lexer --crash    # also bisect the engine's crash depth per construct (minutes)

The crash search runs each query in a child process (the engine dies with SIGSEGV, taking its process with
it) and reports, for each construct, the largest n that ran, the smallest that crashed, and the depth the
lexer measures there: MAX_QUERY_DEPTH must stay well under the smallest of those depths.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from importlib import resources

from aikg.errors import BadQuery
from aikg.sparql.query import _analyse

_CHILD = ("import sys, pyoxigraph as ox\nr = ox.Store().query(sys.stdin.read())\n"
          "print(len(list(r)) if not isinstance(r, ox.QueryBoolean) else bool(r))")

CONSTRUCTS = {
    "nested groups": lambda n: "SELECT * WHERE " + "{" * n + "}" * n,
    "nested FILTER NOT EXISTS": lambda n: "SELECT * WHERE " + "{ FILTER NOT EXISTS " * n + "{}" + " }" * n,
    "nested sub-SELECTs": lambda n: "SELECT * WHERE " + "{ SELECT * WHERE " * n + "{}" + " }" * n,
    "nested parentheses": lambda n: "SELECT * WHERE { FILTER(" + "(" * n + "1" + ")" * n + ") }",
    "chained BINDs": lambda n: "SELECT * WHERE { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(n)) + " }",
    "chained +": lambda n: "SELECT * WHERE { BIND(" + "+".join(["1"] * n) + " AS ?x) }",
    "chained OPTIONALs": lambda n: "SELECT * WHERE { " + " ".join(["OPTIONAL { }"] * n) + " }",
}


def samples() -> dict[str, str]:
    """Return the texts timed: the largest shipped named query, and two 60 KB queries."""
    root = resources.files("aikg") / "graph" / "queries"
    named = max((e.read_text(encoding="utf-8") for e in root.iterdir() if e.name.endswith(".rq")), key=len)
    values = " ".join(f"<https://w3id.org/ai-history/resource/M{i}>" for i in range(1400))
    wide = "\n".join(f"  OPTIONAL {{ ?s aikg:p{i} ?o{i} . FILTER(?o{i} > {i} && STRLEN(STR(?o{i})) < 40) }}"
                     for i in range(230))
    dense = "PREFIX aikg: <https://w3id.org/ai-history/ontology#>\nSELECT * WHERE {\n" + wide + "\n}"
    return {
        f"largest named query ({len(named)} chars)": named,
        "60 KB: VALUES of 1,400 IRIs": "SELECT ?m ?label WHERE {\n VALUES ?m { " + values + " }\n"
                                       " ?m <http://www.w3.org/2000/01/rdf-schema#label> ?label\n} LIMIT 100",
        f"{len(dense) // 1024} KB: 230 OPTIONAL and FILTER (dense tokens)": dense,
    }


def time_analysis() -> None:
    """Print the best of seven runs of analysing each sample, in microseconds (CPU time)."""
    for name, text in samples().items():
        n = max(5, 200_000 // len(text))
        best = float("inf")
        for _ in range(7):
            started = time.process_time()
            for _ in range(n):
                _analyse(text, None)
            best = min(best, (time.process_time() - started) / n * 1e6)
        tokens = len(_analyse(text, None).tokens)
        print(f"{name}: {best:,.0f} µs per query, {tokens:,} tokens ({best / tokens:.2f} µs per token)")


def crashes(text: str) -> bool:
    """Tell whether the engine dies running a text (in a child process)."""
    run = subprocess.run([sys.executable, "-c", _CHILD], input=text, capture_output=True, text=True, timeout=600)
    return run.returncode < 0


def crash_depths() -> None:
    """Bisect, for each construct, the n at which the engine crashes, and print the depth the lexer measures."""
    for name, make in CONSTRUCTS.items():
        lo, hi = 100, 100
        while not crashes(make(hi)):
            lo, hi = hi, hi * 2
        while hi - lo > max(10, lo // 50):
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if crashes(make(mid)) else (mid, hi)
        try:
            depth = str(_analyse(make(hi), None).depth)
        except BadQuery as e:
            depth = f"refused: {e.message[:60]}"
        print(f"{name}: runs at {lo}, crashes at {hi} ({len(make(hi)):,} chars); lexer depth there {depth}")


def main() -> None:
    """Run the timings, and the crash search when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crash", action="store_true", help="also find the engine's crash depths (minutes)")
    args = parser.parse_args()
    time_analysis()
    if args.crash:
        crash_depths()


if __name__ == "__main__":
    main()
