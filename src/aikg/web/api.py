"""(placeholder: filled by its issue)"""

from flask import Blueprint

bp = Blueprint("api", __name__)
