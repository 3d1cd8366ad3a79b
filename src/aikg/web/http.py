"""What every blueprint shares: the current store, the one map from IRIs to the URLs that pages and the
API link them to (:func:`href`), and back, our own URLs (:func:`public_url`, :func:`absolute_url`), the
caching headers, and the request class that decodes every URL and form strictly.

An IRI BASE + "resource/AlphaGo" is served at /resource/AlphaGo (303 by content negotiation), and its
documents at /resource/AlphaGo.html, /resource/AlphaGo.ttl, .nt, .jsonld, .rdf. The same holds for
ontology terms under /ontology/. Slugs never contain a dot.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any, TypeVar
from urllib.parse import unquote_to_bytes, urlencode

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.wrappers import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.utils import cached_property
from werkzeug.wrappers import Response as BaseResponse

from aikg.config import Settings
from aikg.errors import BadRequest, UnsupportedMediaType
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


# -- our own URLs ----------------------------------------------------------------------------------------
# A response that a shared cache may store must not depend on the Host header unless it says Vary: Host,
# or one client's Host would be served to the next (cache poisoning). So: with BASE_URL set, every URL
# of ours is built from it. Without it, a header or a page links relatively (public_url), and only a
# format that needs an absolute IRI (RDF documents, the service description, a query's base IRI) takes
# it from Host, through absolute_url, which makes the response say Vary: Host.


def public_url(path: str) -> str:
    """Return the URL of one of our paths for a header or a page: under BASE_URL when it is set, else
    relative to the site's root (RFC 9110 and RFC 8288 resolve it against the request's URL)."""
    return (get_settings().base_url or request.script_root) + path


def absolute_url(path: str) -> str:
    """Return the absolute URL of one of our paths: under BASE_URL when it is set, else from the Host
    header, and then the response says Vary: Host (see :func:`vary_host`)."""
    base = get_settings().base_url
    if base:
        return f"{base}{path}"
    g.aikg_vary_host = True
    if not request.host:  # missing, or with characters a host name cannot have (Werkzeug checks)
        raise BadRequest("This answer holds absolute URLs, built from the Host header, and the request has no "
                         "valid Host header.")
    return f"{request.host_url.rstrip('/')}{request.script_root}{path}"


def vary_host(response: R) -> R:
    """Add Vary: Host to a response built with a URL from the Host header (an after-request hook)."""
    if g.get("aikg_vary_host"):
        response.vary.add("Host")
    return response


# -- what every response says about itself to a browser ---------------------------------------------------

#: The one Content-Security-Policy of every response. Scripts and styles come only from our own /static/
#: (no inline script or style attribute, no eval), YASQE included (static/vendor/yasqe/); images from us
#: or as data: URIs (the editor's drag image); requests only to us; no plugin, <base> or framing.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers older than CSP level 2
}


def security_headers(response: R) -> R:
    """Add the Content-Security-Policy, nosniff, Referrer-Policy and framing headers (an after-request hook)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


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


def uncacheable(response: R) -> R:
    """Mark a response that no cache may store or revalidate (an answer that can change from run to run)."""
    response.headers.pop("ETag", None)
    response.headers["Cache-Control"] = "no-store"
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


# --------------------------------------------------------------------------------------------------
# Strict UTF-8: Werkzeug keeps invalid bytes of a URL or a form as literal "%FF" text, and replaces them
# in a path or a multipart field, so a query or a label would silently become other text. Every text a
# client sends is decoded here, once, and refused when it is not UTF-8.
# --------------------------------------------------------------------------------------------------


def _utf8(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = e.object[e.start:e.end].hex(" ").upper()
        raise BadRequest(
            f"{where} is not valid UTF-8 (at byte {e.start} of the text, 0x{bad}: {e.reason}). Send text "
            "encoded as UTF-8 (percent-encoded in a URL or a form).",
            details={"encoding": "UTF-8", "offset": e.start},
        ) from None


def strict_pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    """Decode an application/x-www-form-urlencoded string (a URL's query or a form body), strictly."""
    pairs = []
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.replace(b"+", b" ").partition(b"=")
        key = _utf8(unquote_to_bytes(name), f"{where} (a parameter name)")
        pairs.append((key, _utf8(unquote_to_bytes(value), f"{where} (parameter {key!r})")))
    return pairs


def body_text(raw: bytes, what: str) -> str:
    """Decode a request body sent as UTF-8 text (a leading byte order mark is dropped)."""
    return _utf8(raw, what).removeprefix("\ufeff")


class _StrictForms(FormDataParser):
    """Parse URL-encoded forms strictly; refuse multipart forms, which no view of ours takes."""

    def _parse_urlencoded(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[IO[bytes], Any, Any]:
        return stream, self.cls(strict_pairs(stream.read(), "The form")), self.cls()

    def _parse_multipart(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[IO[bytes], Any, Any]:
        raise UnsupportedMediaType(
            "Forms are accepted as application/x-www-form-urlencoded; no form here uploads files, "
            "so multipart/form-data is not accepted."
        )


class StrictRequest(Request):
    """A request whose query string and form are decoded as strict UTF-8 (a 400 otherwise)."""

    form_data_parser_class = _StrictForms

    @cached_property
    def args(self) -> ImmutableMultiDict[str, str]:  # type: ignore[override]
        """The URL's query parameters, decoded strictly."""
        return ImmutableMultiDict(strict_pairs(self.query_string, "The URL's query string"))


def check_utf8() -> None:
    """Refuse a request whose path or query string is not UTF-8 (a before-request hook), before any view."""
    environ = request.environ
    # The request target as sent (gunicorn, granian and Werkzeug set RAW_URI), as latin-1 text (PEP 3333):
    # PATH_INFO is already percent-decoded, and Werkzeug's development server replaces invalid bytes there.
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = unquote_to_bytes(raw.split("?", 1)[0].encode("latin-1"))
    else:
        path = environ.get("PATH_INFO", "").encode("latin-1")
    _utf8(path, "The URL's path")
    request.args  # noqa: B018 (parsing checks it)
