"""What every blueprint shares: the current store, and the one map from IRIs to the URLs that pages and
the API link them to (:func:`href`), and back.

An IRI BASE + "resource/AlphaGo" is served at /resource/AlphaGo (303 by content negotiation), and its
documents at /resource/AlphaGo.html, /resource/AlphaGo.ttl, .nt, .jsonld, .rdf. The same holds for
ontology terms under /ontology/. Slugs never contain a dot.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, request

from aikg.namespaces import BASE
from aikg.store import Store

SERVED_SPACES = ("resource/", "ontology/")
_WEB = ("http://", "https://")


def get_store(app: Flask | None = None) -> Store:
    """Return the store of the current app."""
    return (app or current_app).extensions["aikg"]  # type: ignore[no-any-return]


def _base() -> str:
    try:
        return str(current_app.config.get("BASE_IRI") or BASE)
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
