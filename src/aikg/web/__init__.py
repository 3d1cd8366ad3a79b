"""The web layer: the app factory (web/app.py), one small http module, and one blueprint per concern."""
