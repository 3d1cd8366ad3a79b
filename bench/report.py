"""Print and write the results: markdown tables side by side, ratios, and a latency-against-size plot."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bench.endpoint import SERVERS, EndpointRun
from bench.scale import ScaleRun
from bench.serving import ServingRun
from bench.wrk import Result


def _rps(x: float | None) -> str:
    return "" if x is None else f"{x:,.0f}"


def _ms(x: float) -> str:
    if math.isnan(x):
        return ""
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _p99(r: Result) -> str:
    """A run's p99, marked where its latencies disagree with its throughput (see Result.latencies_hold)."""
    return _ms(r.p99_ms) + ("" if r.latencies_hold else " ‡")


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else ""


def endpoint_table(run: EndpointRun) -> list[str]:
    """One table per size: a row per request and concurrency, the servers side by side."""
    lines = [f"### Endpoint, {run.size}: {run.triples:,} triples ({run.quads:,} quads served)", ""]
    head = "| request | conn |"
    rule = "|---|---:|"
    for name in SERVERS:
        head += f" {name} req/s | {name} p50/p99 ms |"
        rule += "---:|---:|"
    head += " aikg/bare | aikg/oxigraph |"
    rule += "---:|---:|"
    lines += [head, rule]
    keys = list(dict.fromkeys((m.query, m.connections) for m in run.measures))
    for query, conns in keys:
        by = {m.server: m.result for m in run.measures if m.query == query and m.connections == conns}
        row = f"| {query} | {conns} |"
        for name in SERVERS:
            r = by.get(name)
            if r is None:
                row += " | |"
            elif r.requests == 0:
                row += " none completed | |"
            else:
                bad = f" ({r.errors} errors)" if r.errors else ""
                row += f" {_rps(r.requests_per_s)}{bad} | {_ms(r.p50_ms)} / {_ms(r.p99_ms)} |"
        a, b, o = (by[n].requests_per_s if n in by else None for n in ("aikg", "bare", "oxigraph"))
        row += f" {_ratio(a, b)} | {_ratio(a, o)} |"
        lines.append(row)
    lines.append("")
    if run.pages:
        lines += ["Every page, aikg, one connection (requests one after another):", "",
                  "| page | path | requests | p50 ms | p99 ms |", "|---|---|---:|---:|---:|"]
        for page, r in run.pages:
            bad = f" ({r.errors} errors)" if r.errors else ""
            lines.append(f"| {page.name} | `{page.path}` | {r.requests}{bad} | {_ms(r.p50_ms)} | {_ms(r.p99_ms)} |")
        lines.append("")
    for query, answers in run.answers.items():
        verdict = "same answer" if len(set(answers.values())) == 1 else "**MISMATCH**"
        lines.append(f"- check `{query}`: {verdict}: " + ", ".join(f"{k} {v}" for k, v in answers.items()))
    lines += [f"- {note}" for note in run.notes]
    lines += ["- CPU ms a request: all the CPU a server's processes used during the run (engines and workers "
              "that ended included), over the requests answered: what the machine's load does not change much."]
    lines.append("")
    return lines


def scale_table(runs: Sequence[ScaleRun]) -> list[str]:
    """One table for the scale benchmark: a row per size."""
    servers = list(dict.fromkeys(k for r in runs for k in r.sparql))
    latencies = list(dict.fromkeys(k for r in runs for k in r.latency))
    head = ("| size | triples | quads served | aikg load --store | oxigraph load | validate (compiled engine) "
            "| validate (pyshacl) |")
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    for s in servers:
        head += f" one-hop {s} req/s (p50 ms) |"
        rule += "---:|"
    for k in latencies:
        head += f" {k} p50 ms |"
        rule += "---:|"
    lines = ["### Scale", "", "Loads show time, triples per second and peak RSS; one-hop at 8 connections; "
             "named query and page latency at 1 connection.", "", head, rule]
    for r in runs:
        row = (f"| {r.size} | {r.triples:,} | {r.quads:,} | {r.load_aikg.cell(r.triples)} | "
               f"{r.load_oxigraph.cell(r.triples)} | {r.validate_fast.cell()} | {r.validate.cell()} |")
        for s in servers:
            res = r.sparql.get(s)
            row += f" {_rps(res.requests_per_s)} ({_ms(res.p50_ms)}) |" if res else " |"
        for k in latencies:
            res = r.latency.get(k)
            row += f" {_ms(res.p50_ms)} |" if res else " |"
        lines.append(row)
    lines.append("")
    measured = list(dict.fromkeys(k for r in runs for k in r.memory))
    if measured:
        lines += ["Peak RSS of the servers after the runs above (VmHWM; the first process, then the largest "
                  "worker; pages shared between processes count in each):", "",
                  "| size |" + "".join(f" {k} MB |" for k in measured), "|---|" + "---:|" * len(measured)]
        for r in runs:
            cells = "".join(f" {r.memory[k][0]:,.0f} / {r.memory[k][1]:,.0f} |" if k in r.memory else " |"
                            for k in measured)
            lines.append(f"| {r.size} |{cells}")
        lines.append("")
    lines += [f"- {r.size}: {note}" for r in runs for note in r.notes]
    lines.append("")
    return lines


def environment(args: str) -> list[str]:
    """Say where and how the numbers were taken."""
    load = os.getloadavg()
    return [
        f"# aikg benchmark, {datetime.now().isoformat(timespec='seconds')}", "",
        f"- command: `python -m bench {args}`",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}",
        f"- load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        "(other work on the machine skews results)",
        "- servers: aikg (2 web processes, engine processes), bare Flask + pyoxigraph (gunicorn, 2 sync workers), "
        "Oxigraph server (read-only, union default graph); all serve the same quads; wrk on the same machine.", "",
    ]


def plot(endpoint_runs: Sequence[EndpointRun], scale_runs: Sequence[ScaleRun], path: Path) -> Path | None:
    """Plot p50 latency against graph size: endpoint requests (lowest concurrency) and scale measures."""
    if not endpoint_runs and not scale_runs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[tuple[int, float]]] = {}
    for run in endpoint_runs:
        if not run.measures:
            continue
        low = min(m.connections for m in run.measures)
        for m in run.measures:
            if m.connections == low and m.result.requests and m.result.p50_ms > 0:
                series.setdefault(f"{m.query} / {m.server} (c={low})", []).append((run.triples, m.result.p50_ms))
    scale: dict[str, list[tuple[int, float]]] = {}
    for r in scale_runs:
        for name, res in r.sparql.items():
            if res.requests and res.p50_ms > 0:
                scale.setdefault(f"one-hop / {name} (c=8)", []).append((r.triples, res.p50_ms))
        for name, res in r.latency.items():
            if res.requests and res.p50_ms > 0:
                scale.setdefault(f"{name} (c=1)", []).append((r.triples, res.p50_ms))
    panels = [(t, s) for t, s in (("Endpoint benchmark", series), ("Scale benchmark", scale)) if s]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(8 * len(panels), 6), squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, (title, data) in zip(axes[0], panels, strict=True):
        requests = sorted({name.split(" / ")[0].split(" (")[0] for name in data})
        for name, points in sorted(data.items()):
            points.sort()
            # Colour by request, line style by server, so that a dozen series stay readable.
            style = ":" if "oxigraph" in name else "--" if "bare" in name or "remote" in name else "-"
            colour = colours(requests.index(name.split(" / ")[0].split(" (")[0]) % 10)
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", linestyle=style, color=colour,
                    label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("triples in the data")
        ax.set_ylabel("p50 latency (ms)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, -0.12), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def serving_table(run: ServingRun) -> list[str]:
    """The serving benchmark: unique and repeated queries, the fronts, native answers, held, memory."""
    lines = [f"### Serving, {run.dataset}: {run.triples:,} triples ({run.quads:,} quads served)", "",
             "| query | variant | aikg req/s | bare req/s | oxigraph req/s | aikg/bare | aikg/oxigraph "
             "| p99 ms aikg / bare / oxigraph | CPU ms a request aikg / bare / oxigraph |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    keys = list(dict.fromkeys((q, v) for q, v, _, _ in run.measures))
    for query, variant in keys:
        by = {s: r for q, v, s, r in run.measures if q == query and v == variant}
        cells = []
        for name in ("aikg", "bare", "oxigraph"):
            r = by.get(name)
            cells.append("" if r is None else _rps(r.requests_per_s) + (f" ({r.errors} errors)" if r.errors else ""))
        rps = [by[n].requests_per_s if n in by else None for n in ("aikg", "bare", "oxigraph")]
        p99 = " / ".join(_p99(by[n]) if n in by else "" for n in ("aikg", "bare", "oxigraph"))
        cpu = " / ".join(f"{run.cpu[(query, variant, n)]:.2f}" if (query, variant, n) in run.cpu else ""
                         for n in ("aikg", "bare", "oxigraph"))
        lines.append(f"| {query} | {variant} | {' | '.join(cells)} | {_ratio(rps[0], rps[1])} | "
                     f"{_ratio(rps[0], rps[2])} | {p99} | {cpu} |")
    if not all(r.latencies_hold for r in [*(r for _, _, _, r in run.measures), *(r for _, r in run.fronts)]):
        lines += ["", "‡ (here and below) wrk's latencies in that run disagree with its throughput: the mean "
                  "latency times the rate is more than the connections, which one request in flight a connection "
                  "cannot give (Little's law). The p99 is wrk's, not the server's; the rate stands."]
    lines.append("")
    if run.fronts:
        lines += ["The HTTP front alone: the bare app, unique ASK:", "",
                  "| front | req/s | p50 ms | p99 ms | CPU ms a request |", "|---|---:|---:|---:|---:|"]
        for name, r in run.fronts:
            cpu = run.cpu.get(("front", "unique", name))
            lines.append(f"| {name} | {_rps(r.requests_per_s)} | {_ms(r.p50_ms)} | {_p99(r)} | "
                         f"{'' if cpu is None else f'{cpu:.2f}'} |")
        lines.append("")
    if run.native:
        lines += ["The engine's side of a 200-row answer (in-process, 100k triples):", "",
                  "| format | written natively µs | terms + Python writer µs | ratio |", "|---|---:|---:|---:|"]
        for fmt, native, python in run.native:
            lines.append(f"| {fmt} | {native:,.0f} | {python:,.0f} | {python / native:.2f} |")
        lines.append("")
    if run.held:
        lines += ["Held: 64 idle sockets and 4 runaway queries, ASK (and a resource page) one after another:", "",
                  "| server | ASK p50 ms | ASK p99 ms | ASK failed | page p99 ms | runaways answered |",
                  "|---|---:|---:|---:|---:|---|"]
        for h in run.held:
            page = _ms(h.page.p99_ms) if h.page else ""
            lines.append(f"| {h.server} | {_ms(h.ask.p50_ms)} | {_ms(h.ask.p99_ms)} | {h.ask.errors} of "
                         f"{h.ask.requests} | {page} | {', '.join(h.runaways)} |")
        lines.append("")
    if run.memory:
        first = run.memory[1][1] if len(run.memory) > 1 else run.memory[0][1]
        last = run.memory[-1][1]
        failed = ", ".join(f"{n} answered {status}" for status, n in sorted(run.memory_errors.items())) or "all 200"
        lines += [f"Memory of every aikg process over {run.memory[-1][0]:,} mixed requests ({failed}): "
                  "proportional set size summed, and the largest process:", "",
                  "| requests | PSS MB | largest RSS MB |", "|---:|---:|---:|"]
        lines += [f"| {n:,} | {pss:.0f} | {rss:.0f} |" for n, pss, rss in run.memory]
        lines += ["", f"From {run.memory[1][0] if len(run.memory) > 1 else 0:,} requests to the end: "
                      f"{(last - first):+.0f} MB ({(last - first) / first * 100:+.1f}%).", ""]
    for query, answers in run.answers.items():
        verdict = "same answer" if len(set(answers.values())) == 1 else "**MISMATCH**"
        lines.append(f"- check `{query}`: {verdict}: " + ", ".join(f"{k} {v}" for k, v in answers.items()))
    lines += [f"- {note}" for note in run.notes]
    lines += ["- CPU ms a request: all the CPU a server's processes used during the run (engines and workers "
              "that ended included), over the requests answered: what the machine's load does not change much."]
    lines.append("")
    return lines
