"""One student of a course: every attempt at every exercise, with answers, verdicts, feedback,
and the results regrades replaced."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from grader.db import Enrolment, Exercise, Result, Submission, User
from grader.extensions import db
from grader.services import regrade
from grader.services.errors import NotFound
from grader.web.instructor.guard import taught_course

bp = Blueprint("students", __name__, url_prefix="/instructor")


@bp.get("/courses/<slug>/students/<int:user_id>")
def show(slug: str, user_id: int):
    """The student's attempts, newest first, grouped by exercise."""
    course = taught_course(slug)
    session = db.session
    student = session.scalar(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(User.id == user_id, Enrolment.course_id == course.id)
    )
    if student is None:
        raise NotFound(f"no student {user_id} in course '{slug}'")
    rows = session.execute(
        select(Submission, Result, Exercise)
        .outerjoin(Result, Result.submission_id == Submission.id)
        .join(Exercise, Exercise.id == Submission.exercise_id)
        .where(Submission.user_id == student.id, Submission.course_id == course.id)
        .order_by(Exercise.slug, Submission.attempt.desc(), Submission.id.desc())
    ).all()
    grouped: dict[str, list] = {}
    for submission, result, exercise in rows:
        grouped.setdefault(exercise.slug, []).append((submission, result, exercise))
    return render_template(
        "instructor/student.html",
        course=course,
        student=student,
        grouped=grouped,
        history=regrade.history(session, [s.id for s, _, _ in rows]),
    )
