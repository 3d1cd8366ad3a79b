"""Drive a server with wrk: one Lua script per request, throughput and latency percentiles parsed back."""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
#: How far over its connections a run's mean latency times its rate may go (wrk rounds both) before its
#: latencies are not believed.
LITTLE_SLACK = 1.25


@dataclasses.dataclass(frozen=True)
class Request:
    """One HTTP request to repeat: a method, a path with its query string, headers and a body."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    #: Each request's body has a distinct number in place of %d (so that no cache can answer it).
    unique: bool = False

    def lua(self) -> str:
        lines = [f"wrk.method = {_lua_string(self.method)}", f"wrk.path = {_lua_string(self.path)}"]
        lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in self.headers]
        if self.body is not None and not self.unique:
            lines.append(f"wrk.body = {_lua_string(self.body)}")
        if self.unique and self.body is not None:
            # Each wrk thread counts from its own offset: no two requests of a run carry the same number.
            lines += [
                "local threads = 0",
                "function setup(thread) thread:set('tid', threads); threads = threads + 1 end",
                "function init(args) counter = (tid or 0) * 1000000000 + (os.time() % 1000) * 100000 end",
                f"local template = {_lua_string(self.body.replace('%', '%%').replace('%%d', '%d'))}",
                "function request() counter = counter + 1; "
                "return wrk.format(nil, nil, nil, string.format(template, counter)) end",
            ]
        return "\n".join(lines) + "\n"


@dataclasses.dataclass(frozen=True)
class Result:
    """What one wrk run measured."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx answers plus socket errors
    mean_ms: float = float("nan")  # wrk's mean latency (nan where not measured by wrk)
    connections: int = 0  # the connections of the run (0 where unknown)

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.requests > 0

    @property
    def latencies_hold(self) -> bool:
        """Tell whether the latencies agree with the throughput (Little's law).

        Each connection has one request in flight, so the mean latency times the rate is at most the
        connections. A run whose latencies give more measured something other than the requests' latency,
        and its percentiles are not to be read as the server's.
        """
        if not self.connections or math.isnan(self.mean_ms):
            return True
        return self.mean_ms / 1000 * self.requests_per_s <= LITTLE_SLACK * self.connections


def _lua_string(s: str) -> str:
    """Quote a string for Lua: double quotes, with backslashes, quotes and line ends escaped."""
    escaped = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def available() -> bool:
    """Tell whether wrk is installed."""
    return shutil.which("wrk") is not None


def run(base_url: str, request: Request, *, connections: int, duration: float, threads: int = 2) -> Result:
    """Run wrk against a base URL for `duration` seconds and parse its --latency report."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(request.lua())
        script = Path(f.name)
    try:
        argv = ["wrk", "-t", str(max(1, min(threads, connections))), "-c", str(connections),
                "-d", f"{max(1, round(duration))}s", "--timeout", "30s", "--latency", "-s", str(script),
                base_url + request.path]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    finally:
        script.unlink(missing_ok=True)
    if done.returncode != 0 or "error" in done.stderr.lower():
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return dataclasses.replace(parse(done.stdout), connections=connections)


def parse(text: str) -> Result:
    """Parse wrk's output (with --latency)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    mean = re.search(r"^\s+Latency\s+([\d.]+)(us|ms|s|m|h)\b", text, re.M)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m|h)\b", text, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\b", text, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket:
        # A read error is what wrk reports when the server closes a kept-alive connection; count only the rest.
        errors += int(socket.group(1)) + int(socket.group(3)) + int(socket.group(4))
    return Result(
        float(rps.group(1)) if rps else 0.0,
        float(p50.group(1)) * _UNITS[p50.group(2)] if p50 else float("nan"),
        float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else float("nan"),
        int(total.group(1)) if total else 0,
        errors,
        float(mean.group(1)) * _UNITS[mean.group(2)] if mean else float("nan"),
    )
