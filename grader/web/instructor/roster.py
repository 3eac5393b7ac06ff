"""A course's roster: who is in it, importing students from CSV, enrolling instructors."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext

from grader.extensions import db
from grader.services import roster
from grader.services.errors import Invalid, ServiceError
from grader.web.instructor.guard import taught_course

bp = Blueprint("roster", __name__, url_prefix="/instructor")


def page(course, status: int = 200, **context):
    return render_template(
        "instructor/roster.html",
        course=course,
        members=roster.members(db.session, course),
        **context,
    ), status


@bp.get("/courses/<slug>/roster")
def show(slug: str):
    """Everyone in the course, with the import and enrol forms."""
    return page(taught_course(slug))


@bp.post("/courses/<slug>/roster")
def import_csv(slug: str):
    """Import students from an uploaded CSV file or pasted CSV text (email, name)."""
    course = taught_course(slug)
    upload = request.files.get("file")
    raw = upload.read() if upload is not None and upload.filename else None
    text = request.form.get("csv", "")
    if raw is not None:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("the file is not UTF-8 text: save it as CSV UTF-8") from None
    if not text.strip():
        return page(
            course, 422, import_error=gettext("Choose a CSV file or paste rows of email, name.")
        )
    report = roster.import_roster(db.session, course, text)
    return page(course, report=report)


@bp.post("/courses/<slug>/instructors")
def enrol_instructor(slug: str):
    """Make someone an instructor of the course (a new account gets a first password)."""
    course = taught_course(slug)
    try:
        created = roster.enrol_instructor(
            db.session, course, request.form.get("email", ""), request.form.get("name", "")
        )
    except ServiceError as exc:
        db.session.rollback()
        return page(course, exc.status, instructor_error=exc.message)
    return page(
        course,
        instructor_added=request.form.get("email", "").strip().lower(),
        instructor_account=created,
    )
