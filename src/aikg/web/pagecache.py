"""Whole responses kept per data version: a page asked again costs no engine and no template.

The data never changes within a version, so neither does a page the app marked publicly cacheable: a 200 to
GET with ``Cache-Control: public`` and a strong ETag, held in memory (not streamed) and setting no cookie.
Such a response is kept under the data version, the store's cache scope, the path and query string, and the
values of the request headers its ``Vary`` names, which is how a shared HTTP cache keys it (RFC 9111 §4.1):
a page that depends on Accept (or on Host, where no base URL is configured) is kept once per value. A later
GET or HEAD that matches is answered from memory before any view runs, as a 304 when its If-None-Match holds
the ETag. Answers to queries whose result may change from run to run are ``no-store`` and never kept.

Each web process has its own cache, bounded in bytes (least recently used first out); a response larger
than an eighth of the bound is never kept. ``aikg serve`` turns it on (``PAGE_CACHE_BYTES``); an app built
by :func:`aikg.web.app.create_app` alone has none, so tests and the development server see every view run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request

from aikg.errors import AikgError
from aikg.web.handlers import REFUSED
from aikg.web.http import get_store

EXTENSION = "aikg.pages"
_ENTRY = 300  # bytes an entry costs beyond its body and headers


@dataclass
class PageCacheStats:
    """What the page cache holds and how it has done."""

    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int


class PageCache:
    """The bounded store of whole responses (see the module docstring)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        #: What each URL's responses vary on, and how many of them are kept (the URL goes with its last one).
        self._vary: dict[tuple[Any, ...], tuple[tuple[str, ...], int]] = {}
        self._entries: OrderedDict[tuple[Any, ...], _Kept] = OrderedDict()
        self._bytes = 0
        self._hits = self._misses = 0
        self._lock = threading.Lock()

    @property
    def stats(self) -> PageCacheStats:
        """Return the cache's size and hit counts."""
        return PageCacheStats(len(self._entries), self._bytes, self.max_bytes, self._hits, self._misses)

    def recall(self, url: tuple[Any, ...], headers: Any) -> _Kept | None:
        """Return what is kept for a URL and the request's headers, if anything."""
        with self._lock:
            known = self._vary.get(url)
            key = None if known is None else (url, tuple(headers.get(n, "") for n in known[0]))
            kept = None if key is None else self._entries.get(key)
            if kept is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)  # type: ignore[arg-type]
            self._hits += 1
            return kept

    def keep(self, url: tuple[Any, ...], names: tuple[str, ...], headers: Any, status: int,
             head: list[tuple[str, str]], body: bytes) -> None:
        """Keep a response for a URL, under the values of the request headers its Vary names."""
        size = _ENTRY + len(body) + sum(len(k) + len(v) for k, v in head)
        if size > self.max_bytes // 8:
            return
        key = (url, tuple(headers.get(n, "") for n in names))
        with self._lock:
            known = self._vary.get(url)
            if known is not None and known[0] != names:  # the URL's answers now vary on other headers
                for old in [k for k in self._entries if k[0] == url]:
                    self._remove(old)
            self._remove(key)
            names_now, count = self._vary.get(url, (names, 0))
            self._vary[url] = (names_now, count + 1)
            self._entries[key] = _Kept(status, head, body, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                self._remove(next(iter(self._entries)))

    def _remove(self, key: tuple[Any, ...]) -> None:
        kept = self._entries.pop(key, None)
        if kept is None:
            return
        self._bytes -= kept.size
        names, count = self._vary[key[0]]
        if count <= 1:
            del self._vary[key[0]]
        else:
            self._vary[key[0]] = (names, count - 1)

    def clear(self) -> None:
        """Forget every page."""
        with self._lock:
            self._entries.clear()
            self._vary.clear()
            self._bytes = 0


@dataclass(frozen=True)
class _Kept:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    size: int


def install(app: Flask, max_bytes: int) -> PageCache | None:
    """Give an app a page cache of `max_bytes` per process (0: none)."""
    if max_bytes <= 0:
        app.extensions.pop(EXTENSION, None)
        return None
    cache = PageCache(max_bytes)
    app.extensions[EXTENSION] = cache
    return cache


def _url() -> tuple[Any, ...] | None:
    """The first part of a request's key: data version, store scope, path and query string (5 items)."""
    store = get_store()
    try:
        version = store.info.version
    except AikgError:
        return None  # a store that cannot say its version: nothing is kept or given back
    return ("page", version, store.cache_scope, request.path, request.query_string)


def answer_from_cache() -> Response | None:
    """Answer a GET or HEAD from the page cache, before any view (a before-request hook)."""
    cache: PageCache | None = current_app.extensions.get(EXTENSION)
    if cache is None or request.method not in ("GET", "HEAD") or REFUSED in request.environ:
        return None  # a request the front refused (its body too long or too slow) gets its error
    url = _url()
    if url is None:
        return None
    kept = cache.recall(url, request.headers)
    if kept is None:
        g.aikg_page_url = url
        return None
    g.aikg_page_kept = True
    response = Response(kept.body, status=kept.status, headers=kept.headers)
    etag, _ = response.get_etag()
    if etag and request.if_none_match.contains_weak(etag):
        response = Response(status=304, headers=[(k, v) for k, v in kept.headers if k.lower() not in
                                                 ("content-type", "content-length")])
    return response


def keep_in_cache(response: Response) -> Response:
    """Keep a publicly cacheable answer to a GET (an after-request hook that must run after every other)."""
    cache: PageCache | None = current_app.extensions.get(EXTENSION)
    url = g.get("aikg_page_url")
    if cache is None or url is None or g.get("aikg_page_kept") or request.method != "GET":
        return response
    if response.status_code != 200 or response.is_streamed or response.direct_passthrough:
        return response
    control = response.cache_control
    etag, weak = response.get_etag()
    if not control.public or control.no_store or not etag or weak or "Set-Cookie" in response.headers:
        return response
    names = tuple(sorted(h.lower() for h in response.vary))
    if "*" in names:
        return response
    cache.keep(url, names, request.headers, response.status_code, list(response.headers.items()),
               response.get_data())
    return response
