"""The gradebook page: students by exercises, best scores in course points, sortable; the same
figures as the CSV export."""

from __future__ import annotations

from flask import Blueprint, render_template

from grader.extensions import db
from grader.services import gradebook as book
from grader.web.instructor.guard import taught_course

bp = Blueprint("gradebook", __name__, url_prefix="/instructor")


@bp.get("/courses/<slug>/gradebook")
def show(slug: str):
    """Every enrolled student's best score on every offered exercise, and their total."""
    course = taught_course(slug)
    return render_template(
        "instructor/gradebook.html",
        course=course,
        book=book.gradebook(db.session, course),
        number=book.number,
    )
