"""The production server: gunicorn's sync workers over one app that is built, loaded and validated once.

The app is built in the master before any worker exists (gunicorn's preload_app), so invalid data stops
the server before it listens and every worker forks with the graph already in memory, and with the
search index, the timeline and the home page's counts already built (at a million triples these take
seconds, which each worker would otherwise spend on its first page).

A sync worker serves one request at a time, so its queries run in the request's own thread, watched by a
deadline thread (``aikg.store.embedded.run_inline``): handing each query to another thread, as a
multi-threaded server must, would cost a third of a trivial query's time. The engine cannot stop a
query, so when one passes its limit the watchdog answers the client itself (the app's own 503 response,
rendered for that request) and ends the worker; the arbiter forks a fresh one from the preloaded app.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from aikg.config import Settings, load_config
from aikg.errors import AikgError, QueryTimeout
from aikg.graph import home, search, timeline
from aikg.store import Store
from aikg.store.embedded import run_inline
from aikg.store.remote import RemoteStore
from aikg.web.app import create_app
from aikg.web.handlers import error_response
from aikg.web.http import get_store

log = logging.getLogger(__name__)

#: The app, and the request a worker is serving, for the answer to a query that overran its limit.
_serving: dict[str, Any] = {}


def default_workers() -> int:
    """Return the default number of worker processes: one per core (queries are CPU-bound), at least two."""
    return max(2, os.cpu_count() or 1)


def build_app(overrides: Mapping[str, Any]) -> Flask:
    """Build the app (loading and validating the data) and the caches its workers will share."""
    app = create_app(overrides)
    warm(get_store(app))
    return app


#: How long the queries that build the caches may take on a remote store, once, before any request:
#: on millions of triples they pass the limit set for a visitor's query.
WARM_TIMEOUT = 600.0


def warm(store: Store) -> None:
    """Build what the pages compute once per data version, so that forked workers share it.

    Over a remote store the queries get WARM_TIMEOUT, and the pooled connections are closed afterwards
    so that no two workers share a socket. If the remote store cannot answer, the server still starts
    and the pages build what they need on first use.
    """
    began = time.perf_counter()
    remote = store if isinstance(store, RemoteStore) else None
    limit = remote.timeout if remote else 0.0
    try:
        if remote:
            remote.timeout = max(limit, WARM_TIMEOUT)
        search.index(store)
        timeline.timeline(store)
        home.stats(store)
    except AikgError as e:
        if remote is None:
            raise
        log.warning("the pages' caches were not built before serving (%s); the first pages build them", e)
        return
    finally:
        if remote:
            remote.timeout = limit
            remote.close()
    log.info("search index, timeline and counts built in %.1f s", time.perf_counter() - began)


def _recording(app: Flask) -> Callable[[dict[str, Any], Any], Any]:
    """Wrap the app so that the worker knows which request it is serving."""
    _serving["app"] = app

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        _serving["environ"] = environ
        return app(environ, start_response)

    return wsgi


def _post_fork(server: Any, worker: Any) -> None:
    run_inline(_answer_and_exit)


def _answer_and_exit(error: QueryTimeout) -> None:
    """From the watchdog thread: send the app's 503 for the request being served, then end the worker."""
    app: Flask = _serving["app"]
    environ = _serving.get("environ") or {}
    try:
        with app.request_context(environ):
            response = app.process_response(error_response(error.status_code, error.title, error.message))
            head = [f"HTTP/1.1 {response.status}"]
            head += [f"{k}: {v}" for k, v in response.get_wsgi_headers(environ).items() if k.lower() != "connection"]
            head.append("Connection: close")
            environ["gunicorn.socket"].sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.get_data())
    except Exception:  # the client may be gone; the worker must end all the same
        log.exception("could not answer the query that overran its limit")
    log.warning("worker %s retires: it holds a query past its limit", os.getpid())
    logging.shutdown()
    os._exit(0)


def _worker_exit(server: Any, worker: Any) -> None:
    """End a stopping worker without the interpreter's teardown: a worker forked from a process that had
    opened a store (RocksDB's threads, a connection pool) crashes there with SIGSEGV or SIGABRT."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _when_ready(announce: Callable[[str], None]) -> Callable[[Any], None]:
    def when_ready(server: Any) -> None:
        for listener in server.LISTENERS:
            host, port = listener.sock.getsockname()[:2]
            url = f"http://{host}:{port}/" if ":" not in host else f"http://[{host}]:{port}/"
            announce(f"aikg is serving {url} (SPARQL endpoint: {url}sparql). Press Ctrl+C to stop.")

    return when_ready


class AikgServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving an app that was built before the server starts."""

    def __init__(self, app: Flask, options: Mapping[str, Any]) -> None:
        self.application = app
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable[[dict[str, Any], Any], Any]:
        return _recording(self.application)


def server_options(
    settings: Settings, *, host: str, port: int, workers: int, announce: Callable[[str], None]
) -> dict[str, Any]:
    """Return gunicorn's settings: sync workers, preloaded app, a worker timeout above the query timeout."""
    query_timeout = settings.query_timeout or 30.0
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": "sync",
        "preload_app": True,
        # gunicorn kills a worker silent for this long; a query is stopped well before.
        "timeout": int(query_timeout) + 30,
        "graceful_timeout": 10,
        "keepalive": 2,
        # Long GET queries: the query size limit (413) is ours to enforce, not the request line's.
        "limit_request_line": 0,
        "post_fork": _post_fork,
        "worker_exit": _worker_exit,
        "when_ready": _when_ready(announce),
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "aikg",
    }


def serve(
    overrides: Mapping[str, Any],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Validate and load the data, then serve it with gunicorn until stopped."""
    settings = load_config(overrides)
    app = build_app(overrides)
    say = announce or (lambda line: print(line, flush=True))
    options = server_options(settings, host=host, port=port, workers=workers or default_workers(), announce=say)
    # gunicorn parses sys.argv unless told otherwise; the CLI has already read it.
    argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        AikgServer(app, options).run()
    finally:
        sys.argv = argv
