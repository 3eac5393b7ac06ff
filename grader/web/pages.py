"""The site's pages; for now the front page that points to the API."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The front page."""
    return render_template("index.html", user=current_user)
