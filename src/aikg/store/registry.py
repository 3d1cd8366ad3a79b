"""Open a store backend from settings; every backend the settings can name is one entry here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aikg.config import Settings
from aikg.store import Store


def _remote(settings: Settings) -> Store:
    from aikg.store.remote import RemoteStore

    return RemoteStore.from_settings(settings)


def _disk(settings: Settings) -> Store:
    from aikg.store.disk import open_disk_store

    return open_disk_store(Path(str(settings.store)), read_only=True, watch=settings.watch)


#: The setting that selects each backend, in order of precedence, and how to open it. Without any of them
#: the data files are loaded in memory (:func:`aikg.ingest.load.open_store`).
BACKENDS: list[tuple[str, Callable[[Settings], Store]]] = [
    ("endpoint", _remote),
    ("store", _disk),
]


def open_backend(settings: Settings) -> Store | None:
    """Open the backend the settings name, or return None when they name none (the data comes from files)."""
    for name, opener in BACKENDS:
        if getattr(settings, name):
            return opener(settings)
    return None
