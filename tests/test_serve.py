"""`aikg serve`: a real gunicorn server in a subprocess, on a free port, polled until it answers."""

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
from aikg.config import Settings
from aikg.serving.server import server_options

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

    def workers(self) -> set[int]:
        """Return the pids of the master's child processes (gunicorn's workers)."""
        children = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.proc.pid:
                        children.add(int(entry.name))
        return children

    def wait_workers(self, n: int, deadline: float = 30.0) -> set[int]:
        """Poll until the master has n workers; return their pids."""
        end = time.monotonic() + deadline
        while (pids := self.workers()) and len(pids) != n and time.monotonic() < end:
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
    server = ServeProcess("--data", str(TINY), "--workers", "2", "--timeout", "5")
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


def test_serve_runs_gunicorn_sync_workers(served):
    assert len(served.wait_workers(2)) == 2
    r = requests.get(served.url + "/sparql", params={"query": "ASK {}"}, timeout=10)
    assert "gunicorn" in r.headers.get("Server", "").lower()


def test_serve_answers_long_get_queries(served):
    # gunicorn's default limit on the request line (4094 bytes) would refuse this before the app sees it.
    text = "# " + "x" * 9000 + "\nASK {}"
    r = requests.get(served.url + "/sparql", params={"query": text}, timeout=10)
    assert r.status_code == 200
    too_long = "# " + "x" * (70 * 1024) + "\nASK {}"
    assert requests.post(served.url + "/sparql", data={"query": too_long}, timeout=10).status_code == 413


def test_server_options_put_the_worker_timeout_above_the_query_timeout():
    options = server_options(Settings(query_timeout=30.0), host="127.0.0.1", port=0, workers=2, announce=print)
    assert options["timeout"] > 30
    assert options["preload_app"] is True
    assert options["worker_class"] == "sync"


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
