"""``/exercises/<id>/practice``: new numbers for an exercise or a new graph like it, as often as
the caller likes, graded at once and never counted."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import login_required

from grader.extensions import db
from grader.services import practice, practice_attempts
from grader.services.previews import preview_of
from grader.web.api.body import BadBody, parsed_json
from grader.web.auth import user
from grader.web.i18n import current_language
from grader.web.marks import max_body, practice_view, preview_view, submission_view

bp = Blueprint("practice", __name__, url_prefix="/exercises/<slug>/practice")


def body() -> dict:
    """The JSON object body; none at all is an empty one."""
    found = parsed_json()
    if found is None and not request.get_data(cache=True):
        return {}
    if not isinstance(found, dict):
        raise BadBody("the body must be a JSON object (Content-Type: application/json)")
    return found


def course_named(found: dict) -> str | None:
    """The course named in the body, else in the query string."""
    return found.get("course", request.args.get("course"))


@bp.post("")
@max_body("MAX_SUBMISSION_BYTES")
@practice_view
@login_required
def create(slug: str):
    """Make the caller's next practice: ``{"kind": "variant"}`` (new numbers, the default) or
    ``{"kind": "drill"}`` (a new graph like this one)."""
    found = body()
    made = practice.start(
        db.session, user(), slug, course_named(found), found.get("kind", "variant")
    )
    return practice_attempts.practice_json(db.session, made, current_language()), 201


@bp.get("")
@login_required
def index(slug: str):
    """The caller's practices of the exercise, newest first."""
    course, exercise, _, _ = practice.offered(db.session, user(), slug, request.args.get("course"))
    rows = practice.listed(db.session, user(), course, exercise)
    return {
        "exercise": exercise.slug,
        "course": course.slug,
        "practices": [
            {"number": row.number, "kind": row.kind, "created_at": row.created_at.isoformat()}
            for row in rows
        ],
    }


@bp.get("/<int:number>")
@login_required
def show(slug: str, number: int):
    """One of the caller's practices, its attempts and (after one) the worked solution."""
    found = practice.find(db.session, user(), slug, number, request.args.get("course"))
    return practice_attempts.practice_json(db.session, found, current_language())


@bp.post("/<int:number>/submissions")
@max_body("MAX_SUBMISSION_BYTES")
@submission_view
@login_required
def submit(slug: str, number: int):
    """Grade answers to the practice at once: 201 with the graded attempt (``"practice":
    true``); 200 with the earlier one for an ``Idempotency-Key`` used before."""
    found = body()
    opened = practice.find(db.session, user(), slug, number, course_named(found))
    row, new = practice_attempts.submit(
        db.session,
        user(),
        opened,
        found.get("answers"),
        request.headers.get("Idempotency-Key"),
    )
    made = practice_attempts.attempts(db.session, opened)
    reply = practice_attempts.as_json(opened, row, made, current_language())
    return reply, 201 if new else 200


@bp.post("/<int:number>/preview")
@max_body("MAX_SUBMISSION_BYTES")
@preview_view
@login_required
def preview(slug: str, number: int):
    """How each answer to the practice will be read: no verdict, nothing stored."""
    found = body()
    opened = practice.find(db.session, user(), slug, number, course_named(found))
    return preview_of(
        opened.exercise.slug,
        opened.spec,
        practice_attempts.blanks_of(opened),
        found.get("answers"),
        current_language(),
    )
