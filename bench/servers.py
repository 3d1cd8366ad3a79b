"""Start and stop the servers under test, each on a free port of 127.0.0.1, each in its own process group.

Every server started here is registered with a `Servers` stack, which stops them all on exit, on error
and on SIGINT/SIGTERM; readiness is polled, never slept for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.datasets import DATA, Dataset

VENV_BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def tool(name: str) -> str:
    """Return the path of a console script of the virtualenv the bench runs in."""
    path = VENV_BIN / name
    return str(path) if path.exists() else name


def free_port() -> int:
    """Return a port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One running server: its name, its base URL, where it answers SPARQL, and its process."""

    name: str
    url: str
    sparql_path: str
    proc: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def sparql(self) -> str:
        return self.url + self.sparql_path

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after a grace period."""
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


class ServerError(RuntimeError):
    """A server did not start."""


class Servers:
    """A stack of started servers, all stopped when the `with` block ends, however it ends."""

    def __init__(self) -> None:
        self.running: list[Server] = []
        self.logs = Path(tempfile.mkdtemp(prefix="aikg-bench-logs-"))

    def __enter__(self) -> Servers:
        self._previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()
        for s, handler in self._previous.items():
            signal.signal(s, handler)

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stop_all()
        raise KeyboardInterrupt(f"signal {signum}")

    def stop_all(self) -> None:
        """Stop every server still running, newest first."""
        while self.running:
            self.running.pop().stop()

    def stop(self, server: Server) -> None:
        """Stop one server now."""
        server.stop()
        if server in self.running:
            self.running.remove(server)

    def start(self, name: str, argv: Sequence[str], port: int, sparql_path: str, *, env: dict[str, str] | None = None,
              ready_path: str | None = None, timeout: float = 900.0) -> Server:
        """Start a command in its own process group and wait until it answers HTTP on the port."""
        log = self.logs / f"{name}-{port}.log"
        full_env = {**os.environ, **(env or {})}
        with log.open("wb") as out:
            proc = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=ROOT,
                                    start_new_session=True)
        server = Server(name, f"http://127.0.0.1:{port}", sparql_path, proc, log)
        self.running.append(server)
        _wait_ready(server, server.url + (ready_path if ready_path is not None else sparql_path), timeout)
        _wait_idle(server, timeout)
        return server


def _wait_ready(server: Server, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise ServerError(f"{server.name} exited with {server.proc.returncode}:\n{server.log_tail()}")
        try:
            requests.get(url, params={"query": "ASK {}"}, timeout=5)
            return
        except requests.RequestException:
            time.sleep(delay)  # polling the port, not waiting for a guessed start-up time
            delay = min(delay * 1.5, 0.5)
    raise ServerError(f"{server.name} did not answer on {url} within {timeout:.0f} s:\n{server.log_tail()}")


def _group(pgid: int) -> Iterator[tuple[int, list[str]]]:
    """Yield (pid, /proc/pid/stat fields after the name) for every process of a process group."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ...; utime stime at 11, 12
            yield int(entry.name), fields


def _group_cpu_seconds(pgid: int) -> float:
    """Sum the CPU time of every process in a process group (from /proc)."""
    total = sum(int(fields[11]) + int(fields[12]) for _, fields in _group(pgid))
    return total / os.sysconf("SC_CLK_TCK")


def cpu_seconds(server: Server) -> float:
    """CPU time used so far by a server's processes, with what its processes that ended used (from /proc).

    A process's reaped children count in its own cutime and cstime: engines that retired, workers replaced.
    """
    total = sum(int(f[11]) + int(f[12]) + int(f[13]) + int(f[14]) for _, f in _group(server.proc.pid))
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(server: Server) -> tuple[float, float] | None:
    """The peak RSS (VmHWM) of the server's first process and the largest of the others (its workers), in MB.

    Shared pages count in every process that maps them (an on-disk store's cache, what a forked worker
    shares with its master), so the figures are upper bounds on what each process adds.
    """
    peaks: dict[int, float] = {}
    for pid, _ in _group(server.proc.pid):
        try:
            with open(f"/proc/{pid}/status") as f:
                hwm = next((line.split()[1] for line in f if line.startswith("VmHWM:")), None)
        except OSError:
            continue
        if hwm is not None:
            peaks[pid] = int(hwm) / 1024
    if server.proc.pid not in peaks:
        return None
    workers = [mb for pid, mb in peaks.items() if pid != server.proc.pid]
    return peaks[server.proc.pid], max(workers, default=0.0)


def _wait_idle(server: Server, timeout: float) -> None:
    """Wait until the server's processes stop using CPU: every worker has loaded its data.

    A pre-forking server answers as soon as one worker is up, while the others may still be loading.
    """
    deadline = time.monotonic() + timeout
    before = _group_cpu_seconds(server.proc.pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)  # a sampling interval for CPU use, not a guess at start-up time
        now = _group_cpu_seconds(server.proc.pid)
        if now - before < 0.05:
            return
        before = now
    raise ServerError(f"{server.name} kept busy for {timeout:.0f} s after it first answered")


# The three kinds of server ------------------------------------------------------------------------


def _help(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def aikg_help(command: str) -> str:
    """Return the --help text of an aikg command, or '' when the command does not exist."""
    return _help([tool("aikg"), command, "--help"])


def start_aikg(servers: Servers, ds: Dataset | None, *, workers: int = 2, store: Path | None = None,
               endpoint: str | None = None, name: str = "aikg", timeout: float | None = None,
               settings: dict[str, str] | None = None) -> Server:
    """Serve a dataset with aikg: `aikg serve` when it exists, else gunicorn over the app factory.

    `store` serves an on-disk store, `endpoint` a remote SPARQL endpoint, else the dataset's files in memory.
    Validation is off here: the scale benchmark times it on its own.
    """
    port = free_port()
    env = {"AIKG_VALIDATE": "0", **(settings or {})}
    if timeout is not None:
        env["AIKG_QUERY_TIMEOUT"] = str(timeout)
    serve_help = aikg_help("serve")
    if serve_help:
        argv = [tool("aikg"), "serve", "--port", str(port), "--host", "127.0.0.1"]
        if "--workers" in serve_help:
            argv += ["--workers", str(workers)]
        if endpoint:
            argv += ["--endpoint", endpoint] if "--endpoint" in serve_help else []
            env["AIKG_ENDPOINT"] = endpoint
        elif store is not None:
            argv += ["--store", str(store)] if "--store" in serve_help else []
            env["AIKG_STORE"] = str(store)
        elif ds is not None and ds.files:
            if "--data" in serve_help:
                for f in ds.files:
                    argv += ["--data", str(f)]
            env["AIKG_DATA"] = os.pathsep.join(map(str, ds.files))
        if "--no-validate" in serve_help:
            argv.append("--no-validate")
    else:
        argv = [tool("gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                "bench.aikg_wsgi:app"]
        if endpoint:
            env["AIKG_ENDPOINT"] = endpoint
        elif store is not None:
            env["AIKG_STORE"] = str(store)
        elif ds is not None and ds.files:
            env["BENCH_DATA"] = str(ds.files[0])
    return servers.start(name, argv, port, "/sparql", env=env, ready_path="/")


def oxigraph_location(ds: Dataset) -> Path:
    """Load (once) a dataset's N-Quads into an Oxigraph store directory and return it."""
    location = DATA / (ds.nquads.stem + ".oxigraph")
    done = location / ".loaded"
    if not done.exists():
        subprocess.run([tool("oxigraph"), "load", "--location", str(location), "--file", str(ds.nquads)],
                       check=True, capture_output=True, timeout=3600)
        done.touch()
    return location


def start_oxigraph(servers: Servers, ds: Dataset) -> Server:
    """Serve a dataset with the Oxigraph server (read-only, union default graph, like aikg)."""
    port = free_port()
    argv = [tool("oxigraph"), "serve-read-only", "--location", str(oxigraph_location(ds)),
            "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    return servers.start("oxigraph", argv, port, "/query")


def start_bare(servers: Servers, ds: Dataset, workers: int = 2) -> Server:
    """Serve a dataset with the bare Flask app under gunicorn (sync workers)."""
    port = free_port()
    argv = [tool("gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
            "bench.bare_app:app"]
    return servers.start("bare", argv, port, "/sparql", env={"BENCH_DATA": str(ds.nquads)})


def start_bare_granian(servers: Servers, ds: Dataset, workers: int = 2) -> Server:
    """Serve a dataset with the same bare Flask app under granian's WSGI interface (to compare the fronts)."""
    port = free_port()
    argv = [tool("granian"), "--interface", "wsgi", "--workers", str(workers), "--blocking-threads", "2",
            "--host", "127.0.0.1", "--port", str(port), "--http", "1", "--log-level", "warning",
            "bench.bare_app:app"]
    return servers.start("bare-granian", argv, port, "/sparql", env={"BENCH_DATA": str(ds.nquads)})
