"""The scale benchmark: load, validation and serving as the graph grows (10k to 5M triples)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import wrk
from bench.datasets import DATA, Dataset
from bench.endpoint import sample_latency, warm_up
from bench.servers import (
    ROOT,
    Server,
    ServerError,
    Servers,
    aikg_help,
    peak_rss_mb,
    start_aikg,
    start_oxigraph,
    tool,
)
from bench.workloads import ONE_HOP, Sparql, aikg_pages


@dataclass(frozen=True)
class Timed:
    """A command's wall-clock time and peak resident memory, or why it has none."""

    seconds: float | None
    peak_rss_mb: float | None
    note: str = ""

    def cell(self, triples: int | None = None) -> str:
        if self.seconds is None:
            return self.note or "n/a"
        rate = f", {triples / self.seconds:,.0f} t/s" if triples and self.seconds > 0 else ""
        rss = f", {self.peak_rss_mb:,.0f} MB" if self.peak_rss_mb is not None else ""
        return f"{self.seconds:.2f} s{rate}{rss}"


@dataclass
class ScaleRun:
    """What one size of the scale benchmark measured."""

    size: str
    triples: int
    quads: int
    load_aikg: Timed = Timed(None, None)
    load_oxigraph: Timed = Timed(None, None)
    validate: Timed = Timed(None, None)  # pyshacl, the reference
    validate_fast: Timed = Timed(None, None)  # the compiled engine that `aikg load` uses
    sparql: dict[str, wrk.Result] = field(default_factory=dict)  # server -> one-hop at 8 connections
    latency: dict[str, wrk.Result] = field(default_factory=dict)  # "named-query embedded" etc. -> 1 connection
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)  # server -> peak RSS MB: first, workers
    notes: list[str] = field(default_factory=list)


# Linux counts the RSS a process had before exec in its ru_maxrss, so a command forked straight from this
# (large) process would report at least this process's size. A small Python process runs the command
# instead and reports the command's own wall time and peak RSS (its only child's rusage).
_MEASURE = """import resource, subprocess, sys, time
began = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - began
with open(sys.argv[1], "w") as out:
    out.write(f"{seconds} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(code)
"""


def timed(argv: Sequence[str], timeout: float, env: dict[str, str] | None = None) -> Timed:
    """Run a command; measure its wall time and its own peak RSS (not inflated by this process's size)."""
    err_file = tempfile.TemporaryFile()  # noqa: SIM115 (closed on every path below; the child writes to it)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "measure"
        proc = subprocess.Popen([sys.executable, "-c", _MEASURE, str(report), *argv], stdout=subprocess.DEVNULL,
                                stderr=err_file, cwd=ROOT, env={**os.environ, **(env or {})},
                                start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            err_file.close()
            return Timed(None, None, f"> {timeout:.0f} s (stopped)")
        measured = report.read_text().split() if report.exists() else []
    err_file.seek(0)
    err = err_file.read().decode(errors="replace")
    err_file.close()
    if proc.returncode != 0 or len(measured) != 2:
        last = err.strip().splitlines()[-1:] or [""]
        return Timed(None, None, f"failed ({proc.returncode}): {last[0][:80]}")
    return Timed(float(measured[0]), int(measured[1]) / 1024)


def run(ds: Dataset, duration: float, step_timeout: float, validate: str | None = None) -> ScaleRun:
    """Measure one size: loads, validation (unless `validate` says why not), then serving."""
    out = ScaleRun(ds.name, ds.triples, ds.quads)
    source = ds.source_file
    work = Path(tempfile.mkdtemp(prefix=f"scale-{ds.name}-", dir=DATA))
    try:
        aikg_store = _loads(out, source, work, step_timeout)
        out.validate_fast = _validate(source, step_timeout, "fast")
        print(f"  validate --engine fast: {out.validate_fast.cell(ds.triples)}")
        out.validate = Timed(None, None, validate) if validate else _validate(source, step_timeout, "pyshacl")
        print(f"  validate --engine pyshacl: {out.validate.cell(ds.triples)}")
        _serve(out, ds, aikg_store, duration)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _loads(out: ScaleRun, source: Path | None, work: Path, timeout: float) -> Path | None:
    if source is None:
        out.notes.append("loads: the shipped data is several files; loads are timed on generated graphs")
        return None
    out.load_oxigraph = timed([tool("oxigraph"), "load", "--location", str(work / "oxigraph"), "--file", str(source)],
                              timeout)
    print(f"  oxigraph load: {out.load_oxigraph.cell(out.triples)}")
    load_help = aikg_help("load")
    if "--store" not in load_help:
        out.load_aikg = Timed(None, None, "not available")
        print("  aikg load --store: not available")
        return None
    store = work / "aikg.oxigraph"
    skip = ["--no-validate"] if "--no-validate" in load_help else []  # validation is timed on its own
    out.load_aikg = timed([tool("aikg"), "load", "--store", str(store), *skip, str(source)], timeout,
                          env={"AIKG_VALIDATE": "0"})
    print(f"  aikg load --store: {out.load_aikg.cell(out.triples)} (includes dedupe and materialisation)")
    return store if out.load_aikg.seconds is not None else None


def _validate(source: Path | None, timeout: float, engine: str) -> Timed:
    base = [tool("aikg"), "validate", "--engine", engine]
    return timed(base if source is None else [*base, str(source)], timeout)


def _remote_supported() -> bool:
    return "--endpoint" in aikg_help("serve") or importlib.util.find_spec("aikg.store.remote") is not None


def _serve(out: ScaleRun, ds: Dataset, aikg_store: Path | None, duration: float) -> None:
    org = ds.top_producer
    if org is None:
        out.notes.append("no organisation produced a milestone: nothing to time")
        return
    one_hop = Sparql("one-hop", ONE_HOP % org)
    with Servers() as servers:
        started: dict[str, Server] = {"oxigraph": start_oxigraph(servers, ds)}
        started["aikg embedded"] = start_aikg(servers, ds, store=aikg_store, name="aikg-embedded")
        if _remote_supported():
            try:
                started["aikg remote"] = start_aikg(servers, None, endpoint=started["oxigraph"].sparql,
                                                    name="aikg-remote")
            except ServerError as e:
                out.notes.append(f"aikg remote: did not start: {str(e).splitlines()[0]}")
        else:
            out.notes.append("aikg remote (--endpoint): not available")
        for name, server in started.items():
            request = one_hop.request(server)
            warm_up(server, request)
            out.sparql[name] = result = wrk.run(server.url, request, connections=8, duration=duration)
            print(f"  /sparql one-hop {name:14s} c=8 {result.requests_per_s:8.0f} req/s  p50 {result.p50_ms:7.2f} ms")
        for name, server in started.items():
            if name == "oxigraph":
                continue
            pages, missing = aikg_pages(server, org)
            out.notes += [f"{name}: {m}" for m in missing]
            for page in pages:
                key = f"{page.name.split()[0]} ({name.split()[-1]})"
                request = page.request(server)
                warm_up(server, request)
                out.latency[key] = result = sample_latency(server, request, duration)
                print(f"  {key:28s} c=1 p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms")
        for name, server in started.items():
            peaks = peak_rss_mb(server)
            if peaks is not None:
                out.memory[name] = peaks
                print(f"  peak RSS {name:14s} first process {peaks[0]:,.0f} MB, largest worker {peaks[1]:,.0f} MB")
