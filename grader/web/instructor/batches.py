"""Regrading an exercise after its file changed, and a batch's progress."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from grader import tasks
from grader.db import Batch, Exercise
from grader.extensions import db
from grader.services import batches, regrade
from grader.services.errors import Conflict, Invalid, NotFound
from grader.web.auth import user
from grader.web.instructor.guard import taught_course

bp = Blueprint("batches", __name__, url_prefix="/instructor")
RECENT = 20


@bp.post("/courses/<slug>/exercises/<exercise_slug>/regrade")
def start(slug: str, exercise_slug: str):
    """Regrade every submission against the current version, with the values each was answered
    with (``redraw=1`` with ``confirm`` ticked: values drawn anew); archive the results it
    replaces. Refused while another regrade of the exercise runs, or a redraw unconfirmed."""
    course = taught_course(slug)
    redraw = request.form.get("redraw") == "1"
    try:
        batch = regrade.start(
            db.session,
            user(),
            course,
            exercise_slug,
            redraw=redraw,
            confirmed=request.form.get("confirm") == "1",
        )
    except (Conflict, Invalid) as exc:
        flash(_refusal(exc, exercise_slug, redraw), "error")
        return redirect(url_for("instructor.courses.show", slug=slug))
    if not tasks.publish(tasks.RUN_BATCH, batch.id):
        flash(
            gettext("The queue is not answering: the regrade will start when it is back."), "error"
        )
    return redirect(url_for("instructor.batches.show", slug=slug, batch_id=batch.id))


def _refusal(exc: Conflict | Invalid, exercise_slug: str, redraw: bool) -> str:
    """Why the regrade did not start, in the reader's language."""
    if isinstance(exc, regrade.RegradeRunning):
        return gettext(
            "A regrade of %(name)s is still running (batch %(id)d): start another when it is done.",
            name=exercise_slug,
            id=exc.batch_id,
        )
    if redraw and isinstance(exc, Invalid):
        return gettext(
            "Tick the box to confirm that every submission is graded against new numbers, which its student never saw."
        )
    return exc.message


@bp.get("/courses/<slug>/batches/")
def index(slug: str):
    """The course's recent batches."""
    course = taught_course(slug)
    rows = db.session.execute(
        select(Batch, Exercise.slug)
        .outerjoin(Exercise, Exercise.id == Batch.exercise_id)
        .where(Batch.course_id == course.id)
        .order_by(Batch.id.desc())
        .limit(RECENT)
    ).all()
    return render_template("instructor/batches.html", course=course, rows=rows)


@bp.get("/courses/<slug>/batches/<int:batch_id>")
def show(slug: str, batch_id: int):
    """A batch's progress, updated in place while it runs."""
    course = taught_course(slug)
    batch = db.session.get(Batch, batch_id)
    if batch is None or batch.course_id != course.id:
        raise NotFound(f"no batch {batch_id} in course '{slug}'")
    exercise = db.session.get(Exercise, batch.exercise_id) if batch.exercise_id else None
    return render_template(
        "instructor/batch.html",
        course=course,
        exercise=exercise,
        progress=batches.progress(db.session, user(), batch_id),
    )
