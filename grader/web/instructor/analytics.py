"""An exercise's analytics page: the class's errors drawn on the computation graph, diagnoses and
wrong values per blank, the score histogram."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from grader.extensions import db
from grader.services import analytics, courses
from grader.web.instructor import numbers, report
from grader.web.instructor.charts import SERIES, share_color
from grader.web.instructor.guard import taught_course

bp = Blueprint("analytics", __name__, url_prefix="/instructor")


def chosen_basis() -> str:
    basis = request.args.get("basis", "first")
    return basis if basis in analytics.BASES else "first"


def by_number() -> bool:
    """The per-number breakdown is drawn unless ``?numbers=0`` leaves it out."""
    return request.args.get("numbers") != "0"


def picked_group() -> tuple[str | None, str | None]:
    """The drawn number and group whose errors the graph shows: ``?number=v&group=-1`` (the
    tables' links) or ``?pick=v|-1`` (the page's form)."""
    if "pick" in request.args:
        number, _, group = request.args["pick"].partition("|")
        return number, group
    return request.args.get("number"), request.args.get("group")


@bp.get("/courses/<slug>/exercises/<exercise_slug>/analytics")
def show(slug: str, exercise_slug: str):
    """Where the class goes wrong on this exercise, and why."""
    course = taught_course(slug)
    exercise = courses.find_exercise(db.session, exercise_slug, course)
    outdated = courses.outdated(db.session, course, exercise)
    return render_template(
        "instructor/analytics.html",
        course=course,
        report=report.build(
            db.session, course, exercise, chosen_basis(), outdated, by_number(), picked_group()
        ),
        series=SERIES,
        legend=[(f"{p}%", share_color(p / 100)) for p in (0, 10, 20, 35, 50, 100)],
        verdict_labels=report.VERDICT_LABELS,
        kind_labels=report.KIND_LABELS,
        diagnosis_label=report.diagnosis_label,
        number_rule=numbers.rule(),
    )
