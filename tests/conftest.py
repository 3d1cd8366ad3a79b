"""Shared fixtures: a read-only app on the tiny graph, its test client, the CLI runner, and one live server."""

from __future__ import annotations

import csv
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from aikg.web.app import create_app

TESTS = Path(__file__).parent
TINY = TESTS / "data" / "tiny.ttl"
ROOT = TESTS.parent


@pytest.fixture(scope="session")
def app():
    """One read-only app over the tiny test graph, shared by the whole session."""
    app = create_app({"DATA": [str(TINY)], "TESTING": True, "QUERY_TIMEOUT": 10.0})
    return app


def find_epoch_csv() -> Path:
    """Return Epoch's snapshot: AIKG_EPOCH_CSV, else shared/datasets/… beside the repository or a parent folder
    (CI keeps a copy of shared/ beside the clone). Missing, the tests that need it fail: the shipped Epoch graph
    must stay reproducible."""
    env = os.environ.get("AIKG_EPOCH_CSV")
    if env:
        return Path(env)
    for folder in [ROOT.resolve(), *ROOT.resolve().parents]:
        candidate = folder / "shared" / "datasets" / "epoch-notable-ai-models" / "notable_ai_models.csv"
        if candidate.exists():
            return candidate
    pytest.fail("Epoch's snapshot notable_ai_models.csv was not found: set AIKG_EPOCH_CSV or put shared/ beside "
                "the repository")


@pytest.fixture(scope="session")
def epoch_csv() -> Path:
    """The path of Epoch AI's snapshot the shipped Epoch graph was made from."""
    return find_epoch_csv()


@pytest.fixture(scope="session")
def epoch_rows(epoch_csv) -> list[dict[str, str]]:
    """The snapshot's rows, read with the csv module alone (expected answers come from here)."""
    with epoch_csv.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def full_app():
    """One read-only app over the shipped data, shared by the whole session."""
    return create_app({"TESTING": True, "QUERY_TIMEOUT": 10.0})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def full_client(full_app):
    return full_app.test_client()


@pytest.fixture()
def runner():
    return CliRunner()


def _closing(app):
    """The app, with each answer's body closed once it has been written, or when it is dropped.

    Werkzeug's development server closes the body only after it has drained the socket, and a client that resets
    the connection then (Chromium, after a static file) makes that read raise: the body is never closed, and the
    open file of a static answer is reported at garbage collection, in whatever test runs then. The app's own
    servers (granian) are not concerned."""

    def wsgi(environ, start_response):
        inner = app(environ, start_response)

        def body():
            try:
                yield from inner
            finally:
                close = getattr(inner, "close", None)
                if close is not None:
                    close()

        return body()

    return wsgi


class LiveServer:
    """A real HTTP server on 127.0.0.1 on a free port, in a daemon thread."""

    def __init__(self, app) -> None:
        self._server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(full_app) -> Iterator[LiveServer]:
    """The shipped graph served over real HTTP for the whole session (clients: SPARQLWrapper, requests, ...)."""
    server = LiveServer(full_app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory):
    """A real Oxigraph server holding the shipped graph, put there by `aikg publish`, for the whole session."""
    from oxigraph_server import OxigraphServer

    from aikg.ingest.files import sources
    from aikg.ingest.publish import publish
    from aikg.resources import default_data, default_ontology

    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph")).start()
    publish(sources(default_data(), default_ontology()), server.query_url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def remote_app(oxigraph):
    """The app in remote mode over the session's Oxigraph server (the same data as `full_app`)."""
    return create_app({"ENDPOINT": oxigraph.query_url, "TESTING": True, "QUERY_TIMEOUT": 10.0})


@pytest.fixture()
def remote_client(remote_app):
    return remote_app.test_client()


def _virtuoso_or_fail():
    """Start nothing; fail (never skip) when Virtuoso is missing, unless the explicit local opt-out is set."""
    import virtuoso_server

    if not virtuoso_server.installed():
        message = ("Virtuoso is not installed: run scripts/system-deps virtuoso "
                   f"(or set {virtuoso_server.ALLOW_MISSING}=1 to skip these tests on this machine)")
        if virtuoso_server.allowed_missing():
            pytest.skip(message)
        pytest.fail(message)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """A real Virtuoso 7 holding the shipped graph, put there by `aikg publish`, for the whole session."""
    from virtuoso_server import VirtuosoServer

    from aikg.ingest.files import sources
    from aikg.ingest.publish import publish
    from aikg.resources import default_data, default_ontology

    _virtuoso_or_fail()
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso")).start()
    try:
        publish(sources(default_data(), default_ontology()), server.query_url)
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_app(virtuoso):
    """The app in remote mode over the session's Virtuoso (the same data as `full_app`)."""
    # 60 s: a paper's description walks its author list, about 1 s per 4 nodes on Virtuoso 7.
    return create_app({"ENDPOINT": virtuoso.query_url, "TESTING": True, "QUERY_TIMEOUT": 60.0})


@pytest.fixture()
def virtuoso_client(virtuoso_app):
    return virtuoso_app.test_client()
