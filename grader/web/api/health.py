"""``GET /health``: is the database reachable (and the broker, when there is one)."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

from grader.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """200 when the database answers, 503 otherwise."""
    checks = {"database": "ok", "broker": "embedded" if current_app.config["EMBEDDED"] else "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        checks["database"] = "unreachable"
    if not current_app.config["EMBEDDED"]:
        try:
            with current_app.extensions["celery"].connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception:
            checks["broker"] = "unreachable"
    ok = checks["database"] == "ok"
    return {"status": "ok" if ok else "unavailable", **checks}, 200 if ok else 503
