"""(placeholder: filled by its issue)"""

from flask import Blueprint

bp = Blueprint("linked", __name__)
