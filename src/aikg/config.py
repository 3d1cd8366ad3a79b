"""Settings: one typed, frozen object. Defaults, overridden by AIKG_* environment variables, overridden by a
mapping (a test's, or the CLI's options).

Each setting is a field of :class:`Settings`; its key is the field's name in capitals (``QUERY_TIMEOUT``)
and its environment variable takes the ``AIKG_`` prefix (``AIKG_QUERY_TIMEOUT``). An unknown key, a
misspelt ``AIKG_*`` variable or a value of the wrong type is refused with a message that names the
setting (and the nearest valid key), so a typo never goes unnoticed as a default silently kept.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import types
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from aikg.errors import InvalidSetting
from aikg.namespaces import BASE

PREFIX = "AIKG_"


@dataclass(frozen=True)
class Settings:
    """What a process is told: where the data is, which store, the public endpoint's limits, HTTP."""

    #: Data, ontology and SHACL shapes files (os.pathsep-separated in the environment); None: the shipped ones.
    data: tuple[str, ...] | None = None
    ontology: tuple[str, ...] | None = None
    shapes: tuple[str, ...] | None = None
    #: Validate the data files with SHACL before serving them.
    validate: bool = True
    #: The SHACL engine that checks the data before serving: "fast" (compiled) or "pyshacl" (the reference).
    validation_engine: str = "fast"
    #: An on-disk pyoxigraph store directory (`aikg load`), served instead of the files.
    store: str | None = None
    #: Follow the on-disk store's `current` symlink to new versions (aikg serve --watch).
    watch: bool = False
    #: A remote SPARQL 1.1 endpoint served instead of local data, its update endpoint (publish) and graph.
    endpoint: str | None = None
    update_endpoint: str | None = None
    remote_graph: str | None = None
    #: Limits of the public endpoint: seconds per query (0: none), rows per answer (0: none), query bytes.
    query_timeout: float = 30.0
    max_rows: int = 10_000
    max_query_bytes: int = 64 * 1024
    #: How deep a query's brackets and chained operators may go (aikg.sparql.lexer says why: the engine
    #: crashes at about 1,700).
    max_query_depth: int = 500
    #: HTTP: the origins allowed by CORS ("*", or a comma-separated list), the public cache lifetime.
    cors_origins: str | tuple[str, ...] = "*"
    cache_max_age: int = 300
    #: The base of aikg's IRIs, and the site's title.
    base_iri: str = BASE
    title: str = "aikg: a knowledge graph of the history of AI"
    #: Where dumps are written on first request (None: a folder in the user's cache).
    dump_dir: str | None = None
    #: The site's public address (https://kg.example.org/aikg): every absolute URL of ours is built from it,
    #: never from the Host header. None: pages and headers link relatively, and the answers that need an
    #: absolute URL (RDF documents, the service description) build it from Host and say Vary: Host.
    base_url: str | None = None

    # -- serving (aikg serve): engine processes, their queue, fair share, the result cache, the HTTP front --
    #: Engine processes that run queries (0: twice the cores, at least eight: a runaway holds one until the
    #: time limit); queries that may wait for one, and how long (seconds).
    engines: int = 0
    queue_length: int = 64
    queue_timeout: float = 10.0
    #: An engine retires (a fresh one is forked) once this much of its memory (MB) is its own.
    engine_memory_mb: int = 512
    #: CPU seconds after which a query is a long one: its engine yields the processor (nice +10); 0: never.
    long_query: float = 0.5
    #: Engine seconds a client (an address) may use per minute, and queries it may run at once.
    client_budget: float = 60.0
    client_queries: int = 4
    #: Bytes of answers each web process keeps; 0 turns the result cache off.
    result_cache_bytes: int = 64 * 1024 * 1024
    #: Bytes of whole pages each web process keeps under `aikg serve`; 0 turns the page cache off.
    page_cache_bytes: int = 32 * 1024 * 1024
    #: Seconds a client has to send its request line and headers (also how long an idle connection stays
    #: open), and its body; the body's size limit (0: three times MAX_QUERY_BYTES, for percent-encoding).
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    max_body_bytes: int = 0
    #: Request line and headers together, in bytes (431 past it, before any Python runs).
    max_header_bytes: int = 256 * 1024

    # -- remote stores (issue 16) -----------------------------------------------------------------------
    #: The remote store's kind: "auto" (detected from its answers), "oxigraph", "virtuoso" or "sparql11".
    store_dialect: str = "auto"
    #: How the published graphs are checked against their publication record: "checksum" (counts and
    #: contents) or "count" (counts only), at startup and every STORE_CHECK_INTERVAL seconds (0: startup only).
    store_check: str = "checksum"
    store_check_interval: float = 300.0

    def __post_init__(self) -> None:
        if self.base_url is not None:
            object.__setattr__(self, "base_url", _base_url(self.base_url))

    @classmethod
    def known_keys(cls) -> tuple[str, ...]:
        """Return every setting's key (UPPER_CASE)."""
        return tuple(f.name.upper() for f in fields(cls))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Return the defaults overridden by the AIKG_* variables of `environ` (os.environ by default)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, raw in env.items():
            if name.startswith(PREFIX):
                key = name[len(PREFIX):]
                attribute = _attribute(key, PREFIX)
                values[attribute] = _coerce(key, raw, source=name)
        return cls(**values)

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Settings:
        """Return these settings with the values of a mapping of keys (QUERY_TIMEOUT: 5) put over them."""
        if not overrides:
            return self
        changes = {}
        for key, value in overrides.items():
            attribute = _attribute(str(key), "")
            changes[attribute] = _coerce(str(key), value, source=str(key))
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Return the settings by key, for display."""
        return {f.name.upper(): getattr(self, f.name) for f in fields(self)}


def load_config(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Return the settings: defaults, then AIKG_* variables, then `overrides`."""
    return Settings.from_env(environ).with_overrides(overrides)


# -- checking and converting values ---------------------------------------------------------------------

_HINTS = get_type_hints(Settings)
_KEYS = {f.name.upper(): f.name for f in fields(Settings)}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _attribute(key: str, prefix: str) -> str:
    """Return the field of a key, or refuse it naming the nearest valid one."""
    try:
        return _KEYS[key]
    except KeyError:
        near = difflib.get_close_matches(key.upper(), list(_KEYS), n=1, cutoff=0.6)
        hint = f"; did you mean {prefix}{near[0]}?" if near else ""
        known = ", ".join(prefix + k for k in _KEYS)
        raise InvalidSetting(
            f"{prefix}{key} is not a setting of aikg{hint} The settings are: {known}.",
            details={"setting": prefix + key, "nearest": prefix + near[0] if near else None},
        ) from None


def _coerce(key: str, value: Any, *, source: str) -> Any:
    """Turn a value (a string from the environment, or a Python value) into the setting's type."""
    hint = _HINTS[_KEYS[key]]
    kinds = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    optional = type(None) in kinds
    if value is None or (optional and isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise InvalidSetting(f"{source} needs a value; it cannot be empty.")
    for kind in kinds:
        if get_origin(kind) is tuple:
            if isinstance(value, str):
                separator = os.pathsep if key in ("DATA", "ONTOLOGY", "SHAPES") else ","
                return tuple(p.strip() for p in value.split(separator) if p.strip())
            if isinstance(value, Path):
                return (str(value),)
            if isinstance(value, list | tuple):
                return tuple(str(p) for p in value)
    if isinstance(value, str) and str in kinds:
        return value
    if bool in kinds:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise InvalidSetting(f"{source} must be true or false (1/0, yes/no, on/off), not {value!r}.")
    for kind in (int, float):
        if kind in kinds:
            if isinstance(value, kind) and not isinstance(value, bool):
                return value
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                try:
                    return kind(value.strip())
                except ValueError:
                    pass
            what = "a whole number" if kind is int else "a number"
            raise InvalidSetting(f"{source} must be {what}, not {value!r}.")
    raise InvalidSetting(f"{source} must be {' or '.join(_name(k) for k in kinds)}, not {value!r}.")


def _base_url(value: str) -> str:
    """Check a BASE_URL: an absolute http(s) URL with no query or fragment (its trailing slash dropped)."""
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidSetting(f"BASE_URL must be an absolute http(s) URL with no query or fragment, not {value!r}.",
                             details={"setting": "BASE_URL"})
    return text


def _name(kind: Any) -> str:
    return "nothing" if kind is type(None) else "a list of paths" if get_origin(kind) is tuple else kind.__name__


# -- serving limits ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Every limit of the serving core, the derived defaults filled in (the README's "Safe to leave open")."""

    query_timeout: float
    engines: int
    engine_memory_mb: int
    long_query: float
    queue: int
    queue_timeout: float
    client_budget: float
    client_queries: int
    cache_bytes: int
    page_cache_bytes: int
    header_timeout: float
    body_timeout: float
    max_body: int
    max_header: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """Read the limits from settings, filling in the derived defaults."""
        max_query = settings.max_query_bytes or 64 * 1024
        return cls(
            query_timeout=settings.query_timeout or 30.0,
            engines=settings.engines or max(8, 2 * (os.cpu_count() or 1)),
            engine_memory_mb=settings.engine_memory_mb or 512,
            long_query=max(0.0, settings.long_query),
            queue=settings.queue_length or 64,
            queue_timeout=settings.queue_timeout or 10.0,
            client_budget=settings.client_budget or 60.0,
            client_queries=settings.client_queries or 4,
            cache_bytes=max(0, settings.result_cache_bytes),
            page_cache_bytes=max(0, settings.page_cache_bytes),
            header_timeout=settings.header_timeout or 10.0,
            body_timeout=settings.body_timeout or 10.0,
            # A form-encoded query takes up to three bytes a byte, and the dataset parameters some more.
            max_body=settings.max_body_bytes or 3 * max_query + 16 * 1024,
            max_header=settings.max_header_bytes or 256 * 1024,
        )
