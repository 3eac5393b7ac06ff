"""``/submissions``: submit answers (queued, then graded by a worker) and read them back."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import login_required

from grader import tasks
from grader.extensions import db
from grader.services import previews, standing, submissions
from grader.web.api.body import json_object
from grader.web.auth import user
from grader.web.i18n import current_language
from grader.web.marks import max_body, preview_view, submission_view

bp = Blueprint("submissions", __name__)


@bp.post("/submissions")
@max_body("MAX_SUBMISSION_BYTES")
@submission_view
@login_required
def create():
    """Commit the submission as queued, then publish its id; 202 even if publishing failed."""
    body = json_object()
    accepted = submissions.submit(
        db.session,
        user(),
        body.get("exercise"),
        body.get("answers"),
        course_slug=body.get("course"),
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    if accepted.new:
        tasks.publish_grading(accepted.id)
    return {"id": accepted.id, "status": accepted.status}, 202


@bp.post("/submissions/preview")
@max_body("MAX_SUBMISSION_BYTES")
@preview_view
@login_required
def preview():
    """How each answer will be read, in the reader's language: no verdict, no attempt spent,
    nothing stored."""
    body = json_object()
    return previews.read_back(
        db.session,
        user(),
        body.get("exercise"),
        body.get("answers"),
        course_slug=body.get("course"),
        lang=current_language(),
    )


@bp.get("/submissions/<int:submission_id>")
@login_required
def show(submission_id: int):
    """The submission's status and, once graded, its result (expected values once revealed),
    what the attempt is worth and the hints its wrong blanks offer (in the reader's language)."""
    me = user()
    found = submissions.readable(db.session, me, submission_id)
    return standing.disclosed_to(db.session, me, found, current_language())
