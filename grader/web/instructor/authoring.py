"""The exercise editor: a new exercise of the course, or a new version of one of its own, typed
as YAML beside a live preview (``preview``, JSON, rate-limited as answer previews are); the
history of its versions with the differences between any two; an admin's sharing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from grader.extensions import db
from grader.services import authoring, courses, sharing
from grader.services.errors import Invalid, ServiceError
from grader.web.api.body import json_object
from grader.web.auth import user
from grader.web.errors import json_error
from grader.web.i18n import current_language
from grader.web.instructor import editor_preview
from grader.web.instructor.guard import taught_course
from grader.web.marks import max_body, preview_view

bp = Blueprint("authoring", __name__, url_prefix="/instructor/courses/<slug>")


@bp.route("/exercises/new", methods=["GET", "POST"])
@max_body("MAX_EXERCISE_BYTES")
def new(slug: str):
    """An empty editor; saving makes the course's new exercise (withdrawn until offered)."""
    course = taught_course(slug)
    source, problems = "", []
    if request.method == "POST":
        source = request.form.get("source", "")
        try:
            saved = authoring.create(db.session, course, user(), source)
        except authoring.NotValid as exc:
            db.session.rollback()
            problems = exc.problems
        else:
            flash(
                gettext(
                    "%(name)s saved as version %(number)d. Offer it to the students from the course's exercises when it is ready.",
                    name=saved.version.exercise.slug,
                    number=saved.number,
                ),
                "success",
            )
            return redirect(url_for(".edit", slug=slug, exercise_slug=saved.version.exercise.slug))
    return _editor(course, None, source, problems)


@bp.route("/exercises/<exercise_slug>/edit", methods=["GET", "POST"])
@max_body("MAX_EXERCISE_BYTES")
def edit(slug: str, exercise_slug: str):
    """The editor on the current version; saving makes a new version."""
    course = taught_course(slug)
    row = authoring.owned_exercise(db.session, course, exercise_slug)
    problems = []
    if request.method == "POST":
        source = request.form.get("source", "")
        try:
            saved = authoring.save(db.session, course, user(), row, source)
        except authoring.NotValid as exc:
            db.session.rollback()
            problems = exc.problems
        else:
            if saved.new:
                message = gettext("Saved as version %(number)d.", number=saved.number)
            else:
                message = gettext("Version %(number)d is current.", number=saved.number)
            flash(message, "success")
            return redirect(url_for(".edit", slug=slug, exercise_slug=exercise_slug))
    else:
        source = authoring.current_source(db.session, row)
    return _editor(course, row, source, problems)


@bp.post("/exercises/preview")
@max_body("MAX_EXERCISE_BYTES")
@preview_view
def preview(slug: str):
    """The editor's preview of ``{"source", "sample"}``: problems by line, else the graph, the
    sample's values, the blanks' reference values and the worked solution. Nothing is stored."""
    try:
        taught_course(slug)
        body = json_object()
        source, sample = body.get("source"), body.get("sample", 0)
        if not isinstance(source, str):
            raise Invalid("'source' must be the exercise's YAML text")
        if not isinstance(sample, int) or isinstance(sample, bool) or sample < 0:
            raise Invalid("'sample' must be a whole number, 0 or more")
    except ServiceError as exc:
        return json_error(exc.status, exc.code, exc.message)
    return editor_preview.preview(source, sample, current_language())


@bp.get("/exercises/<exercise_slug>/history")
def history(slug: str, exercise_slug: str):
    """Every version with who saved it and when; ``?old=N&new=M``: their differences."""
    course = taught_course(slug)
    row = authoring.owned_exercise(db.session, course, exercise_slug)
    entries = authoring.history(db.session, row)
    old = request.args.get("old", type=int)
    new = request.args.get("new", type=int)
    if old is None and len(entries) > 1:
        old, new = entries[1].number, entries[0].number
    diff = authoring.diff(db.session, row, old, new) if old and new else None
    return render_template(
        "instructor/history.html",
        course=course,
        exercise=row,
        entries=entries,
        old=old,
        new=new,
        diff=diff,
    )


@bp.post("/exercises/<exercise_slug>/shares")
def share(slug: str, exercise_slug: str):
    """An admin shares the exercise with another course (``course``), or stops (``stop=1``)."""
    course = taught_course(slug)
    row = authoring.owned_exercise(db.session, course, exercise_slug)
    other = request.form.get("course", "")
    try:
        if request.form.get("stop") == "1":
            done = sharing.unshare(db.session, user(), row, other)
            flash(gettext("No longer shared with %(course)s.", course=done.slug), "success")
        else:
            done = sharing.share(db.session, user(), row, other)
            flash(gettext("Shared with %(course)s.", course=done.slug), "success")
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for(".edit", slug=slug, exercise_slug=exercise_slug))


def _editor(course, row, source: str, problems: list):
    """The editor page (422 when the text posted did not check)."""
    outdated = courses.outdated(db.session, course, row) if row is not None else 0
    return render_template(
        "instructor/editor.html",
        course=course,
        exercise=row,
        source=source,
        problems=problems,
        outdated=outdated,
        shared=sharing.shared_with(db.session, row) if row is not None else [],
        script_data={
            "previewUrl": url_for(".preview", slug=course.slug),
            "words": {
                "checking": gettext("Checking…"),
                "ok": gettext("No problems: the exercise can be saved."),
                "problems": gettext("Problems"),
                "line": gettext("line %(number)d"),
                "offline": gettext(
                    "The preview could not be reached; saving still checks the exercise."
                ),
            },
        },
    ), (422 if problems else 200)
