"""The production server: granian's HTTP front, web processes that never run a query, and engine processes.

Process model (README, "Serving"):

- the main process forks the engine supervisor first (:mod:`aikg.serving.engines`), which loads and
  validates the data and forks the engines; invalid data stops the server here, before it listens;
- the main process then builds the app over a :class:`~aikg.store.pool.PoolStore` (queries go to the
  engines), behind the fair share gate and the result cache, builds the pages' caches once through the
  engines, and hands the app to granian, which forks the web processes from it: they share the caches;
- each web process runs granian's Rust HTTP server and :class:`~aikg.serving.front.Front`, which reads
  every request in full before the app sees it and runs the app in greenlets whose engine waits are
  cooperative; a slow client or a runaway query holds neither a web process nor a thread.

Over a remote store there are no engines: the remote store's own time limit applies, the app runs on a
small thread pool in each web process (its HTTP client blocks), and fair share and the cache still apply.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import multiprocessing
import os
import resource
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from aikg.config import Limits, Settings, load_config
from aikg.errors import AikgError
from aikg.graph import home, paths, search, timeline, trends
from aikg.ingest.load import open_store
from aikg.serving.engines import EnginePool, PoolOptions
from aikg.serving.engines import start as start_engines
from aikg.serving.front import Front
from aikg.serving.share import FairShare
from aikg.store import Store
from aikg.store.gate import GatedStore
from aikg.store.pool import PoolSettings, PoolStore
from aikg.store.remote import RemoteStore
from aikg.store.resultcache import CachedStore
from aikg.web import pagecache
from aikg.web.app import create_app

log = logging.getLogger(__name__)

#: How long the queries that build the pages' caches may take, once, before any request: on millions of
#: triples they pass the limit set for a visitor's query.
WARM_TIMEOUT = 600.0
#: Threads per web process that run the app over a remote store (whose client blocks).
REMOTE_THREADS = 8


def default_workers() -> int:
    """Return the default number of web processes: one per core, at least two."""
    return max(2, os.cpu_count() or 1)


@dataclass
class Served:
    """What `aikg serve` runs: the app, its engine pool (None over a remote store) and their folder."""

    app: Flask
    store: Store
    pool: EnginePool | None
    folder: Path

    def stop(self) -> None:
        """Stop the engines and remove the folder of their socket and of the fair share table."""
        if self.pool is not None:
            self.pool.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def build(overrides: Mapping[str, Any] | Settings) -> Served:
    """Start the engines (loading and validating the data), build the app over them, and warm its caches."""
    settings = overrides if isinstance(overrides, Settings) else load_config(overrides)
    limits = Limits.from_settings(settings)
    pool: EnginePool | None = None
    inner: Store
    if settings.endpoint:
        inner = open_store(settings)
        folder = Path(tempfile.mkdtemp(prefix="aikg-serve-"))
    else:
        options = PoolOptions(limits.engines, limits.queue, limits.queue_timeout,
                              max_private_mb=limits.engine_memory_mb, long_query=limits.long_query)
        # An on-disk store is opened by each engine after the fork (RocksDB's threads do not survive one).
        pool = start_engines(functools.partial(open_store, settings), options, in_engines=bool(settings.store))
        folder = pool.folder
        retry = max(1, round(min(limits.queue_timeout, limits.query_timeout)))
        inner = PoolStore(PoolSettings(pool.path, limits.query_timeout, limits.queue_timeout, retry,
                                       dynamic=settings.watch))
    try:
        if pool is not None:
            inner.info  # noqa: B018  # an engine that cannot open the store says so now, before serving
        # A remote store that is down or does not match its publication record is not a reason not to start:
        # the server answers 503 (and logs why) until the store is whole again, and its checks say when.
        # A query stopped at the limit is charged at most the limit; a count left by a dead process goes stale.
        share = FairShare(folder, budget=limits.client_budget, concurrent=limits.client_queries,
                          stale_after=limits.query_timeout + limits.queue_timeout + 30.0)
        store: Store = GatedStore(inner, share)
        if limits.cache_bytes:
            store = CachedStore(store, limits.cache_bytes)
        app = create_app(settings, store=store)
        pagecache.install(app, limits.page_cache_bytes)
        warm(store, inner)
    except BaseException:
        if pool is not None:
            pool.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Served(app, store, pool, folder)


def warm(store: Store, inner: Store | None = None) -> None:
    """Build what the pages compute once per data version, so that forked web processes share it.

    The queries get WARM_TIMEOUT; a remote store's pooled connections are closed afterwards so that no
    two processes share a socket. If a remote store cannot answer, the server still starts and the pages
    build what they need on first use.
    """
    began = time.perf_counter()
    target = inner if inner is not None else store
    limit = getattr(target, "timeout", None)
    remote = isinstance(target, RemoteStore)
    try:
        if limit is not None:
            target.timeout = max(limit, WARM_TIMEOUT)  # type: ignore[attr-defined]
        search.index(store)
        timeline.timeline(store)
        home.stats(store)
        paths.edges_of(store, ())  # the explorer's index of links (about a second on the shipped graph)
        for metric in ("compute", "parameters"):
            trends.trends(store, metric)
    except AikgError as e:
        if not remote:
            raise
        log.warning("the pages' caches were not built before serving (%s); the first pages build them", e)
        return
    finally:
        if limit is not None:
            target.timeout = limit  # type: ignore[attr-defined]
        if remote:
            target.close()
    log.info("search index, timeline, counts, links and trends built in %.1f s", time.perf_counter() - began)


def _raise_open_files() -> int:
    """Raise this process's limit on open files to the hard limit (each connection holds one); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def serve(
    overrides: Mapping[str, Any],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Validate and load the data, start the engines, then serve with granian until stopped."""
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.server import Server

    settings = load_config(overrides)
    limits = Limits.from_settings(settings)
    say = announce or (lambda line: print(line, flush=True))
    workers = workers or default_workers()
    # granian forks its workers from this process when the start method is fork, which is what lets them
    # share the app and its caches; Python 3.14 changes the default on Linux.
    multiprocessing.set_start_method("fork", force=True)
    files = _raise_open_files()
    # Each idle connection costs a file and a little memory, never a thread; it is closed after HEADER_TIMEOUT.
    connections = max(64, min(4096, files // (workers + 1) - 64))
    served = build(settings)
    try:
        front = Front(served.app, max_body=limits.max_body, body_timeout=limits.body_timeout,
                      threads=0 if served.pool is not None else REMOTE_THREADS)
        port = port or _free_port(host)
        server = Server(
            "aikg", address=host, port=port, interface=Interfaces.RSGI, workers=workers, http=HTTPModes.http1,
            backlog=max(128, 2 * connections), backpressure=connections, websockets=False,
            http1_settings=HTTP1Settings(header_read_timeout=int(limits.header_timeout * 1000),
                                         max_buffer_size=limits.max_header),
            loop=Loops.uvloop if importlib.util.find_spec("uvloop") else Loops.asyncio,  # see the README's table
            respawn_failed_workers=True, workers_kill_timeout=10, log_level="warning",  # type: ignore[arg-type]
        )
        url = f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
        server.on_startup(lambda: say(f"aikg is serving {url} (SPARQL endpoint: {url}sparql). Press Ctrl+C to stop."))
        server.serve(target_loader=lambda *args, **kwargs: front, wrap_loader=False)  # type: ignore[arg-type, return-value]
    finally:
        served.stop()
