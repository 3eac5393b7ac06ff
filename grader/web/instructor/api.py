"""The instructor's API, for scripts: a course's analytics as JSON and its gradebook as CSV
(``/api/v1/courses/<slug>/...``), guarded with the rest of the dashboard's blueprint."""

from __future__ import annotations

from flask import Blueprint, Response

from grader.extensions import db
from grader.services import courses, gradebook
from grader.web.instructor import report
from grader.web.instructor.analytics import by_number, chosen_basis
from grader.web.instructor.guard import taught_course

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/courses/<slug>/exercises/<exercise_slug>/analytics")
def analytics(slug: str, exercise_slug: str):
    """Overview, histogram, per-blank figures and the per-number breakdown
    (``?basis=first|best|last``; ``?numbers=0`` leaves the breakdown out)."""
    course = taught_course(slug)
    exercise = courses.find_exercise(db.session, exercise_slug, course)
    built = report.build(db.session, course, exercise, chosen_basis(), by_number=by_number())
    return built.as_json()


@bp.get("/courses/<slug>/gradebook.csv")
def gradebook_csv(slug: str):
    """Every student's best score per exercise."""
    course = taught_course(slug)
    return Response(
        gradebook.gradebook_csv(db.session, course),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{slug}-gradebook.csv"'},
    )
