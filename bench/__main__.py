"""`python -m bench`: the endpoint and scale benchmarks in one run, written to bench/results/<timestamp>.md."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime

from bench import endpoint, pagebench, report, scale, serving, wrk
from bench.datasets import RESULTS, SEED, dataset, milestones
from bench.servers import ServerError

DEFAULTS = {"sizes": "shipped,100k,1M", "scale_sizes": "10k,100k,1M,5M", "connections": "8,32", "duration": "10"}
QUICK_VALIDATION_MAX = 20_000
QUICK = {"sizes": "shipped,100k", "scale_sizes": "10k,100k", "connections": "8", "duration": "1"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a short smoke run (under 3 minutes)")
    p.add_argument("--sizes", help=f"endpoint sizes, comma-separated (default {DEFAULTS['sizes']}; "
                                   f"quick {QUICK['sizes']})")
    p.add_argument("--scale-sizes", help=f"scale sizes (default {DEFAULTS['scale_sizes']}; "
                                         f"quick {QUICK['scale_sizes']})")
    p.add_argument("--connections", help="wrk connections, comma-separated (default 8,32; quick 8)")
    p.add_argument("--duration", type=float, help="seconds per wrk run (default 10; quick 1)")
    p.add_argument("--only", choices=("endpoint", "scale", "serving", "pages"),
                   help="run one benchmark: endpoint, scale, serving, or pages (every page kind on the shipped "
                        "graph, by wrk over aikg serve and in-process; not part of the full run)")
    p.add_argument("--repeat", type=int, default=20, help="in-process runs of each page (--only pages)")
    p.add_argument("--milestones", type=int, default=serving.MILESTONES,
                   help=f"milestones of the serving benchmark's graph (default {serving.MILESTONES:,})")
    p.add_argument("--seed", type=int, default=SEED, help="seed of the generated graphs")
    p.add_argument("--step-timeout", type=float, default=900.0,
                   help="seconds before a load or validation is stopped (default 900)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks the options ask for and write the report."""
    args = _parser().parse_args(argv)
    base = QUICK if args.quick else DEFAULTS
    sizes = (args.sizes or base["sizes"]).split(",")
    scale_sizes = (args.scale_sizes or base["scale_sizes"]).split(",")
    connections = [int(c) for c in (args.connections or base["connections"]).split(",")]
    duration = args.duration or float(base["duration"])
    step_timeout = min(args.step_timeout, 120.0) if args.quick else args.step_timeout
    if not wrk.available():
        print("wrk is not installed: run `scripts/system-deps wrk` (or `make bench`)", file=sys.stderr)
        return 2
    if args.only == "pages":
        return _pages(args, argv if argv is not None else sys.argv[1:])
    began = time.monotonic()
    endpoint_runs: list[endpoint.EndpointRun] = []
    scale_runs: list[scale.ScaleRun] = []
    serving_runs: list[serving.ServingRun] = []
    try:
        if args.only == "serving":
            print(f"== serving benchmark: {args.milestones:,} milestones")
            # The serving benchmark keeps to a few minutes: 5 s wrk runs unless told otherwise.
            serving_runs.append(serving.run(milestones(args.milestones, args.seed), args.duration or 5.0))
        if args.only in (None, "endpoint"):
            for size in sizes:
                print(f"== endpoint benchmark: {size}")
                ds = dataset(size, args.seed)
                if ds is None:
                    print("  the shipped data is not there yet (data/ is empty): skipped")
                    continue
                endpoint_runs.append(endpoint.run(ds, connections, duration))
        if args.only in (None, "scale"):
            for size in scale_sizes:
                print(f"== scale benchmark: {size}")
                ds = dataset(size, args.seed)
                if ds is None:
                    print("  the shipped data is not there yet (data/ is empty): skipped")
                    continue
                skip = _skip_validation(args.quick, ds, scale_runs, step_timeout)
                scale_runs.append(scale.run(ds, duration, step_timeout, skip))
    except ServerError as e:
        print(f"a server did not start: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: servers stopped; writing what was measured", file=sys.stderr)
    finally:
        _write(endpoint_runs, scale_runs, argv if argv is not None else sys.argv[1:], time.monotonic() - began,
               serving_runs)
    return 0


def _pages(args: argparse.Namespace, argv: list[str]) -> int:
    """Time every page kind on the shipped graph, over HTTP and in-process, and write the report."""
    connections = [int(c) for c in (args.connections or "1").split(",")]
    duration = args.duration or (1.0 if args.quick else 5.0)
    repeat = max(3, args.repeat // 4) if args.quick else args.repeat
    ds = dataset("shipped", args.seed)
    if ds is None:
        print("the shipped data is not there yet (data/ is empty)", file=sys.stderr)
        return 1
    began = time.monotonic()
    print("== page benchmark: shipped graph, over HTTP (wrk)")
    try:
        timings = pagebench.run_http(ds, pagebench.SHIPPED_PAGES, connections, duration)
    except ServerError as e:
        print(f"a server did not start: {e}", file=sys.stderr)
        return 1
    print("== page benchmark: shipped graph, in-process (Flask's test client)")
    pagebench.run_in_process(timings, repeat)
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = report.environment(shlex.join(argv))[:-2]
    lines += [f"- server: `aikg serve --workers 2` over the shipped graph ({ds.triples:,} triples); wrk "
              f"{duration:g} s per page and concurrency, on the same machine", f"- wall time: "
              f"{time.monotonic() - began:.0f} s", ""]
    lines += pagebench.table(timings, connections, repeat)
    md = RESULTS / f"pages-{datetime.now().strftime('%Y%m%d-%H%M%S')}.md"
    md.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwritten: {md}")
    return 0


def _skip_validation(
    quick: bool, ds: object, done: list[scale.ScaleRun], step_timeout: float
) -> str | None:
    """Say why validation is not timed at this size, or None to time it.

    pyshacl takes minutes from 100k triples: --quick times it on small graphs only; a size is not tried
    once a smaller one ran past the step timeout, or when the last size's time, grown linearly, would.
    """
    if quick and getattr(ds, "triples", 0) > QUICK_VALIDATION_MAX:
        return f"skipped (--quick: only up to {QUICK_VALIDATION_MAX:,} triples)"
    if any(r.validate.note.startswith(">") for r in done):
        return "skipped (a smaller graph ran past the step timeout)"
    timed = [r for r in done if r.validate.seconds is not None and r.triples]
    triples = getattr(ds, "triples", 0)
    if timed and step_timeout:
        last = max(timed, key=lambda r: r.triples)
        expected = (last.validate.seconds or 0.0) * triples / last.triples  # pyshacl grows at least linearly
        if expected > step_timeout:
            return (f"skipped ({last.size} took {last.validate.seconds:.0f} s: at least ~{expected:,.0f} s "
                    f"expected, past the {step_timeout:.0f} s step timeout)")
    return None


def _write(endpoint_runs: list[endpoint.EndpointRun], scale_runs: list[scale.ScaleRun], argv: list[str],
           seconds: float, serving_runs: list[serving.ServingRun] | None = None) -> None:
    if not endpoint_runs and not scale_runs and not serving_runs:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    lines = report.environment(shlex.join(argv))
    lines.append(f"- wall time: {seconds:.0f} s")
    lines.append("")
    for serving_run in serving_runs or ():
        lines += report.serving_table(serving_run)
    for run in endpoint_runs:
        lines += report.endpoint_table(run)
    if scale_runs:
        lines += report.scale_table(scale_runs)
    png = report.plot(endpoint_runs, scale_runs, RESULTS / f"{stamp}.png")
    if png is not None:
        lines.append(f"![p50 latency against graph size]({png.name})")
    md = RESULTS / f"{stamp}.md"
    md.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwritten: {md}" + (f" and {png}" if png else ""))


if __name__ == "__main__":
    sys.exit(main())
