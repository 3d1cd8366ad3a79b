"""`aikg serve`: the real server (granian front, web processes, engines) in a subprocess, on a free port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from conftest import TINY

from aikg.cli import cli
from aikg.config import Limits, Settings

DATA = Path(__file__).parent / "data"
AIKG = str(Path(sys.executable).parent / "aikg")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServeProcess:
    """`aikg serve` in its own process group; stopped with SIGTERM (then SIGKILL) at the end."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="aikg-serve-", suffix=".log", delete=False)  # noqa: SIM115
        argv = [AIKG, "serve", "--host", "127.0.0.1", "--port", str(self.port), *args]
        self.proc = subprocess.Popen(
            argv, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **(env or {})}
        )

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_output(self, text: str, deadline: float = 10.0) -> str:
        """Poll until the server's output holds text (a log line is written after the event it reports)."""
        end = time.monotonic() + deadline
        while text not in (out := self.output()) and time.monotonic() < end:
            time.sleep(0.05)
        return out

    def wait_ready(self, deadline: float = 60.0) -> ServeProcess:
        """Poll until the endpoint answers (or fail with the server's output)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                pytest.fail(f"aikg serve exited with {self.proc.returncode}:\n{self.output()}")
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                if requests.get(self.url + "/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    return self
            time.sleep(0.1)  # a poll interval, not a readiness guess
        pytest.fail(f"aikg serve did not answer within {deadline} s:\n{self.output()}")

    def children(self, of: int | None = None) -> set[int]:
        """Return the pids of a process's living children (by default the main process's): not its zombies."""
        parent = self.proc.pid if of is None else of
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == parent and fields[0] != "Z":
                        found.add(int(entry.name))
        return found

    def supervisor(self) -> set[int]:
        """Return the pid of the engines' supervisor (the main process's one child that has children)."""
        return {pid for pid in self.children() if self.children(pid)}

    def engines(self) -> set[int]:
        """Return the pids of the engine processes (the supervisor's children)."""
        return {pid for child in self.children() for pid in self.children(child)}

    def workers(self) -> set[int]:
        """Return the pids of the web processes (the main process's children other than the supervisor)."""
        return {pid for pid in self.children() if not self.children(pid)}

    def wait_workers(self, n: int, deadline: float = 30.0) -> set[int]:
        """Poll until the main process has n web processes; return their pids."""
        end = time.monotonic() + deadline
        while (pids := self.workers()) and len(pids) != n and time.monotonic() < end:
            time.sleep(0.05)
        return pids

    def wait_engines(self, n: int, deadline: float = 30.0) -> set[int]:
        """Poll until n engines run; return their pids."""
        end = time.monotonic() + deadline
        while len(pids := self.engines()) != n and time.monotonic() < end:
            time.sleep(0.05)
        return pids

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()
        os.unlink(self.log.name)


@pytest.fixture(scope="module")
def served():
    server = ServeProcess("--data", str(TINY), "--workers", "2", "--timeout", "5", env={"AIKG_ENGINES": "3"})
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_serve_prints_its_url_and_answers(served):
    assert f"http://127.0.0.1:{served.port}/" in served.output()
    r = requests.get(
        served.url + "/sparql",
        timeout=10,
        params={
            "query": "SELECT ?l WHERE { <https://w3id.org/ai-history/resource/Test_Google> "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?l }"
        },
    )
    assert r.status_code == 200
    assert [b["l"]["value"] for b in r.json()["results"]["bindings"]] == ["Test Google"]


def test_serve_runs_web_processes_and_engines(served):
    assert len(served.wait_workers(2)) == 2
    assert len(served.wait_engines(3)) == 3  # AIKG_ENGINES
    r = requests.get(served.url + "/sparql", params={"query": "ASK {}"}, timeout=10)
    assert "granian" in r.headers.get("Server", "").lower()


def test_serve_answers_long_get_queries(served):
    # A common server's default limit on the request line (4 KB) would refuse this before the app sees it.
    text = "# " + "x" * 9000 + "\nASK {}"
    r = requests.get(served.url + "/sparql", params={"query": text}, timeout=10)
    assert r.status_code == 200
    too_long = "# " + "x" * (70 * 1024) + "\nASK {}"
    assert requests.post(served.url + "/sparql", data={"query": too_long}, timeout=10).status_code == 413


def test_limits_come_from_the_settings_with_derived_defaults():
    limits = Limits.from_settings(Settings(query_timeout=7.0, max_query_bytes=1000, engines=0))
    assert limits.query_timeout == 7.0
    assert limits.max_body == 3 * 1000 + 16 * 1024  # a form-encoded query of the largest size fits
    assert limits.engines >= 8
    assert Limits.from_settings(Settings(engines=3, max_body_bytes=5)).engines == 3
    assert Limits.from_settings(Settings(max_body_bytes=5)).max_body == 5


def refused(data: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `aikg serve` on data that must be refused; a server that started anyway is stopped by the timeout."""
    port = free_port()
    done = subprocess.run(
        [AIKG, "serve", "--data", str(data), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing listens there
    return done


def test_invalid_data_is_refused_with_the_report(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix aikg: <https://w3id.org/ai-history/ontology/> .\n"
        "<https://w3id.org/ai-history/resource/Nameless> a aikg:Milestone .\n"
    )
    done = refused(bad, {"AIKG_SHAPES": str(DATA / "serve-shapes.ttl")})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "does not conform" in done.stderr
    assert "label" in done.stderr  # the report names the missing property
    assert "Nameless" in done.stderr
    assert "serving" not in done.stdout


def test_unparseable_data_is_refused(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<https://w3id.org/ai-history/resource/X> a \n")
    done = refused(broken)
    assert done.returncode == 1
    assert "broken.ttl" in done.stderr


def test_serve_help_lists_the_options(runner):
    result = runner.invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--workers",
        "--data",
        "--timeout",
        "--store",
        "--endpoint",
        "--update-endpoint",
        "--watch",
    ):
        assert option in result.output
