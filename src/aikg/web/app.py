"""The application factory: the only place where the app is wired."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from aikg.config import load_config
from aikg.ingest.load import open_store
from aikg.store import Store
from aikg.store.gate import requester


def create_app(config: Mapping[str, Any] | None = None, *, store: Store | None = None) -> Flask:
    """Build the web app: settings, one store (validated data in memory unless told otherwise), blueprints."""
    settings = load_config(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["aikg"] = store if store is not None else open_store(settings)
    logging.getLogger("aikg").setLevel(logging.INFO)

    from aikg.web import api, handlers, linked, pages, sparql

    for module in (sparql, linked, api, pages):
        app.register_blueprint(module.bp)
    handlers.register(app)
    app.before_request(_identify)
    return app


def _identify() -> None:
    """Say whom this request's queries run for (the fair share of engine time is per client address)."""
    from flask import request

    requester.set(request.remote_addr)
