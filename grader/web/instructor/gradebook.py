"""The gradebook page: students by exercises, best scores in course points, sortable; the same
figures as the CSV export."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from grader.extensions import db
from grader.services import gradebook as book
from grader.web.instructor.guard import taught_course

bp = Blueprint("gradebook", __name__, url_prefix="/instructor")


@bp.get("/courses/<slug>/gradebook")
def show(slug: str):
    """Every enrolled student's best score on every offered exercise, and their total: a page
    of ``GRADEBOOK_PAGE`` students, sorted over all of them by ``?sort=`` (``student``,
    ``total`` or an exercise) and ``?order=asc|desc``. A gradebook of one page also sorts in
    the browser, at a click on a heading."""
    course = taught_course(slug)
    whole = book.gradebook(db.session, course)
    page = book.page_of(
        whole,
        request.args.get("sort", "student"),
        request.args.get("order", ""),
        request.args.get("page", 1),
        current_app.config["GRADEBOOK_PAGE"],
    )
    return render_template(
        "instructor/gradebook.html", course=course, book=whole, page=page, number=book.number
    )
