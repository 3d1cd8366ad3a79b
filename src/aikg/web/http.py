"""What every blueprint shares: the current store, and the map from IRIs of aikg's own namespaces to the URLs
that serve them, and back.

An IRI BASE + "resource/AlphaGo" is served at /resource/AlphaGo (303 by content negotiation), and its
documents at /resource/AlphaGo.html, /resource/AlphaGo.ttl, .nt, .jsonld, .rdf. The same holds for
ontology terms under /ontology/. Slugs never contain a dot.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from aikg.namespaces import BASE
from aikg.store import Store

SERVED_SPACES = ("resource/", "ontology/")


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


def doc_url(iri: str, ext: str) -> str | None:
    """Return the URL of one representation (html, ttl, nt, jsonld, rdf) of an IRI of ours."""
    path = local_path(iri)
    if path is None:
        return None
    return f"{request.script_root}{path}.{ext}" if request else f"{path}.{ext}"


def page_url(iri: str) -> str | None:
    """Return the URL of an IRI's HTML page, or None for an outside IRI."""
    return doc_url(iri, "html")


def iri_for(path: str) -> str:
    """Return the canonical IRI for a served path such as 'resource/AlphaGo'."""
    return _base() + path.lstrip("/")
