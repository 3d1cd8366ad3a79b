"""Open a store backend from settings; every backend the settings can name is one entry here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aikg.store import Store


def _remote(settings: Mapping[str, Any]) -> Store:
    from aikg.store.remote import RemoteStore

    return RemoteStore.from_settings(settings)


def _disk(settings: Mapping[str, Any]) -> Store:
    from aikg.store.disk import open_disk_store

    return open_disk_store(Path(settings["STORE"]), read_only=True, watch=bool(settings.get("WATCH")))


#: The setting that selects each backend, in order of precedence, and how to open it. Without any of them
#: the data files are loaded in memory (:func:`aikg.ingest.load.open_store`).
BACKENDS: list[tuple[str, Callable[[Mapping[str, Any]], Store]]] = [
    ("ENDPOINT", _remote),
    ("STORE", _disk),
]


def open_backend(settings: Mapping[str, Any]) -> Store | None:
    """Open the backend the settings name, or return None when they name none (the data comes from files)."""
    for key, opener in BACKENDS:
        if settings.get(key):
            return opener(settings)
    return None
