""" "Try it as a student": an exercise of the course on the student's own page, with the variant
the instructor would draw as a student, each attempt graded in the request and then thrown
away. Nothing is stored: no submission, no attempt counted, nothing in analytics."""

from __future__ import annotations

import uuid

from flask import Blueprint, render_template, request, url_for

from grader.checking import grade
from grader.extensions import db
from grader.services import courses, exercises, variants
from grader.services.previews import preview_of
from grader.services.submissions import clean_answers
from grader.web.api.body import json_object
from grader.web.auth import user
from grader.web.i18n import current_language
from grader.web.instructor.guard import taught_course
from grader.web.marks import max_body, preview_view, submission_view
from grader.web.student import present, worksheet

bp = Blueprint(
    "trial", __name__, url_prefix="/instructor/courses/<slug>/exercises/<exercise_slug>/try"
)


def opened(slug: str, exercise_slug: str):
    """The course, the exercise, its current version's blanks, grading core and the caller's
    variant, as a student of the course would draw it."""
    course = taught_course(slug)
    row = courses.find_exercise(db.session, exercise_slug, course)
    version = exercises.current_version(db.session, row)
    spec = exercises.load_version(version)
    variant = spec.draw_variant(course.secret, variants.student_key(user()))
    return course, row, version, spec, variant


@bp.get("")
def show(slug: str, exercise_slug: str):
    """The exercise page as a student sees it, marked as a trial."""
    course, row, _, spec, variant = opened(slug, exercise_slug)
    where = {"slug": slug, "exercise_slug": exercise_slug}
    values = {name: value[0] for name, value in spec.evaluate([variant])[0].values.items()}
    return render_template(
        "instructor/try.html",
        course=course,
        exercise=row,
        spec=spec,
        **worksheet.problem(spec, variant, None),
        latest=None,
        results={},
        idempotency_key=uuid.uuid4().hex,
        owned=row.owner_course_id == course.id,
        script_data={
            "dot": worksheet.dot(spec, values),
            "steps": spec.spec.steps,
            "graphUrl": url_for(".step_graph", **where),
            "submitUrl": url_for(".attempt", **where),
            "pollUrl": url_for(".show", **where),
            "historyUrl": url_for(".parts", **where),
            "previewUrl": url_for(".preview", **where),
            "course": slug,
            "exercise": exercise_slug,
            "latest": None,
            "words": worksheet.words(),
        },
    )


@bp.post("/attempts")
@max_body("MAX_SUBMISSION_BYTES")
@submission_view
def attempt(slug: str, exercise_slug: str):
    """Grade the form's answers and give the verdicts back; nothing is kept."""
    _, _, version, spec, variant = opened(slug, exercise_slug)
    answers = {
        blank.id: request.form[blank.id].strip()
        for blank in spec.blanks
        if request.form.get(blank.id, "").strip()
    }
    result = grade(spec, variant, clean_answers(version.blanks, answers))
    graded = {
        "id": 0,
        "attempt": 1,
        "status": "graded",
        "answers": answers,
        "score": result["score"],
        "max_score": result["max_score"],
        "blanks": {blank: {**entry, "hint": None} for blank, entry in result["blanks"].items()},
    }
    view = present.attempt(graded, spec).to_dict()
    return {"status": "graded", "trial": True, "attempt": view}, 201


@bp.post("/preview")
@preview_view
def preview(slug: str, exercise_slug: str):
    """How each answer will be read, as on the student's page."""
    _, row, version, spec, _ = opened(slug, exercise_slug)
    answers = json_object().get("answers")
    return preview_of(row.slug, spec, version.blanks, answers, current_language())


@bp.get("/parts")
def parts(slug: str, exercise_slug: str):
    """The parts of a student's page that change with an attempt: none on a trial."""
    opened(slug, exercise_slug)
    return ""


@bp.get("/graph")
@preview_view
def step_graph(slug: str, exercise_slug: str):
    """The graph of one training step from the new values typed for the step before."""
    _, _, _, spec, variant = opened(slug, exercise_slug)
    return worksheet.step_graph(spec, variant)
