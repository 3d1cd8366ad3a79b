"""The HTTP front: granian reads every byte of a request before the app sees it; the app never waits on a client.

granian (a Rust HTTP server) parses request lines and headers as bytes arrive, with a limit on their size
(431 past it, before any Python runs) and a limit on the time to send them, which also closes idle
keep-alive connections. Its WSGI interface, though, calls the app as soon as the headers are in and
lets the app read the body from the socket: a client sending its body slowly holds a Python thread for
as long as it likes (two such clients froze a two-thread worker, measured). So the front is an RSGI
application: it reads the body itself, asynchronously, within a size limit checked as bytes arrive and
a time limit, and only then calls the WSGI app, with the whole body in memory. A request refused here
(413, 408, a bad Content-Length) is still answered by the app, so that it has the app's error shape.

The app runs in a greenlet on the worker's event loop. Its only long waits are for engine processes
(:mod:`aikg.store.pool`), and those are cooperative: the greenlet hands the wait to the loop, which
serves other requests meanwhile and switches back when the engine's socket is ready. Everything else
(routing, templates, writing an answer) is short CPU work. Without an engine pool (a remote store,
whose client blocks), the app runs on a small thread pool instead.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import greenlet

from aikg.store import pool
from aikg.web.handlers import REFUSED

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Wait:
    """What a request's greenlet hands to the loop: wait for this socket, at most this long."""

    __slots__ = ("fd", "writable", "seconds")

    def __init__(self, fd: int, writable: bool, seconds: float) -> None:
        self.fd = fd
        self.writable = writable
        self.seconds = seconds


class _FileWrapper:
    """wsgi.file_wrapper: lets the front hand a file to granian, which sends it without Python."""

    def __init__(self, file: Any, block_size: int = 1 << 16) -> None:
        self.file = file
        self.block_size = block_size

    def __iter__(self) -> Any:
        return iter(lambda: self.file.read(self.block_size), b"")

    def close(self) -> None:
        self.file.close()


class Front:
    """An RSGI application that serves a WSGI app once each request has been read in full."""

    def __init__(self, app: WSGIApp, *, max_body: int, body_timeout: float, threads: int = 0) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._base: dict[str, Any] = {
            "SCRIPT_NAME": "",
            "wsgi.version": (1, 0),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": bool(threads),
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
            "wsgi.file_wrapper": _FileWrapper,
            "SERVER_SOFTWARE": "aikg",
        }

    # -- RSGI ------------------------------------------------------------------------------------

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Set the worker up (called by granian in each worker process, after the fork)."""
        self.loop = loop
        if self.threads:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="aikg-app")
        else:
            pool.use_waiter(_cooperative_wait)

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        """Read the request, run the app, send its response."""
        environ = dict(self._base)
        refused = None
        body = b""
        headers = scope.headers
        length = headers.get("content-length")
        if length is not None or "transfer-encoding" in headers:
            try:
                body = await self._body(proto, length, chunked="transfer-encoding" in headers)
            except _Refused as e:
                refused = (e.status, e.message)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body)) if body else ""
        if refused:
            environ[REFUSED] = refused
        self._fill(environ, scope)
        if self._executor is not None:
            status, head, result = await self.loop.run_in_executor(self._executor, self._call, environ)
        else:
            status, head, result = await self._in_greenlet(environ)
        await self._respond(proto, status, head, result)

    # -- the request -----------------------------------------------------------------------------

    async def _body(self, proto: Any, length: str | None, *, chunked: bool) -> bytes:
        if length is not None:
            if not length.isdigit():
                raise _Refused(400, "The Content-Length header is not a number.")
            if int(length) > self.max_body:
                raise _Refused(413, f"The request body is longer than the limit of {self.max_body} bytes.")
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                if length is not None and not chunked:
                    # A body of a stated length within the limit (and no chunked framing, which would override
                    # the length): granian reads exactly that much, in one await.
                    return bytes(await proto())
                async for chunk in proto:
                    size += len(chunk)
                    if size > self.max_body:
                        raise _Refused(413, f"The request body is longer than the limit of {self.max_body} bytes.")
                    chunks.append(chunk)
        except TimeoutError:
            raise _Refused(408, f"The request body did not arrive within {self.body_timeout:g} s.") from None
        return b"".join(chunks)

    @staticmethod
    def _fill(environ: dict[str, Any], scope: Any) -> None:
        environ["REQUEST_METHOD"] = scope.method
        # WSGI strings are bytes as latin-1; granian gives the path percent-decoded from UTF-8, with U+FFFD
        # for bytes that are not UTF-8 (it keeps no raw path), so that mark is the one sign of invalid UTF-8.
        path = scope.path
        environ["PATH_INFO"] = path.encode("utf-8", "surrogateescape").decode("latin-1")
        if "\ufffd" in path and REFUSED not in environ:
            environ[REFUSED] = (400, "The URL's path is not valid UTF-8 (the server read a byte sequence that is "
                                     "not a character). Send text encoded as UTF-8 (percent-encoded in a URL).")
        environ["QUERY_STRING"] = scope.query_string
        environ["SERVER_PROTOCOL"] = "HTTP/" + scope.http_version
        environ["wsgi.url_scheme"] = scope.scheme
        host, _, port = scope.server.rpartition(":")
        environ["SERVER_NAME"] = host.strip("[]")
        environ["SERVER_PORT"] = port
        client, _, client_port = scope.client.rpartition(":")
        environ["REMOTE_ADDR"] = client.strip("[]")
        environ["REMOTE_PORT"] = client_port
        for name, value in scope.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_LENGTH":
                continue  # the body as read
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value

    # -- the app ---------------------------------------------------------------------------------

    def _call(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], Any]:
        """Call the WSGI app; return its status, headers and body (bytes, or an iterable to stream)."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [int(status[:3]), headers]
            return _no_write

        result = self.app(environ, start_response)
        if isinstance(result, list | tuple):
            body: Any = b"".join(result)
        elif isinstance(result, _FileWrapper):
            body = result
        else:
            # Flask wraps even a body held in memory in an iterator (to call its close hooks): an answer of one
            # chunk is sent as bytes in one write, and only a longer iterable is streamed.
            chunks = iter(result)
            try:  # a generator may call start_response on its first step
                first = next(chunks, None)
                second = None if first is None else next(chunks, None)
            except BaseException:
                _close(result)
                raise
            if first is None or second is None:
                _close(result)
                body = first or b""
            else:
                body = _Stream((first, second), chunks, result)
        return started[0], started[1], body

    async def _in_greenlet(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], Any]:
        request = _Request(self._call)
        value = request.switch(environ)
        while not request.dead:
            wait: _Wait = value
            try:
                ready = await self._ready(wait)
            except BaseException as e:
                value = request.throw(e)
            else:
                value = request.switch(ready)
        return value  # type: ignore[no-any-return]

    async def _ready(self, wait: _Wait) -> bool:
        loop = self.loop
        future: asyncio.Future[bool] = loop.create_future()

        def done(value: bool) -> None:
            if not future.done():
                future.set_result(value)

        if wait.writable:
            loop.add_writer(wait.fd, done, True)
        else:
            loop.add_reader(wait.fd, done, True)
        timer = loop.call_later(max(0.0, wait.seconds), done, False)
        try:
            return await future
        finally:
            timer.cancel()
            if wait.writable:
                loop.remove_writer(wait.fd)
            else:
                loop.remove_reader(wait.fd)

    async def _respond(self, proto: Any, status: int, headers: list[tuple[str, str]], body: Any) -> None:
        if isinstance(body, bytes):
            proto.response_bytes(status, headers, body)
            return
        if isinstance(body, _FileWrapper) and status == 200 and isinstance(getattr(body.file, "name", None), str):
            path = body.file.name
            body.close()
            proto.response_file(status, headers, path)
            return
        transport = proto.response_stream(status, headers)
        try:
            for chunk in body:
                if chunk:
                    await transport.send_bytes(chunk)
        finally:
            _close(body)


class _Request(greenlet.greenlet):  # type: ignore[misc]
    """The greenlet a request's app call runs in; its waits for engines go back to the loop."""


def _cooperative_wait(fd: int, writable: bool, seconds: float) -> bool:
    current = greenlet.getcurrent()
    if isinstance(current, _Request):
        return bool(current.parent.switch(_Wait(fd, writable, seconds)))
    return pool._poll(fd, writable, seconds)  # called outside a request (warming caches, a thread)


class _Stream:
    """An app's iterable response whose first chunks were already taken."""

    def __init__(self, taken: tuple[bytes, ...], rest: Iterable[bytes], result: Iterable[bytes]) -> None:
        self.taken = taken
        self.rest = rest
        self.result = result

    def __iter__(self) -> Any:
        yield from self.taken
        yield from self.rest

    def close(self) -> None:
        _close(self.result)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _close(result: object) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _no_write(data: bytes) -> None:
    raise RuntimeError("the write() callable of WSGI is not supported; return the body instead")
