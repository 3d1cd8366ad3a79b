"""The application factory: the only place where the app is wired."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from aikg.config import load_config
from aikg.ingest.load import open_store
from aikg.store import Store


def create_app(config: Mapping[str, Any] | None = None, *, store: Store | None = None) -> Flask:
    """Build the web app: settings, one store (validated data in memory unless told otherwise), blueprints."""
    settings = load_config(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["aikg"] = store if store is not None else open_store(settings)
    logging.getLogger("aikg").setLevel(logging.INFO)

    from aikg.web import api, handlers, linked, pages, sparql, trends

    for module in (sparql, linked, api, pages, trends):
        app.register_blueprint(module.bp)
    handlers.register(app)
    return app
