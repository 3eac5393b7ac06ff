"""The dashboard's figures as JSON, for scripts: ``/api/v1/courses/<slug>/exercises/<id>/analytics``."""

from __future__ import annotations

from flask import Blueprint

from grader.extensions import db
from grader.services import courses
from grader.web.instructor import report
from grader.web.instructor.analytics import chosen_basis
from grader.web.instructor.guard import taught_course

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/courses/<slug>/exercises/<exercise_slug>/analytics")
def analytics(slug: str, exercise_slug: str):
    """Overview, histogram and per-blank figures (``?basis=first|best|last``)."""
    course = taught_course(slug)
    exercise = courses.find_exercise(db.session, exercise_slug)
    return report.build(db.session, course, exercise, chosen_basis()).as_json()
