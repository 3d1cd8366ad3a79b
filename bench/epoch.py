"""`python -m bench.epoch`: the Epoch import's speed, and serving the curated and Epoch graphs together.

Measures, each as its own process (wall time and that process's own peak RSS, see bench.scale.timed):
- `aikg import epoch` of the snapshot (target: under 5 s), best of three;
- `aikg import epoch` of a generated CSV 100 times as large (the snapshot's rows repeated with numbered names;
  target: under 3 minutes and 2 GiB);
- `aikg serve` on the shipped data, validation included, from start to its first answer (target: under 15 s);
- the p50 and p90 latency of pages that show Epoch's facts, one connection, sequential requests.
Writes bench/results/epoch-<timestamp>.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

from bench.datasets import RESULTS
from bench.scale import Timed, timed
from bench.servers import ROOT, free_port, tool

PAGES = [
    "/", "/resource/Google.html", "/resource/DeepMind.html", "/resource/AlexNet.html",
    "/resource/Ilya_Sutskever.html", "/resource/model-Llama_3_3.html", "/search?q=alexnet",
    "/queries/largest-training-runs", "/api/queries/largest-training-runs", "/timeline",
]


def find_snapshot() -> Path:
    """Return Epoch's snapshot: AIKG_EPOCH_CSV, else shared/datasets/… beside the repository or a parent."""
    env = os.environ.get("AIKG_EPOCH_CSV")
    if env:
        return Path(env)
    for folder in [ROOT, *ROOT.parents]:
        candidate = folder / "shared" / "datasets" / "epoch-notable-ai-models" / "notable_ai_models.csv"
        if candidate.exists():
            return candidate
    raise SystemExit("Epoch's snapshot was not found: set AIKG_EPOCH_CSV")


def grow(snapshot: Path, times: int, out: Path) -> int:
    """Write a CSV of the snapshot's rows `times` over, the copies' model names numbered; return its rows."""
    with snapshot.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    name = header.index("Model")
    n = 0
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for copy in range(times):
            for row in rows:
                if copy:
                    row = list(row)
                    row[name] = f"{row[name]} (copy {copy})"
                writer.writerow(row)
                n += 1
    return n


def import_once(csv_path: Path, timeout: float) -> Timed:
    """Time one `aikg import epoch` into a temporary file."""
    with tempfile.TemporaryDirectory() as tmp:
        return timed([tool("aikg"), "import", "epoch", str(csv_path), "-o", str(Path(tmp) / "out.ttl")], timeout)


def startup(timeout: float = 120.0) -> tuple[float, subprocess.Popen[bytes], str]:
    """Start `aikg serve` on the shipped data with validation and return the seconds to its first answer."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIKG_")}
    began = time.perf_counter()
    proc = subprocess.Popen([tool("aikg"), "serve", "--port", str(port), "--workers", "2"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - began < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"aikg serve exited with {proc.returncode}")
        try:
            if requests.get(url + "/", timeout=5).status_code == 200:
                return time.perf_counter() - began, proc, url
        except requests.RequestException:
            time.sleep(0.05)  # polling the port, not waiting for a guessed start-up time
    proc.kill()
    raise SystemExit(f"aikg serve did not answer within {timeout:.0f} s")


def latency(url: str, path: str, n: int) -> tuple[int, float, float]:
    """Return the status and the p50 and p90 latency in ms of n sequential GETs (after one warm-up)."""
    session = requests.Session()
    first = session.get(url + path, timeout=30)
    times = []
    for _ in range(n):
        began = time.perf_counter()
        session.get(url + path, timeout=30)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return first.status_code, statistics.median(times), times[int(len(times) * 0.9) - 1]


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and write the report."""
    p = argparse.ArgumentParser(prog="python -m bench.epoch", description=__doc__)
    p.add_argument("--times", type=int, default=100, help="how many times the snapshot the large CSV is")
    p.add_argument("--requests", type=int, default=50, help="requests per page")
    args = p.parse_args(argv)
    snapshot = find_snapshot()
    lines = [f"# Epoch import and serving, {datetime.now():%Y-%m-%d %H:%M}", ""]

    runs = [import_once(snapshot, 60) for _ in range(3)]
    best = min((r for r in runs if r.seconds is not None), key=lambda r: r.seconds or 0.0)
    lines.append(f"- import of the snapshot ({snapshot.stat().st_size / 1e6:.1f} MB): best of 3 {best.cell()}")
    print(lines[-1])

    with tempfile.TemporaryDirectory(prefix="aikg-epoch-") as tmp:
        big = Path(tmp) / "notable_ai_models_x.csv"
        rows = grow(snapshot, args.times, big)
        large = import_once(big, 600)
        lines.append(f"- import of a generated CSV {args.times}x as large ({rows:,} rows, "
                     f"{big.stat().st_size / 1e6:.0f} MB): {large.cell()}")
        print(lines[-1])

    seconds, proc, url = startup()
    try:
        lines.append(f"- `aikg serve` on the curated and Epoch graphs, validation included, to its first answer: "
                     f"{seconds:.1f} s")
        print(lines[-1])
        lines += ["", "| page | status | p50 ms | p90 ms |", "|---|---|---|---|"]
        for path in PAGES:
            status, p50, p90 = latency(url, path, args.requests)
            lines.append(f"| `{path}` | {status} | {p50:.1f} | {p90:.1f} |")
            print(lines[-1])
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"epoch-{datetime.now():%Y%m%d-%H%M%S}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
