"""The web layer: blueprints, one per concern, thin over the domain modules."""

from aikg.app import create_app

__all__ = ["create_app"]
