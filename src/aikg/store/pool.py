"""Queries in engine processes: the wire protocol, the engine's side and the web tier's side (:class:`PoolStore`).

``aikg serve`` runs no query in a web process. Engine processes (:mod:`aikg.serving.engines` forks them
from the process that loaded the store, so they share it) wait in ``accept()`` on one Unix socket. A web
process connects, sends one request and reads one reply; the kernel hands each connection to an engine
that is free, and holds the others in the socket's backlog, which is the queue: when it is full,
``connect`` fails at once and the client gets 503 with Retry-After, never an unbounded wait. A request
also says when it was sent, and an engine that takes it from the queue after the queue's time limit
answers 503 at once instead of running it.

An engine marks the deadline of the query it runs in a table its supervisor reads; the supervisor kills
an engine past its deadline and forks a fresh one. The web process sees the connection close without a
reply: past the limit that is the time limit's 503, before it an engine crash (500). Either way the
client gets the app's JSON error, and the next query goes to another engine at once.

Answers cross as bytes: the public endpoint's answer already written by the engine in the format asked
for (:meth:`PoolStore.answer`, natively by pyoxigraph), and the app's own queries as SPARQL TSV or
N-Triples, read back into terms by pyoxigraph's parsers (:meth:`PoolStore.query`). Nothing but data
crosses: an engine that a hostile query has broken cannot hand the web tier code to run.

A web process waits on its engine socket through :func:`wait`, which the serving front replaces with a
cooperative wait, so that one web process serves other requests while its queries run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import socket
import struct
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from aikg import errors
from aikg.errors import AikgError, EngineFailure, QueryTimeout, ServiceBusy, StoreUnavailable
from aikg.sparql.query import analyse
from aikg.sparql.values import bind_values
from aikg.store import Answer, Boolean, DatasetInfo, QueryResult, Solutions, Term, Triples
from aikg.store.gate import spent

log = logging.getLogger(__name__)

_HEAD = struct.Struct(">II")  # lengths of the JSON header and of the payload that follows it
#: Seconds past its deadline before an engine is killed, and before a web process stops waiting for one.
GRACE = 0.25
#: How long an engine waits for the request on a connection it accepted (a web process sends it at once).
REQUEST_READ_TIMEOUT = 5.0


# -- waiting for a socket ----------------------------------------------------------------------------

#: wait(fd, writable, seconds) -> whether the socket became ready within `seconds`.
Waiter = Callable[[int, bool, float], bool]


def _poll(fd: int, writable: bool, seconds: float) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLOUT if writable else select.POLLIN)
    return bool(poller.poll(max(0.0, seconds) * 1000))


_waiter: Waiter = _poll


def use_waiter(waiter: Waiter | None) -> None:
    """Make web processes wait for their engine sockets with `waiter` (None: a blocking poll)."""
    global _waiter
    _waiter = waiter or _poll


def wait(fd: int, writable: bool, seconds: float) -> bool:
    """Wait until a socket can be read (or written), at most `seconds`; tell whether it can."""
    return _waiter(fd, writable, seconds)


# -- framing ----------------------------------------------------------------------------------------


def _frame(header: Mapping[str, Any], payload: bytes = b"") -> bytes:
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return _HEAD.pack(len(head), len(payload)) + head + payload


def _split(data: bytes | bytearray) -> tuple[dict[str, Any], bytes]:
    head_len, _ = _HEAD.unpack_from(data)
    start = _HEAD.size
    header = json.loads(bytes(data[start : start + head_len]).decode("utf-8", "surrogatepass"))
    return header, bytes(data[start + head_len :])


def _needed(data: bytearray) -> int:
    if len(data) < _HEAD.size:
        return _HEAD.size
    head_len, body_len = _HEAD.unpack_from(data)
    return _HEAD.size + head_len + body_len


def read_frame(sock: socket.socket) -> tuple[dict[str, Any], bytes]:
    """Read one frame from a blocking socket (the engine's side); EOFError if it closes first."""
    data = bytearray()
    while len(data) < (need := _needed(data)):
        chunk = sock.recv(max(65536, need - len(data)))
        if not chunk:
            raise EOFError
        data += chunk
    return _split(data)


# -- the engine's side ------------------------------------------------------------------------------


class Engine:
    """Serve requests from web processes on accepted connections, one at a time (one engine process).

    `mark(cpu, deadline)` records the process's CPU time when the query being run started and the
    query's deadline (0.0, 0.0 when idle) where the supervisor reads them; `store` is an embedded or
    on-disk store, queried without a time limit of its own.
    """

    def __init__(self, store: Any, mark: Callable[[float, float], None], queue_timeout: float) -> None:
        self.store = store
        self.mark = mark
        self.queue_timeout = queue_timeout

    def handle(self, conn: socket.socket) -> None:
        """Read one request from a connection and send its reply."""
        conn.settimeout(REQUEST_READ_TIMEOUT)
        request, _ = read_frame(conn)
        waited = time.monotonic() - float(request.get("sent") or 0.0)
        if request.get("op") != "info" and waited > self.queue_timeout:
            conn.sendall(_frame({"busy": True, "waited": waited}))
            return
        timeout = float(request.get("timeout") or 0.0)
        began, cpu = time.monotonic(), time.process_time()
        self.mark(cpu, began + timeout + GRACE if timeout else 0.0)
        try:
            header, payload = self._run(request)
        except AikgError as e:
            header, payload = {"error": type(e).__name__, "message": e.message, "details": e.details}, b""
        except Exception:
            log.exception("engine failed on a request")
            header, payload = {"error": "AikgError", "message": "The query engine failed; it has been logged."}, b""
        finally:
            self.mark(0.0, 0.0)
        header["cpu"] = time.process_time() - cpu
        header["wall"] = time.monotonic() - began
        conn.settimeout(None)
        conn.sendall(_frame(header, payload))

    def _run(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        op = request.get("op")
        store = self.store
        if op == "info":
            info = store.info
            return {"version": info.version, "modified": info.modified, "sources": list(info.sources)}, b""
        version = store.info.version
        if op == "answer":
            found = store.answer(
                request["text"], request["fmt"], default_graph=request.get("dg"), named_graphs=request.get("ng"),
                limit=request.get("limit"),
            )
            return {"v": version, "fmt": found.fmt, "truncated": found.truncated, "rows": found.rows}, found.body
        if op == "query":
            return self._query(request, version)
        if op == "dump":
            live = store.live() if hasattr(store, "live") else store  # an on-disk store's version now served
            live.oxi.dump(request["path"], format=ox.RdfFormat.N_QUADS)
            return {"v": version}, b""
        raise errors.BadRequest(f"unknown engine operation {op!r}")

    def _query(self, request: dict[str, Any], version: str) -> tuple[dict[str, Any], bytes]:
        limit = request.get("limit")
        text = request["text"]
        substitutions = {k: ox.BlankNode(v) for k, v in (request.get("bnodes") or {}).items()}
        if limit is not None:
            text = _row_capped(text, limit + 1)
        raw = self.store.raw(text, substitutions or None, request.get("dg"), request.get("ng"))
        if isinstance(raw, ox.QueryBoolean):
            return {"v": version, "kind": "boolean", "value": bool(raw)}, b""
        if isinstance(raw, ox.QuerySolutions):
            body = raw.serialize(format=ox.QueryResultsFormat.TSV)
            return {"v": version, "kind": "solutions"}, body or b""
        body = raw.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
        truncated = False
        if limit is not None and body.count(b"\n") > limit:  # N-Triples: one line a triple
            cut = -1
            for _ in range(limit):
                cut = body.index(b"\n", cut + 1)
            body, truncated = body[: cut + 1], True
        return {"v": version, "kind": "triples", "truncated": truncated}, body


def _row_capped(text: str, rows: int) -> str:
    """Give an app's SELECT an outer LIMIT of `rows`, so that the engine computes no row it will not send."""
    try:
        return analyse(text, max_depth=None).with_row_limit(rows)
    except AikgError:
        return text  # the engine reports what is wrong with it


# -- the web tier's side ----------------------------------------------------------------------------


@dataclass
class PoolSettings:
    """How the web tier uses the engine pool: its socket, time limits, and who admits clients."""

    path: str
    timeout: float  # a query's limit when the caller gives none (the app's own queries)
    queue_timeout: float  # the longest a query waits for a free engine
    retry_after: int  # what a client told "busy" is asked to wait, in seconds
    dynamic: bool = False  # the data can change while serving (an on-disk store followed with --watch)


class PoolStore:
    """A :class:`aikg.store.Store` whose queries run in engine processes (see the module docstring)."""

    read_only = True
    repeat_values = False  # the engines hold an embedded or on-disk store
    cache_scope = ""  # a local store: one per process

    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self.timeout = settings.timeout
        self._info: DatasetInfo | None = None
        self._checked = float("-inf")

    # -- the Store interface ---------------------------------------------------------------------

    @property
    def info(self) -> DatasetInfo:
        """Return what identifies the data served (asked of an engine, again every second if it can change)."""
        info = self._info
        if info is None or (self.settings.dynamic and time.monotonic() - self._checked > 1.0):
            header, _ = self._call({"op": "info"}, self.timeout)
            info = DatasetInfo(header["version"], header["modified"], tuple(header.get("sources") or ()))
            self._info, self._checked = info, time.monotonic()
        return info

    def query(
        self,
        text: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> QueryResult:
        """Run a SPARQL query in an engine and read its answer back as terms."""
        request: dict[str, Any] = {"op": "query", "limit": limit, "dg": _list(default_graph),
                                   "ng": _list(named_graphs)}
        if substitutions:
            bound = {k: t for k, t in substitutions.items() if isinstance(t, (ox.NamedNode, ox.Literal))}
            if bound:
                text = bind_values(text, bound)  # planned as a join (see aikg.sparql.values)
            request["bnodes"] = {k: t.value for k, t in substitutions.items() if isinstance(t, ox.BlankNode)}
        request["text"] = text
        header, payload = self._call(request, timeout or self.timeout)
        self._seen(header)
        kind = header.get("kind")
        if kind == "boolean":
            return Boolean(bool(header["value"]))
        if kind == "triples":
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(payload, ox.RdfFormat.N_TRIPLES)]
            return Triples(triples, bool(header.get("truncated")))
        return _solutions(payload, limit)

    def answer(
        self,
        text: str,
        fmt: str,
        *,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limit: int | None = None,
        volatile: bool | None = None,
    ) -> Answer:
        """Run a SPARQL query in an engine, which writes the answer in `fmt` itself."""
        request = {"op": "answer", "text": text, "fmt": fmt, "limit": limit, "dg": _list(default_graph),
                   "ng": _list(named_graphs)}
        header, payload = self._call(request, timeout or self.timeout)
        self._seen(header)
        return Answer(payload, header["fmt"], bool(header.get("truncated")), header.get("rows"))

    def quads(self) -> Iterator[ox.Quad]:
        """Iterate over every quad: an engine writes them to a temporary file, read back as it goes."""
        fd, path = tempfile.mkstemp(prefix="aikg-quads-", suffix=".nq")
        os.close(fd)
        try:
            self._call({"op": "dump", "path": path}, max(self.timeout, 3600.0))
            yield from ox.parse(path=path, format=ox.RdfFormat.N_QUADS)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def graph_names(self) -> list[str]:
        """Return the IRIs of the named graphs held."""
        result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        assert isinstance(result, Solutions)
        return sorted(r[0].value for r in result.rows if isinstance(r[0], ox.NamedNode))

    def close(self) -> None:
        """Nothing is held open between queries."""

    # -- one request -----------------------------------------------------------------------------

    def _seen(self, header: dict[str, Any]) -> None:
        version = header.get("v")
        info = self._info
        if version and info is not None and version != info.version:
            self._checked = float("-inf")  # an engine answered from a newer version: read its info again

    def _call(self, request: dict[str, Any], timeout: float) -> tuple[dict[str, Any], bytes]:
        """Send one request to an engine and read its reply."""
        settings = self.settings
        sent = time.monotonic()
        request["sent"] = sent
        request["timeout"] = timeout
        deadline = sent + settings.queue_timeout + timeout + 2 * GRACE
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            try:
                sock.connect(settings.path)
            except BlockingIOError:
                raise self._busy("every query engine is busy and the queue is full") from None
            except (FileNotFoundError, ConnectionRefusedError):
                raise StoreUnavailable("The query engines are not running; try again in a moment.") from None
            try:
                _send_all(sock, _frame(request), deadline)
                header, payload = _read_all(sock, deadline)
            except EOFError:
                raise self._lost(sent, timeout) from None
            except TimeoutError:
                raise self._busy("no query engine answered in time") from None
        finally:
            sock.close()
        if header.get("busy"):
            raise self._busy(f"the query waited {settings.queue_timeout:g} s for a free engine")
        spent.set(float(header.get("wall") or 0.0))
        error = header.get("error")
        if error:
            raise _error(error, header.get("message") or "", header.get("details"))
        return header, payload

    def _busy(self, why: str) -> ServiceBusy:
        retry = self.settings.retry_after
        return ServiceBusy(
            f"The server is busy: {why}. Try again in {retry} s.", retry_after=retry, details={"retry_after": retry}
        )

    def _lost(self, sent: float, timeout: float) -> AikgError:
        """The engine closed the connection without a reply: killed at the time limit, or crashed."""
        if time.monotonic() - sent >= timeout:
            return QueryTimeout.after(timeout)
        log.warning("an engine died while answering a query")
        return EngineFailure(
            "The query engine stopped while answering this query (its process crashed) and has been replaced; "
            "the query was not answered. Other queries are not affected."
        )


def _list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def _error(name: str, message: str, details: object) -> AikgError:
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, AikgError)) or name in ("TooManyRequests", "ServiceBusy"):
        cls = AikgError
    return cls(message, details=details)


def _solutions(payload: bytes, limit: int | None) -> Solutions:
    """Read SPARQL TSV back into rows of terms, keeping at most `limit` rows."""
    parsed = ox.parse_query_results(payload, format=ox.QueryResultsFormat.TSV)
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    width = len(names)
    rows: list[tuple[Term | None, ...]] = []
    append = rows.append
    for solution in parsed:
        if limit is not None and len(rows) >= limit:
            return Solutions(names, rows, True)
        append(tuple(solution[i] for i in range(width)))
    return Solutions(names, rows, False)


def _send_all(sock: socket.socket, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except BlockingIOError:
            if not wait(sock.fileno(), True, deadline - time.monotonic()):
                raise TimeoutError from None
            continue
        except (BrokenPipeError, ConnectionResetError):
            raise EOFError from None
        view = view[sent:]


def _read_all(sock: socket.socket, deadline: float) -> tuple[dict[str, Any], bytes]:
    data = bytearray()
    while len(data) < (need := _needed(data)):
        try:
            chunk = sock.recv(max(65536, need - len(data)))
        except BlockingIOError:
            if not wait(sock.fileno(), False, deadline - time.monotonic()):
                raise TimeoutError from None
            continue
        except ConnectionResetError:
            raise EOFError from None
        if not chunk:
            raise EOFError
        data += chunk
    return _split(data)
