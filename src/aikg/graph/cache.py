"""Remember what a function computed from a store until the store's data version changes."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from aikg.store import Store

T = TypeVar("T")


def per_version(fn: Callable[[Store], T]) -> Callable[[Store], T]:
    """Cache `fn(store)` per store object and data version (home counts, the timeline, ontology maps)."""
    cache: weakref.WeakKeyDictionary[Any, tuple[str, T]] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    @functools.wraps(fn)
    def wrapper(store: Store) -> T:
        version = store.info.version
        hit = cache.get(store)
        if hit is not None and hit[0] == version:
            return hit[1]
        with lock:
            hit = cache.get(store)
            if hit is not None and hit[0] == version:
                return hit[1]
            value = fn(store)
            cache[store] = (version, value)
            return value

    return wrapper
