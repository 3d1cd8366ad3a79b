"""Settings: defaults, overridden by AIKG_* environment variables, overridden by a mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aikg.namespaces import BASE

DEFAULTS: dict[str, Any] = {
    # Data: lists of file paths; None means the shipped files.
    "DATA": None,
    "ONTOLOGY": None,
    "SHAPES": None,
    "VALIDATE": True,
    # Store: an on-disk pyoxigraph store, or a remote SPARQL 1.1 endpoint (read, and update for publish).
    "STORE": None,
    # Follow the on-disk store's `current` symlink to new versions (aikg serve --watch).
    "WATCH": False,
    "ENDPOINT": None,
    "UPDATE_ENDPOINT": None,
    "REMOTE_GRAPH": None,
    # The remote store's kind (auto: detected from its answers; oxigraph, virtuoso, sparql11), and how its
    # graphs are checked against their publication record: "checksum" (counts and contents) or "count".
    "STORE_DIALECT": "auto",
    "STORE_CHECK": "checksum",
    "STORE_CHECK_INTERVAL": 300.0,
    # Limits of the public endpoint.
    "QUERY_TIMEOUT": 30.0,
    "MAX_ROWS": 10_000,
    "MAX_QUERY_BYTES": 64 * 1024,
    # HTTP.
    "CORS_ORIGINS": "*",
    "CACHE_MAX_AGE": 300,
    "BASE_IRI": BASE,
    "TITLE": "aikg: a knowledge graph of the history of AI",
}

_LISTS = {"DATA", "ONTOLOGY", "SHAPES"}


def _coerce(key: str, raw: str) -> Any:
    default = DEFAULTS.get(key)
    if key in _LISTS:
        return [p for p in raw.split(os.pathsep) if p]
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw or None


def load_config(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings: defaults, then AIKG_* variables, then `overrides`."""
    settings = dict(DEFAULTS)
    env = os.environ if environ is None else environ
    for name, raw in env.items():
        if name.startswith("AIKG_"):
            key = name[5:]
            settings[key] = _coerce(key, raw)
    if overrides:
        settings.update({k: v for k, v in overrides.items()})
    return settings
