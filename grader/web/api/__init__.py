"""The JSON API under ``/api/v1``: one blueprint per resource."""

from flask import Blueprint

from grader.web.api import (
    batches,
    courses,
    exercises,
    health,
    openapi,
    practice,
    session,
    submissions,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
for module in (health, session, submissions, exercises, practice, batches, courses, openapi):
    bp.register_blueprint(module.bp)
