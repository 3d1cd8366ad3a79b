"""Build the one store a process uses, from settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aikg.resources import default_data, default_ontology, default_shapes
from aikg.store import Store


def data_paths(settings: Mapping[str, Any]) -> list[Path]:
    """Return the data files the settings name, or the shipped ones."""
    return [Path(p) for p in settings.get("DATA") or default_data()]


def ontology_paths(settings: Mapping[str, Any]) -> list[Path]:
    """Return the ontology files the settings name, or the shipped ones."""
    return [Path(p) for p in settings.get("ONTOLOGY") or default_ontology()]


def shapes_paths(settings: Mapping[str, Any]) -> list[Path]:
    """Return the SHACL shapes files the settings name, or the shipped ones."""
    return [Path(p) for p in settings.get("SHAPES") or default_shapes()]


def open_store(settings: Mapping[str, Any]) -> Store:
    """Open the store the settings ask for: remote endpoint, on-disk store, or validated files in memory."""
    if settings.get("ENDPOINT"):
        from aikg.store.remote import RemoteStore

        return RemoteStore.from_settings(settings)
    if settings.get("STORE"):
        from aikg.store.disk import open_disk_store

        return open_disk_store(Path(settings["STORE"]), read_only=True, watch=bool(settings.get("WATCH")))
    from aikg.loader import build_memory_store, sources

    data = data_paths(settings)
    ontology = ontology_paths(settings)
    if settings.get("VALIDATE", True):
        from aikg.validate import check

        check(data, shapes_paths(settings), ontology)
    return build_memory_store(sources(data, ontology))
