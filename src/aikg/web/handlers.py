"""The single place where exceptions become responses: JSON for clients that ask for it, a page otherwise."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from aikg.errors import AikgError, BadRequest, PayloadTooLarge, RequestTimeout
from aikg.sparql.formats import accepts_html

log = logging.getLogger(__name__)

#: The environ key under which a server that read the request says it refused it: (status, message).
#: The app answers the refusal, so that it has the app's error shape (aikg.serving.front sets it).
REFUSED = "aikg.refused"
_REFUSALS: dict[int, type[AikgError]] = {400: BadRequest, 408: RequestTimeout, 413: PayloadTooLarge}


def _wants_html() -> bool:
    if request.path.endswith((".json", ".ttl", ".nt", ".jsonld", ".rdf")) or request.path.startswith("/api/"):
        return False
    accept = request.headers.get("Accept")
    if request.path.startswith("/sparql") and "html" not in (accept or ""):
        return False  # SPARQL clients and curl send */*: they get the JSON error, not a page
    return accepts_html(accept)


def error_response(status: int, title: str, message: str, details: object | None = None) -> Response:
    """Render one error as the documented JSON body {error, status, message[, details]}, or as a page."""
    body: dict[str, object] = {"error": title, "status": status, "message": message}
    if details is not None:
        body["details"] = details
    if _wants_html():
        try:
            html = render_template("error.html", error=body)
        except Exception:  # a broken template must not hide the original error
            log.exception("error page failed to render")
        else:
            return Response(html, status=status, mimetype="text/html")
    if request.path.startswith("/sparql") and request.headers.get("Accept", "").startswith("text/plain"):
        return Response(f"{title}: {message}\n", status=status, mimetype="text/plain")
    response = jsonify(body)
    response.status_code = status
    return response


def register(app: Flask) -> None:
    """Register the error handlers on the app."""

    @app.before_request
    def _refused() -> None:
        refused = request.environ.get(REFUSED)
        if refused:
            status, message = refused
            raise _REFUSALS.get(status, BadRequest)(message)

    @app.errorhandler(AikgError)
    def _aikg(e: AikgError) -> Response:
        if e.status_code >= 500:
            log.warning("%s: %s", e.title, e.message)
        response = error_response(e.status_code, e.title, e.message, e.details)
        if e.retry_after is not None:  # 429, and the 503s and 504s after which waiting helps
            response.headers["Retry-After"] = str(max(1, int(e.retry_after)))
        return response

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Response:
        response = error_response(e.code or 500, e.name, e.description or e.name)
        if e.code == 405 and e.response is None:
            allowed = getattr(e, "valid_methods", None)
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "Internal error", "Something went wrong on our side; it has been logged.")
