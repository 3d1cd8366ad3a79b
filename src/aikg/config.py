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
    # Limits of the public endpoint.
    "QUERY_TIMEOUT": 30.0,
    "MAX_ROWS": 10_000,
    "MAX_QUERY_BYTES": 64 * 1024,
    # Serving (aikg serve): engine processes, their queue, fair share, the result cache, the HTTP front.
    # 0 engines: twice the cores, at least eight (a runaway holds one engine until the time limit).
    "ENGINES": 0,
    "QUEUE_LENGTH": 64,
    "QUEUE_TIMEOUT": 10.0,
    # Engine seconds a client (an address) may use per minute, and queries it may run at once.
    "CLIENT_BUDGET": 60.0,
    "CLIENT_QUERIES": 4,
    # Bytes of answers each web process keeps; 0 turns the cache off.
    "RESULT_CACHE_BYTES": 64 * 1024 * 1024,
    # Seconds a client has to send the request line and headers (also how long an idle connection stays
    # open), and the body; the body's size limit (0: three times MAX_QUERY_BYTES, for percent-encoding).
    "HEADER_TIMEOUT": 10.0,
    "BODY_TIMEOUT": 10.0,
    "MAX_BODY_BYTES": 0,
    # Request line and headers together, in bytes (granian answers 431 past it).
    "MAX_HEADER_BYTES": 256 * 1024,
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
