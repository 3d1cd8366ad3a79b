"""aikg's app for gunicorn, for when `aikg serve` is not there: BENCH_DATA (a data file, or empty for the
shipped data) is served without validation, which the scale benchmark times on its own."""

from __future__ import annotations

import os

from aikg.web.app import create_app

_data = os.environ.get("BENCH_DATA")
app = create_app({"DATA": [_data] if _data else None, "VALIDATE": False})
