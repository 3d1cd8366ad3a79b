"""Remember what a function computed from a store, per data version: the one cache of the domain modules.

The data of a version never changes, so what a function computes from it holds until the version does. The
key is the store's data version (a hash of the data, so two stores holding the same data share an entry)
and the other arguments; a cache keeps the few most recent keys, so a store that follows new versions, or
many short-lived stores (tests, a reload), never make it grow without bound.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Concatenate, Generic, ParamSpec, TypeVar, overload

from aikg.errors import AikgError
from aikg.store import Store

P = ParamSpec("P")
T = TypeVar("T")


def in_greenlet() -> bool:
    """Tell whether this code runs in a greenlet other than its thread's main one (aikg serve's requests)."""
    greenlet = sys.modules.get("greenlet")  # imported by the serving front only
    if greenlet is None:
        return False
    return greenlet.getcurrent().parent is not None  # type: ignore[no-any-return]


#: Versions kept per function: the live one, the previous one while queries finish on it, and some room.
SIZE = 4


class PerVersion(Generic[P, T]):
    """A function of a store (and hashable arguments) whose results are kept per data version."""

    def __init__(self, fn: Callable[Concatenate[Store, P], T], size: int = SIZE) -> None:
        self.fn = fn
        self.size = size
        self._entries: OrderedDict[tuple[Hashable, ...], T] = OrderedDict()
        self._lock = threading.Lock()  # guards the two dicts, never held while building
        self._building: dict[tuple[Hashable, ...], threading.Lock] = {}
        functools.update_wrapper(self, fn)

    def __call__(self, store: Store, *args: P.args, **kwargs: P.kwargs) -> T:
        # The version names the data; a store's `cache_scope` (a remote store's endpoint) keeps apart what two
        # stores holding the same data answer in one process, so that one store's answer never stands in for
        # another's (the store compatibility suite compares exactly that).
        key = (store.info.version, store.cache_scope, *args, *sorted(kwargs.items()))
        try:
            return self._entries[key]
        except KeyError:
            pass
        # One build per key at a time: concurrent first requests for a key wait for it rather than all
        # computing it, while requests for other keys (another named query, another class) go ahead. But never
        # wait for a build that is not this thread's: under `aikg serve` requests are greenlets of one thread,
        # whose builder waits for an engine by handing the thread back to the event loop; a greenlet blocked on
        # the build's lock would stop that loop, and the builder with it (the process would hang). A request
        # that finds the build under way there computes the value itself (the same value: one data version).
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        if not building.acquire(blocking=not in_greenlet()):
            return self._build(key, store, *args, **kwargs)
        try:
            if key in self._entries:
                return self._entries[key]
            return self._build(key, store, *args, **kwargs)
        finally:
            building.release()
            with self._lock:
                self._building.pop(key, None)

    def _build(self, key: tuple[Hashable, ...], store: Store, *args: P.args, **kwargs: P.kwargs) -> T:
        value = self.fn(store, *args, **kwargs)
        with self._lock:  # never held while building: only around the dicts
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def __contains__(self, store: object) -> bool:
        """Tell whether something is kept for the store's current version."""
        try:
            version, scope = store.info.version, store.cache_scope  # type: ignore[attr-defined]
        except AikgError:  # a store that cannot say its version has nothing cached
            return False
        return any(key[:2] == (version, scope) for key in list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


@overload
def per_version(fn: Callable[Concatenate[Store, P], T], *, size: int = SIZE) -> PerVersion[P, T]: ...


@overload
def per_version(
    fn: None = None, *, size: int = SIZE
) -> Callable[[Callable[Concatenate[Store, P], T]], PerVersion[P, T]]: ...


def per_version(
    fn: Callable[Concatenate[Store, P], T] | None = None, *, size: int = SIZE
) -> PerVersion[P, T] | Callable[[Callable[Concatenate[Store, P], T]], PerVersion[P, T]]:
    """Cache `fn(store, ...)` per data version and arguments (as a decorator, bare or with `size=`)."""
    if fn is not None:
        return PerVersion(fn, size)
    return lambda f: PerVersion(f, size)
