"""A course's LMS page: where each student's score stands in the LMS's gradebook (sent,
waiting, failed with the reason), resending, and the roster read from the LMS."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from grader import tasks
from grader.db import LtiContext, LtiPlatform
from grader.extensions import db
from grader.services.errors import ServiceError
from grader.services.lti import passback, passback_status, roster
from grader.web.instructor.guard import taught_course

bp = Blueprint("lms", __name__, url_prefix="/instructor")


def page(course, status: int = 200, **context):
    platforms = db.session.scalars(
        select(LtiPlatform.issuer)
        .join(LtiContext, LtiContext.platform_id == LtiPlatform.id)
        .where(LtiContext.course_id == course.id)
        .distinct()
    ).all()
    return render_template(
        "instructor/lms.html",
        course=course,
        platforms=platforms,
        rows=passback_status.statuses(db.session, course.id),
        **context,
    ), status


@bp.get("/courses/<slug>/lms")
def show(slug: str):
    return page(taught_course(slug))


@bp.post("/courses/<slug>/lms/resend")
def resend(slug: str):
    """Send again one student's score (``passback``), or every score that failed or waits."""
    course = taught_course(slug)
    raw = request.form.get("passback", "")
    chosen = [int(raw)] if raw.isdigit() else None
    ids = passback.resend(db.session, course.id, chosen)
    tasks.publish_scores(ids)
    return redirect(url_for(".show", slug=slug, resent=len(ids)), 303)


@bp.post("/courses/<slug>/lms/roster")
def sync_roster(slug: str):
    """Enrol the course's members as the LMS lists them."""
    course = taught_course(slug)
    try:
        report = roster.sync(db.session, course)
    except ServiceError as exc:
        db.session.rollback()
        return page(course, exc.status, roster_error=exc.message)
    return page(course, synced=report, message=gettext("The roster was read from the LMS."))
