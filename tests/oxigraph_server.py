"""A real Oxigraph server (the `oxigraph` PyPI package's binary) on a free port, for remote-store tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

BINARY = Path(sys.executable).parent / "oxigraph"


def free_port() -> int:
    """Bind port 0 to let the system pick a free port, and return it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OxigraphServer:
    """`oxigraph serve --location DIR` on 127.0.0.1; start() polls until it answers a query."""

    def __init__(self, location: Path, port: int | None = None) -> None:
        self.location = location
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.query_url = self.url + "/query"
        self.update_url = self.url + "/update"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> OxigraphServer:
        binary = BINARY if BINARY.exists() else shutil.which("oxigraph")
        assert binary, "the oxigraph server binary is not installed (pip install oxigraph)"
        self.process = subprocess.Popen(
            [str(binary), "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"oxigraph exited: {err}")
            try:
                if requests.get(self.query_url, params={"query": "ASK {}"}, timeout=1).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.02)  # poll interval, not a readiness guess
        raise RuntimeError("oxigraph did not answer in time")

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self._close()

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None
