"""What every blueprint shares: the current store, and the one map from IRIs to the URLs that pages and
the API link them to (:func:`href`), and back.

An IRI BASE + "resource/AlphaGo" is served at /resource/AlphaGo (303 by content negotiation), and its
documents at /resource/AlphaGo.html, /resource/AlphaGo.ttl, .nt, .jsonld, .rdf. The same holds for
ontology terms under /ontology/. Slugs never contain a dot.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar
from urllib.parse import urlencode

from flask import Flask, Response, current_app, has_request_context, request
from werkzeug.wrappers import Response as BaseResponse

from aikg.config import Settings
from aikg.errors import BadRequest
from aikg.namespaces import BASE
from aikg.store import Store

SERVED_SPACES = ("resource/", "ontology/")
_WEB = ("http://", "https://")
R = TypeVar("R", bound=BaseResponse)


#: Where create_app keeps the app's Settings (the store is app.extensions["aikg"]).
SETTINGS = "aikg.settings"


def get_store(app: Flask | None = None) -> Store:
    """Return the store of the current app."""
    return (app or current_app).extensions["aikg"]  # type: ignore[no-any-return]


def get_settings(app: Flask | None = None) -> Settings:
    """Return the settings of the current app."""
    return (app or current_app).extensions[SETTINGS]  # type: ignore[no-any-return]


def _base() -> str:
    try:
        return get_settings().base_iri or BASE
    except RuntimeError:
        return BASE


def local_path(iri: str) -> str | None:
    """Return the path (without script root) that serves an IRI, or None for an outside IRI."""
    base = _base()
    if not iri.startswith(base):
        return None
    rest = iri[len(base):]
    if not rest.startswith(SERVED_SPACES) or "#" in rest or "." in rest.rsplit("/", 1)[-1]:
        return None
    return "/" + rest


def href(iri: str) -> str:
    """Return the URL a page or the API links an IRI to: the page of an IRI of ours, the IRI itself for an
    outside http(s) IRI, and the explorer's page about it for any other scheme (javascript:, data:,
    vbscript:, urn:, ...), so that no IRI in the data can become a live script link."""
    root = request.script_root if has_request_context() else ""
    path = local_path(iri)
    if path is not None:
        if path.rstrip("/") == "/ontology":
            return f"{root}/ontology.html"
        return f"{root}{path}.html"
    if iri[:8].lower().startswith(_WEB):
        return iri
    return f"{root}/explore?{urlencode({'iri': iri})}"


def iri_for(path: str) -> str:
    """Return the canonical IRI for a served path such as 'resource/AlphaGo'."""
    return _base() + path.lstrip("/")


# -- caching: every cacheable response goes through these two ------------------------------------------


def cache_control() -> str:
    """Return the Cache-Control value of a public answer (CACHE_MAX_AGE seconds)."""
    return f"public, max-age={int(get_settings().cache_max_age or 0)}"


def cacheable(response: R, etag: str | None = None, vary: Iterable[str] = ("Accept",)) -> R:
    """Mark a response publicly cacheable: its strong ETag (if any), Vary and Cache-Control."""
    if etag is not None:
        response.set_etag(etag)
    for header in vary:
        response.vary.add(header)
    response.headers["Cache-Control"] = cache_control()
    return response


def not_modified(etag: str, vary: Iterable[str] = ("Accept",)) -> Response | None:
    """Return a 304 when the request's If-None-Match holds the ETag (weak comparison, as RFC 9110 says)."""
    if not request.if_none_match.contains_weak(etag):
        return None
    return cacheable(Response(status=304), etag, vary)


# -- arguments ------------------------------------------------------------------------------------------


def int_arg(name: str, default: int, low: int, high: int, value: str | None = None) -> int:
    """Read an integer request argument between `low` and `high` (`default` when absent or empty);
    anything else is a 400 that names the argument and its range."""
    raw = request.args.get(name) if value is None else value
    if raw is None or not raw.strip():
        return default
    choices = f"{low} or {high}" if high == low + 1 else f"from {low} to {high}"
    try:
        number = int(raw.strip())
    except ValueError:
        raise BadRequest(f"{name} must be a whole number {choices}; got {raw!r}.") from None
    if not low <= number <= high:
        raise BadRequest(f"{name} must be {choices}; got {number}.")
    return number
