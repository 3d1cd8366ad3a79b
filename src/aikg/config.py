"""Settings: defaults, overridden by AIKG_* environment variables, overridden by a mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
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
    # An engine retires (a fresh one is forked) once this much of its memory is its own (MB).
    "ENGINE_MEMORY_MB": 128,
    # CPU seconds after which a query is a long one: its engine yields the processor (nice +10); 0: never.
    "LONG_QUERY": 0.5,
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


@dataclass(frozen=True)
class Limits:
    """Every limit of the serving core, from the settings (the README's "Safe to leave open" table)."""

    query_timeout: float
    engines: int
    engine_memory_mb: int
    long_query: float
    queue: int
    queue_timeout: float
    client_budget: float
    client_queries: int
    cache_bytes: int
    header_timeout: float
    body_timeout: float
    max_body: int
    max_header: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits:
        """Read the limits from settings, filling in the derived defaults."""
        max_query = int(settings.get("MAX_QUERY_BYTES") or 64 * 1024)
        return cls(
            query_timeout=float(settings.get("QUERY_TIMEOUT") or 0) or 30.0,
            engines=int(settings.get("ENGINES") or 0) or max(8, 2 * (os.cpu_count() or 1)),
            engine_memory_mb=int(settings.get("ENGINE_MEMORY_MB") or 128),
            long_query=float(settings.get("LONG_QUERY", 0.5) or 0.0),
            queue=int(settings.get("QUEUE_LENGTH") or 64),
            queue_timeout=float(settings.get("QUEUE_TIMEOUT") or 10.0),
            client_budget=float(settings.get("CLIENT_BUDGET") or 60.0),
            client_queries=int(settings.get("CLIENT_QUERIES") or 4),
            cache_bytes=int(settings.get("RESULT_CACHE_BYTES") or 0),
            header_timeout=float(settings.get("HEADER_TIMEOUT") or 10.0),
            body_timeout=float(settings.get("BODY_TIMEOUT") or 10.0),
            # A form-encoded query takes up to three bytes a byte, and the dataset parameters some more.
            max_body=int(settings.get("MAX_BODY_BYTES") or 0) or 3 * max_query + 16 * 1024,
            max_header=int(settings.get("MAX_HEADER_BYTES") or 256 * 1024),
        )
