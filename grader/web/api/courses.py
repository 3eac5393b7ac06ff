"""``/courses``: the caller's courses (a course's gradebook as CSV is the instructor's API:
``grader/web/instructor/api.py``)."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required
from sqlalchemy import select

from grader.db import Course, Enrolment
from grader.extensions import db
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
