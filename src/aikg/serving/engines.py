"""The engine processes: a supervisor that holds the loaded store and forks the engines that run queries.

``aikg serve`` forks the supervisor before anything else. The supervisor loads (and validates) the data,
so the store lives in it, freezes what Python holds (``gc.freeze``: no page written by the collector
after a fork), and forks the engines, which share the store's memory copy-on-write. It stays
single-threaded, because it forks, and does four things in a loop: it kills an engine whose query
passed its deadline, lowers the priority of an engine whose query has used much processor time
(``long_query``), so that a few runaways cannot starve the pages and cheap queries of processor time while
they last, reaps every engine that ended (killed, crashed or retired) and forks a fresh one in its place.
A slowed engine sets itself back to full priority after its query where the system allows it (root, or
CAP_SYS_NICE), and retires otherwise. An on-disk store is opened by each engine after the fork instead
(RocksDB's threads do not survive a fork).

Each engine first moves into a network namespace of its own (``unshare(CLONE_NEWNET)``, with a user
namespace when not root), where no interface but a down loopback exists: whatever the query says, an
engine cannot open a connection. Where the kernel refuses namespaces (some containers, non-Linux
systems) the engines run without that wall and the log says so; SERVICE is still refused before any
engine sees a query.

An engine retires after serving a number of requests, or when its own memory has grown past a limit
(``max_private_mb``), and is replaced. Reading the in-memory store writes to its pages (reference counts
inside the engine), and each first write copies a shared page into the engine: the memory an engine
owns grows with what its queries touched, up to a copy of the store. Replacing an engine is not free
either: measured on 1M triples, the first GROUP BY over every subject in a freshly forked process took
403 ms of CPU and copied 64,000 pages (250 MB), the same query in a process that had run it before 94 ms.
So engines are kept as long as their memory allows, and the limit trades memory (at most the shared store
and ``engines × max_private_mb``) against CPU. What an engine owns is bounded cheaply after each request
(its page faults) and read exactly only when that bound passes the limit (:class:`_OwnMemory`): the faults
count every fresh page too, also those given back at once (an answer of over 32 MB is mapped and unmapped
each time), and alone would retire an engine long before its memory is its own.

Before forking, the supervisor hands the memory the load freed back to the system (``malloc_trim``): the
parsed files leave holes all over the heap, which would otherwise stay in every engine's shared pages, and
an engine's allocations that fill them copy those pages (measured on 1M triples: the supervisor's resident
memory 874 MB before, 632 MB after).
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import gc
import json
import logging
import mmap
import os
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aikg import errors
from aikg.errors import AikgError
from aikg.store.pool import Engine

log = logging.getLogger(__name__)

_SLOT = struct.Struct("dd")  # an engine's CPU seconds when its running query started, and its deadline; 0.0 idle
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_PR_SET_PDEATHSIG = 1
#: How often the supervisor looks at deadlines and reaps engines.
TICK = 0.02
#: How much an engine whose query has run long (PoolOptions.long_query) yields the processor: nice +10,
#: so that pages and cheap queries keep answering beside runaways; it retires after that query.
LONG_NICE = 10


@dataclass
class PoolOptions:
    """How many engines, how long their queue, and when they retire."""

    engines: int
    queue: int
    queue_timeout: float
    max_requests: int = 20_000
    max_private_mb: int = 512
    long_query: float = 0.5  # CPU seconds; 0: never slow an engine down


@dataclass
class EnginePool:
    """The supervisor as the main process sees it: the socket web processes connect to, and how to stop it."""

    path: str
    pid: int
    folder: Path
    options: PoolOptions
    network_wall: str = field(default="")

    def stop(self, grace: float = 5.0) -> None:
        """Stop the supervisor and its engines, and remove the socket's folder."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done == 0:
                    time.sleep(0.02)
                    continue
            break
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        shutil.rmtree(self.folder, ignore_errors=True)


Opener = Callable[[], Any]


def start(open_store: Opener, options: PoolOptions, *, in_engines: bool = False) -> EnginePool:
    """Fork the supervisor, let it open the store (or each engine, with `in_engines`) and start the engines.

    Returns once the supervisor has the store: an error opening it (invalid data, a missing on-disk
    version) is raised here, in the caller, as the aikg error it was.
    """
    folder = Path(tempfile.mkdtemp(prefix="aikg-engines-"))  # mode 0700: no other user can connect
    path = str(folder / "engines.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(max(1, options.queue))
    listener.setblocking(False)  # engines wait in epoll (see _acceptor) and take a connection only if one is there
    ready_r, ready_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the supervisor
        os.close(ready_r)
        code = 1
        try:
            code = _supervise(open_store, options, listener, ready_w, in_engines)
        except BaseException:  # the supervisor must never return into the caller's code
            with contextlib.suppress(Exception):
                log.exception("the engine supervisor failed")
        finally:
            os._exit(code)
    os.close(ready_w)
    listener.close()  # the supervisor and its engines hold it; web processes connect by path
    with os.fdopen(ready_r, "rb") as ready:
        line = ready.readline()
    status = json.loads(line) if line else {"error": "AikgError", "message": "The engine supervisor did not start."}
    pool = EnginePool(path, pid, folder, options, status.get("wall", ""))
    if "error" in status:
        pool.stop()
        raise _rebuilt(status)
    return pool


def _rebuilt(status: Mapping[str, Any]) -> AikgError:
    cls = getattr(errors, str(status.get("error")), None)
    if not (isinstance(cls, type) and issubclass(cls, AikgError)):
        cls = AikgError
    try:
        error = cls(str(status.get("message")), details=status.get("details"))
    except TypeError:
        error = AikgError(str(status.get("message")), details=status.get("details"))
    report = status.get("report")
    if report:
        error.report = _Report(str(report))  # type: ignore[attr-defined]  # the CLI prints report.text
    return error


@dataclass(frozen=True)
class _Report:
    text: str


def _die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux; elsewhere a no-op)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def no_network() -> str:
    """Move this process into a network namespace of its own; return '' on success, else why not.

    Needs a single-threaded process (for the user namespace) and a kernel that allows it.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(_CLONE_NEWNET) == 0:
            return ""
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
            return ""
        return os.strerror(ctypes.get_errno())
    except (OSError, AttributeError) as e:
        return str(e)


def _supervise(open_store: Opener, options: PoolOptions, listener: socket.socket, ready_w: int,
               in_engines: bool) -> int:
    _die_with_parent()
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group; the main process stops us
    store: Any = None
    try:
        if not in_engines:
            store = open_store()
    except AikgError as e:
        report = getattr(e, "report", None)
        text = getattr(report, "text", None)
        failure = {"error": type(e).__name__, "message": e.message, "details": _jsonable(e.details),
                   "report": (text() if callable(text) else text) if report is not None else None}
        os.write(ready_w, (json.dumps(failure) + "\n").encode())
        return 1
    gc.collect()
    _trim_heap()
    gc.freeze()  # what the supervisor holds stays on shared pages in every engine
    slots = mmap.mmap(-1, _SLOT.size * options.engines)
    engines: dict[int, int] = {}  # pid -> slot

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _die_with_parent()
                code = _engine(slot, slots, listener, store, open_store, options)
            except BaseException:
                with contextlib.suppress(Exception):
                    log.exception("engine %d failed", slot)
                code = 1
            finally:
                os._exit(code)
        engines[pid] = slot

    wall = probe_network_wall()
    base_nice = os.getpriority(os.PRIO_PROCESS, 0)
    # Ready before the engines exist: a connection made meanwhile waits in the queue for the first one.
    os.write(ready_w, (json.dumps({"ok": True, "wall": wall}) + "\n").encode())
    os.close(ready_w)
    for slot in range(options.engines):
        spawn(slot)
    if wall:
        log.warning("engines can open network connections: %s (SERVICE is still refused before the engine)", wall)
    parent = os.getppid()
    slowed: dict[int, float] = {}  # pid -> the deadline of the query it was slowed for
    while not stopping and os.getppid() == parent:
        now = time.monotonic()
        for pid, slot in list(engines.items()):
            cpu, deadline = _SLOT.unpack_from(slots, slot * _SLOT.size)
            if deadline and now > deadline:
                log.warning("engine %d passed its query's deadline: killed and replaced", pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _SLOT.pack_into(slots, slot * _SLOT.size, 0.0, 0.0)
            elif (deadline and options.long_query and slowed.get(pid) != deadline
                  and _cpu(pid) - cpu > options.long_query):
                # CPU time, not time: on a busy machine a cheap query may wait long for a processor.
                slowed[pid] = deadline
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, pid, min(19, base_nice + LONG_NICE))
        while engines:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid not in engines:
                continue
            slot = engines.pop(pid)
            slowed.pop(pid, None)
            if os.WIFSIGNALED(status) and os.WTERMSIG(status) != signal.SIGKILL:
                log.warning("engine %d died of signal %d: replaced", pid, os.WTERMSIG(status))
            _SLOT.pack_into(slots, slot * _SLOT.size, 0.0, 0.0)
            if not stopping:
                spawn(slot)
        time.sleep(TICK)
    for pid in engines:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for _ in engines:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(-1, 0)
    return 0


def probe_network_wall() -> str:
    """Tell, from a short-lived child, whether engines will get their own network namespace ('' if so)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, no_network().encode() or b"-")
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        why = f.read().decode()
    os.waitpid(pid, 0)
    return "" if why == "-" else why


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """Return the CPU seconds a process has used (0.0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _faulted() -> int:
    """Return the bytes of memory this process has made its own so far: its minor page faults, each a shared
    page copied on its first write or a new page allocated (an upper bound of its private memory).

    This is a syscall; reading /proc/self/smaps_rollup (:func:`_private`) tells it exactly but walks every
    page of the process: 30-40 ms of CPU for an engine over 1M triples (measured).
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt * _PAGE


def _private(pid: int | str = "self") -> int | None:
    """Return the bytes of memory only a process (this one by default) holds (Linux's smaps_rollup), or None
    where unknown."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return (int(fields["Private_Clean"].split()[0]) + int(fields["Private_Dirty"].split()[0])) * 1024
    except (OSError, KeyError, ValueError, IndexError):
        return None


class _OwnMemory:
    """Tell whether this engine's own memory has passed its limit, reading it exactly only when it may have.

    `faulted` is a cheap upper bound (what the process has made its own so far, never less than what it
    holds), `private` the exact figure (costly; None where unknown, then the bound decides). While the exact
    figure is under the limit by D, the bound must grow by D before the exact figure can pass it; it is read
    again after at least a sixteenth of the limit, so an engine may pass its limit by that much before it
    retires, and never reads its memory more than once per sixteenth of the limit it faults in.
    """

    def __init__(self, limit: int, faulted: Callable[[], int] = _faulted,
                 private: Callable[[], int | None] = _private) -> None:
        self.limit = limit
        self.faulted = faulted
        self.private = private
        self._check_at = limit
        self.last = 0  # the last figure read (exact, or the bound where the exact one is unknown)

    def passed(self) -> bool:
        """Tell whether the engine now holds more of its own memory than the limit."""
        bound = self.faulted()
        if bound <= self._check_at:
            return False
        own = self.private()
        self.last = bound if own is None else own
        if self.last > self.limit:
            return True
        self._check_at = bound + max(self.limit - self.last, self.limit // 16)
        return False


def _trim_heap() -> None:
    """Give the pages of memory that the C heap holds free back to the system (glibc; elsewhere a no-op)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _jsonable(value: object) -> object:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


class _Unavailable:
    """A stand-in store that answers every request with the error its opening raised."""

    def __init__(self, error: AikgError) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        raise self.error


def _engine(slot: int, slots: mmap.mmap, listener: socket.socket, store: Any, open_store: Opener,
            options: PoolOptions) -> int:
    no_network()  # before anything starts a thread; its outcome was probed and logged by the supervisor
    faulthandler.disable()  # a crash here is expected and reported by the supervisor, not dumped by each engine
    if store is None:
        try:
            store = open_store()
        except AikgError as e:
            store = _Unavailable(e)
    offset = slot * _SLOT.size

    def mark(cpu: float, deadline: float) -> None:
        _SLOT.pack_into(slots, offset, cpu, deadline)

    nice = os.getpriority(os.PRIO_PROCESS, 0)

    engine = Engine(store, mark, options.queue_timeout)
    accept = _acceptor(listener)
    memory = _OwnMemory(options.max_private_mb * 1024 * 1024)
    served = 0
    while served < options.max_requests:
        conn = accept()
        try:
            engine.handle(conn)
        except (OSError, EOFError, ValueError) as e:
            log.debug("engine connection dropped: %s", e)
        finally:
            conn.close()
        if os.getpriority(os.PRIO_PROCESS, 0) > nice:
            # Slowed down during a long query: back to full priority where the system allows it (root, or
            # CAP_SYS_NICE); else a fresh engine at full priority takes this one's place. Keeping the engine
            # matters: a fresh one pays again for every shared page it writes (see the module docstring).
            try:
                os.setpriority(os.PRIO_PROCESS, 0, nice)
            except OSError:
                return 0
        served += 1
        if memory.passed():
            log.info("engine %d retires: %d MB of its memory is its own", os.getpid(), memory.last >> 20)
            return 0
    return 0


def _acceptor(listener: socket.socket) -> Callable[[], socket.socket]:
    """Return how this engine waits for its next connection: the idle engine started first is woken first.

    With a blocking accept() the kernel hands each connection to the engine that has waited longest, so
    every engine serves in turn and each pays for copying the shared pages its queries write. Each engine
    instead waits in an epoll set of its own holding the listener with EPOLLEXCLUSIVE: a connection wakes
    only the first of the waiting engines in the order they registered, so the engines started first serve
    most requests, the others stay cold until there is work for them, and a fresh engine (registered last)
    is used only when the older ones are busy. Another engine may find the connection already taken
    (EAGAIN) and waits again. Where epoll is missing, every idle engine is woken and one wins.
    """
    fd = listener.fileno()
    exclusive = getattr(select, "EPOLLEXCLUSIVE", 0)
    try:
        poller: Any = select.epoll()
        poller.register(fd, select.EPOLLIN | exclusive)
    except (AttributeError, OSError):
        poller = select.poll()
        poller.register(fd, select.POLLIN)

    def accept() -> socket.socket:
        while True:
            try:
                conn, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                poller.poll()
                continue
            conn.setblocking(True)
            return conn

    return accept
