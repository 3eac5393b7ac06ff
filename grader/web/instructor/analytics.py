"""An exercise's analytics page: the class's errors drawn on the computation graph, diagnoses and
wrong values per blank, the score histogram."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from grader.extensions import db
from grader.services import analytics, courses
from grader.web.instructor import report
from grader.web.instructor.charts import SERIES, share_color
from grader.web.instructor.guard import taught_course

bp = Blueprint("analytics", __name__, url_prefix="/instructor")


def chosen_basis() -> str:
    basis = request.args.get("basis", "first")
    return basis if basis in analytics.BASES else "first"


@bp.get("/courses/<slug>/exercises/<exercise_slug>/analytics")
def show(slug: str, exercise_slug: str):
    """Where the class goes wrong on this exercise, and why."""
    course = taught_course(slug)
    exercise = courses.find_exercise(db.session, exercise_slug, course)
    outdated = courses.outdated(db.session, course, exercise)
    return render_template(
        "instructor/analytics.html",
        course=course,
        report=report.build(db.session, course, exercise, chosen_basis(), outdated),
        series=SERIES,
        legend=[(f"{p}%", share_color(p / 100)) for p in (0, 10, 20, 35, 50, 100)],
        verdict_labels=report.VERDICT_LABELS,
        kind_labels=report.KIND_LABELS,
        diagnosis_label=report.diagnosis_label,
    )
