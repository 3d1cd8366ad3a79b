"""The production server: gunicorn's sync workers over one app that is built, loaded and validated once.

The app is built in the master before any worker exists (gunicorn's preload_app), so invalid data stops
the server before it listens and every worker forks with the graph already in memory, and with the
search index, the timeline and the home page's counts already built (at a million triples these take
seconds, which each worker would otherwise spend on its first page).

A query past its time limit is abandoned by the store, which cannot stop it (the engine has no
cancellation): the runaway keeps a core busy. The store's ``on_abandon`` hook marks the worker, and
gunicorn's ``post_request`` hook retires it once the 503 has been sent; the arbiter forks a fresh worker
from the preloaded app, and the process holding the runaway query exits.
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

from aikg import home, search, timeline
from aikg.app import create_app, get_store
from aikg.config import load_config
from aikg.store import Store

log = logging.getLogger(__name__)

#: Set in a worker when its store abandons a query; the worker retires after the current response.
_retire = {"now": False}


def default_workers() -> int:
    """Return the default number of worker processes: one per core (queries are CPU-bound), at least two."""
    return max(2, os.cpu_count() or 1)


def build_app(overrides: Mapping[str, Any]) -> Flask:
    """Build the app (loading and validating the data) and hook worker retirement onto its store."""
    app = create_app(overrides)
    store = get_store(app)
    hooks = getattr(store, "on_abandon", None)
    if isinstance(hooks, list):
        hooks.append(_mark_for_retirement)
        warm(store)  # an embedded store; a remote one is left to its workers (no connection before fork)
    return app


def warm(store: Store) -> None:
    """Build what the pages compute once per data version, so that forked workers share it."""
    began = time.perf_counter()
    search.index(store)
    timeline.timeline(store)
    home.stats(store)
    log.info("search index, timeline and counts built in %.1f s", time.perf_counter() - began)


def _mark_for_retirement() -> None:
    _retire["now"] = True


def _post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """Retire a worker whose store abandoned a query, now that the response has been sent."""
    if _retire["now"]:
        _retire["now"] = False
        log.warning("worker %s retires: it holds an abandoned query", os.getpid())
        worker.alive = False


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

    def load(self) -> Flask:
        return self.application


def server_options(
    settings: Mapping[str, Any], *, host: str, port: int, workers: int, announce: Callable[[str], None]
) -> dict[str, Any]:
    """Return gunicorn's settings: sync workers, preloaded app, a worker timeout above the query timeout."""
    query_timeout = float(settings.get("QUERY_TIMEOUT") or 0) or 30.0
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
        "post_request": _post_request,
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
