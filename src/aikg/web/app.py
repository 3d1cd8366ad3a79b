"""The application factory: the only place where the app is wired."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from aikg.config import Settings, load_config
from aikg.ingest.load import open_store
from aikg.store import Store
from aikg.store.gate import requester
from aikg.web import pagecache
from aikg.web.http import SETTINGS, StrictRequest, check_utf8, href, security_headers, vary_host


def create_app(config: Mapping[str, Any] | Settings | None = None, *, store: Store | None = None) -> Flask:
    """Build the web app: settings, one store (validated data in memory unless told otherwise), blueprints.

    `config` is a Settings, or a mapping of setting keys (QUERY_TIMEOUT, ...) and Flask's own keys
    (TESTING, ...): those go to app.config, the others to the app's Settings.
    """
    if isinstance(config, Settings):
        settings, flask_keys = config, {}
    else:
        given = dict(config or {})
        flask_keys = {k: given.pop(k) for k in list(given) if k in Flask.default_config}
        settings = load_config(given)
    app = Flask(__name__)
    app.request_class = StrictRequest
    app.before_request(check_utf8)
    app.before_request(pagecache.answer_from_cache)  # a no-op unless `aikg serve` gave the app a page cache
    app.after_request(pagecache.keep_in_cache)  # registered first, so it runs last: after Vary and the headers
    app.after_request(vary_host)
    app.after_request(security_headers)
    app.config.update(flask_keys)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[SETTINGS] = settings
    app.extensions["aikg"] = store if store is not None else open_store(settings)
    logging.getLogger("aikg").setLevel(logging.INFO)

    from aikg.web import api, handlers, linked, lists, pages, sparql, trends

    for module in (sparql, linked, api, pages, lists, trends):
        app.register_blueprint(module.bp)
    handlers.register(app)
    app.before_request(_identify)
    app.add_template_global(href)
    return app


def _identify() -> None:
    """Say whom this request's queries run for (the fair share of engine time is per client address)."""
    from flask import request

    requester.set(request.remote_addr)
