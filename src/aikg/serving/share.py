"""Fair share of the engines, as the Wikidata Query Service does it: engine time per client per minute.

Each client (by address) has a budget of engine seconds that refills at `budget / 60` per second (a
token bucket: a burst of the whole budget, then the budget per minute). A query may start while the
client is under its budget and runs fewer than `concurrent` queries; otherwise it gets 429 with a
Retry-After saying when it may start again. What a query cost is charged when it ends (the engine's
time, or the time limit for one that was stopped).

The table is shared by every web process: a fixed array in memory mapped before the workers fork, one
slot per client found by a keyed hash (clients cannot choose whose slot they share), updated under an
``fcntl`` lock, which the kernel releases if a process dies holding it. A slot whose client has not been
seen the longest is reused when the table is full, and a count of running queries that has not moved
for longer than any query can run is taken as left over by a process that died.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import mmap
import os
import secrets
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aikg.errors import TooManyRequests

_SLOT = struct.Struct("QidddI")  # key, running, used seconds, last refill, last change, padding
_PROBE = 8


class FairShare:
    """The shared table of engine time per client (see the module docstring); a :class:`aikg.store.gate.Gate`."""

    def __init__(self, folder: Path, *, budget: float, concurrent: int, stale_after: float, slots: int = 4096) -> None:
        self.budget = budget
        self.rate = budget / 60.0
        self.concurrent = concurrent
        self.stale_after = stale_after
        self.slots = slots
        self._secret = secrets.token_bytes(16)
        self._keys: dict[str, int] = {}  # each process's own memo of the hashes
        path = folder / "share"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.ftruncate(fd, _SLOT.size * slots)
        self._fd = fd
        self._map = mmap.mmap(fd, _SLOT.size * slots)
        self._threads = threading.Lock()  # fcntl locks are per process; threads of one process need their own

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._threads:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def _key(self, client: str) -> int:
        key = self._keys.get(client)
        if key is None:
            digest = hashlib.blake2b(client.encode("utf-8", "surrogatepass"), key=self._secret, digest_size=8).digest()
            key = int.from_bytes(digest, "big") or 1
            if len(self._keys) >= 4096:
                self._keys.clear()
            self._keys[client] = key
        return key

    def _find(self, key: int, now: float) -> tuple[int, list[float | int]]:
        """Return the offset and fields of the client's slot, claiming one if it has none."""
        start = key % self.slots
        oldest, oldest_at = -1, math.inf
        for i in range(_PROBE):
            offset = ((start + i) % self.slots) * _SLOT.size
            fields = list(_SLOT.unpack_from(self._map, offset))
            if fields[0] == key:
                return offset, fields
            seen = fields[4] if fields[0] else -math.inf
            if seen < oldest_at:
                oldest, oldest_at = offset, seen
        return oldest, [key, 0, 0.0, now, now, 0]

    def _refilled(self, fields: list[float | int], now: float) -> None:
        fields[2] = max(0.0, float(fields[2]) - (now - float(fields[3])) * self.rate)
        fields[3] = now
        if fields[1] and now - float(fields[4]) > self.stale_after:
            fields[1] = 0  # counted by a process that died mid-query

    def admit(self, client: str) -> None:
        """Let a query of `client` start, or raise TooManyRequests (429) with the seconds to wait."""
        now = time.monotonic()
        key = self._key(client)
        with self._locked():
            offset, fields = self._find(key, now)
            self._refilled(fields, now)
            used, running = float(fields[2]), int(fields[1])
            if used >= self.budget:
                wait = max(1, math.ceil((used - self.budget) / self.rate) + 1)
                _SLOT.pack_into(self._map, offset, *fields)
                raise TooManyRequests(
                    f"This client used its share of query time ({self.budget:g} engine seconds a minute). "
                    f"Try again in {wait} s.", retry_after=wait,
                    details={"retry_after": wait, "budget_seconds_per_minute": self.budget},
                )
            if running >= self.concurrent:
                _SLOT.pack_into(self._map, offset, *fields)
                raise TooManyRequests(
                    f"This client already runs {running} queries, the most it may run at once. "
                    "Wait for one to finish.", retry_after=1,
                    details={"retry_after": 1, "concurrent_queries": self.concurrent},
                )
            fields[1] = running + 1
            fields[4] = now
            _SLOT.pack_into(self._map, offset, *fields)

    def release(self, client: str, seconds: float) -> None:
        """Record that a query of `client` ended after using an engine for `seconds`."""
        now = time.monotonic()
        key = self._key(client)
        with self._locked():
            offset, fields = self._find(key, now)
            self._refilled(fields, now)
            fields[1] = max(0, int(fields[1]) - 1)
            fields[2] = float(fields[2]) + max(0.0, seconds)
            fields[4] = now
            _SLOT.pack_into(self._map, offset, *fields)

    def used(self, client: str) -> float:
        """Return the engine seconds `client` has used and not yet got back."""
        now = time.monotonic()
        with self._locked():
            _, fields = self._find(self._key(client), now)
            self._refilled(fields, now)
            return float(fields[2])
