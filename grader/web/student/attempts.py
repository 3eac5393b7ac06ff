"""Attempts from the exercise page: submitted through the same service as the API (committed
``queued``, its id published, a worker grades it), then read back until graded."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext, ngettext

from grader import tasks
from grader.extensions import db
from grader.services import standing, submissions
from grader.services.errors import Conflict, Forbidden, NotFound
from grader.web.auth import user
from grader.web.marks import max_body, submission_view
from grader.web.student.context import StudentExercise, open_exercise
from grader.web.student.exercise import solution_html
from grader.web.student.guard import error_page, login_page_required, wants_json

bp = Blueprint("attempts", __name__, url_prefix="/courses/<slug>/exercises/<exercise_slug>")


@bp.post("/attempts")
@max_body("MAX_SUBMISSION_BYTES")
@submission_view
@login_page_required
def create(slug: str, exercise_slug: str):
    """Take the form's answers as a new attempt: 202 with its id for the page's script, or back
    to the page without one."""
    page = open_exercise(slug, exercise_slug)
    answers = {
        blank.id: request.form[blank.id].strip()
        for blank in page.spec.blanks
        if request.form.get(blank.id, "").strip()
    }
    key = request.form.get("idempotency_key") or None
    if page.standing.closed == "not_open":
        return refused(page)
    try:
        accepted = submissions.submit(
            db.session, user(), exercise_slug, answers, course_slug=slug, idempotency_key=key
        )
    except (Forbidden, Conflict):
        db.session.rollback()
        return refused(page)
    if accepted.new:
        tasks.publish_grading(accepted.id)
    target = url_for(".show", slug=slug, exercise_slug=exercise_slug, submission_id=accepted.id)
    if wants_json():
        return {"id": accepted.id, "status": accepted.status, "url": target}, 202
    return redirect(
        url_for("student.exercise.show_page", slug=slug, exercise_slug=exercise_slug)
        + f"#attempt-{accepted.id}",
        303,
    )


def refused(page: StudentExercise):
    """Say why no attempt is taken, in the reader's language."""
    fresh = standing.exercise_standing(
        db.session, user(), page.course, page.exercise, page.settings
    )
    if fresh.closed == "not_open":
        message = gettext(
            "This exercise is not open yet: it opens on %(when)s UTC.",
            when=format_datetime(fresh.opens_at, "d MMM y, HH:mm"),
        )
    elif fresh.closed == "attempts":
        message = ngettext(
            "You have used your %(num)d attempt at this exercise.",
            "You have used all %(num)d attempts at this exercise.",
            fresh.max_attempts or 0,
        )
    else:
        message = gettext("The deadline for this exercise has passed: no more attempts are taken.")
    if wants_json():
        return error_page(409 if fresh.closed == "attempts" else 403, "closed", message)
    flash(message, "error")
    return redirect(
        url_for(
            "student.exercise.show_page", slug=page.course.slug, exercise_slug=page.exercise.slug
        )
    )


@bp.get("/attempts/<int:submission_id>")
@login_page_required
def show(slug: str, exercise_slug: str, submission_id: int):
    """One of the student's attempts at this exercise: its status and, once graded, its verdicts."""
    page = open_exercise(slug, exercise_slug)
    row = submissions.readable(db.session, user(), submission_id)
    if row["course"] != page.course.slug or row["exercise"] != page.exercise.slug:
        raise NotFound(f"no submission {submission_id}")
    if row["student"] != user().email:
        raise NotFound(f"no submission {submission_id}")
    return page.shown(row).to_dict()


@bp.get("/attempts")
@login_page_required
def history(slug: str, exercise_slug: str):
    """The parts of the exercise page that change with each attempt: where the student stands,
    the attempt history, and (once revealed) the worked solution."""
    page = open_exercise(slug, exercise_slug)
    return render_template(
        "student/_refresh.html",
        page=page,
        attempts=page.attempts(),
        solution=solution_html(page),
    )
