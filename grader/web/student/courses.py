"""The student's courses, and a course's exercises with their best score, attempts and deadline."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from sqlalchemy import select

from grader.db import Course, Enrolment, utcnow
from grader.extensions import db
from grader.services import accounts, standing
from grader.web.auth import user
from grader.web.student.guard import login_page_required

bp = Blueprint("courses", __name__)


@bp.get("/courses")
@login_page_required
def index():
    """The courses the student is enrolled in; straight to the course when there is one."""
    rows = db.session.execute(
        select(Course, Enrolment.role)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user().id)
        .order_by(Course.title, Course.slug)
    ).all()
    if len(rows) == 1:
        return redirect(url_for("student.courses.show", slug=rows[0][0].slug))
    return render_template("student/courses.html", rows=rows)


@bp.get("/courses/<slug>")
@login_page_required
def show(slug: str):
    """The course's exercises, each with where the student stands on it."""
    session, me = db.session, user()
    course = accounts.course_of(session, me, slug)
    now = utcnow()
    return render_template(
        "student/course.html",
        course=course,
        standings=standing.course_standings(session, me, course, now),
        now=now,
    )
