"""``/courses``: the caller's courses, and a course's gradebook as CSV (instructors)."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import login_required
from sqlalchemy import select

from grader.db import Course, Enrolment
from grader.extensions import db
from grader.services import accounts, gradebook
from grader.web.auth import user

bp = Blueprint("courses", __name__)


@bp.get("/courses")
@login_required
def index():
    """The courses the caller is enrolled in, with their role in each."""
    rows = db.session.execute(
        select(Course.slug, Course.title, Enrolment.role)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user().id)
        .order_by(Course.slug)
    )
    return {"courses": [{"slug": s, "title": t, "role": r} for s, t, r in rows]}


@bp.get("/courses/<slug>/gradebook.csv")
@login_required
def gradebook_csv(slug: str):
    """Every student's best score per exercise."""
    course = accounts.course_taught(db.session, user(), slug)
    return Response(
        gradebook.gradebook_csv(db.session, course),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{slug}-gradebook.csv"'},
    )
