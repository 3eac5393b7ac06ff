"""Practice from the exercise page: "Practice with new numbers" and "A new graph like this one"
make the student's next practice; its page is worked like the exercise's, each attempt graded
in the request (no queue), with verdicts, hints, the expected values and the worked solution."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from grader.checking import feedback
from grader.checking.solution import solve
from grader.extensions import db
from grader.services import practice, practice_attempts
from grader.services.errors import Conflict
from grader.web.auth import user
from grader.web.i18n import current_language
from grader.web.marks import max_body, practice_view, preview_view, submission_view
from grader.web.student import drilltext, markdown, present, steps, worksheet
from grader.web.student.exercise import PRACTICES_LISTED
from grader.web.student.guard import login_page_required, wants_json

bp = Blueprint("practice", __name__, url_prefix="/courses/<slug>/exercises/<exercise_slug>")


def opened(slug: str, exercise_slug: str, number: int) -> practice.Opened:
    return practice.find(db.session, user(), exercise_slug, number, slug)


def shown(found: practice.Opened) -> list[present.Attempt]:
    """The practice's attempts as the page shows them, newest first."""
    made = practice_attempts.attempts(db.session, found)
    lang = current_language()
    return [
        present.attempt(practice_attempts.as_json(found, row, made, lang), found.spec)
        for row in made
    ]


def solution_html(found: practice.Opened, attempts: list):
    """The worked solution, once the student has made an attempt at the practice."""
    if not attempts:
        return None
    return markdown.render(solve(found.spec, found.variant, current_language()).markdown)


def precision(found: practice.Opened) -> str:
    """How precise each answer must be, in the reader's language."""
    return feedback.precision(found.spec, feedback.translator(current_language()))


@bp.post("/practice")
@max_body("MAX_SUBMISSION_BYTES")
@practice_view
@login_page_required
def create(slug: str, exercise_slug: str):
    """Make the next practice (``kind``: ``variant`` or ``drill``) and go to its page."""
    kind = request.form.get("kind", "variant")
    try:
        made = practice.start(db.session, user(), exercise_slug, slug, kind)
    except Conflict:
        db.session.rollback()
        flash(gettext("No other numbers can be drawn for this exercise: try a new graph like it."))
        return redirect(
            url_for("student.exercise.show_page", slug=slug, exercise_slug=exercise_slug)
        )
    number = made.practice.number
    target = url_for(".show", slug=slug, exercise_slug=exercise_slug, number=number)
    if wants_json():
        return {"number": number, "url": target}, 201
    return redirect(target, 303)


@bp.get("/practice/<int:number>")
@login_page_required
def show(slug: str, exercise_slug: str, number: int):
    """The practice's page: its task and graph, the form, its attempts and worked solution."""
    found = opened(slug, exercise_slug, number)
    attempts = shown(found)
    latest = attempts[0] if attempts else None
    problem = worksheet.problem(found.spec, found.variant, latest.answers if latest else None)
    if found.practice.kind == "drill":
        values = steps.step_values(found.spec, found.variant, 1, None)
        problem["text"] = drilltext.drill_text(found.spec, values)
    return render_template(
        "student/practice.html",
        page=found,
        **problem,
        numbers=", ".join(
            f"{name} = {value}" for name, value in problem["given"] + problem["params"]
        ),
        attempts=attempts,
        latest=latest,
        results={blank.id: blank for blank in latest.blanks} if latest else {},
        solution=solution_html(found, attempts),
        precision=precision(found),
        idempotency_key=uuid.uuid4().hex,
        practices=practice.listed(db.session, user(), found.course, found.exercise)[
            :PRACTICES_LISTED
        ],
        script_data=script_data(found, latest),
    )


@bp.post("/practice/<int:number>/attempts")
@max_body("MAX_SUBMISSION_BYTES")
@submission_view
@login_page_required
def create_attempt(slug: str, exercise_slug: str, number: int):
    """Grade the form's answers at once: 201 with the graded attempt for the page's script, or
    back to the page without one."""
    found = opened(slug, exercise_slug, number)
    answers = {
        blank.id: request.form[blank.id].strip()
        for blank in found.spec.blanks
        if request.form.get(blank.id, "").strip()
    }
    key = request.form.get("idempotency_key") or None
    row, _ = practice_attempts.submit(db.session, user(), found, answers, key)
    target = url_for(
        ".show_attempt", slug=slug, exercise_slug=exercise_slug, number=number, attempt_id=row.id
    )
    if wants_json():
        made = practice_attempts.attempts(db.session, found)
        graded = practice_attempts.as_json(found, row, made, current_language())
        view = present.attempt(graded, found.spec).to_dict()
        return {"id": row.id, "status": "graded", "url": target, "attempt": view}, 201
    page = url_for(".show", slug=slug, exercise_slug=exercise_slug, number=number)
    return redirect(f"{page}#attempt-{row.id}", 303)


@bp.get("/practice/<int:number>/attempts/<int:attempt_id>")
@login_page_required
def show_attempt(slug: str, exercise_slug: str, number: int, attempt_id: int):
    """One attempt at the practice, with its verdicts."""
    found = opened(slug, exercise_slug, number)
    row = practice_attempts.one(db.session, found, attempt_id)
    made = practice_attempts.attempts(db.session, found)
    graded = practice_attempts.as_json(found, row, made, current_language())
    return present.attempt(graded, found.spec).to_dict()


@bp.get("/practice/<int:number>/attempts")
@login_page_required
def history(slug: str, exercise_slug: str, number: int):
    """The parts of the practice's page that change with each attempt."""
    found = opened(slug, exercise_slug, number)
    attempts = shown(found)
    return render_template(
        "student/_practice_refresh.html",
        attempts=attempts,
        solution=solution_html(found, attempts),
        precision=precision(found),
    )


@bp.get("/practice/<int:number>/graph")
@preview_view
@login_page_required
def step_graph(slug: str, exercise_slug: str, number: int):
    """The graph of one training step of the practice from the new values typed before it."""
    found = opened(slug, exercise_slug, number)
    return worksheet.step_graph(found.spec, found.variant)


def script_data(found: practice.Opened, latest: present.Attempt | None) -> dict:
    """What the page's script needs, as on the exercise page."""
    where = {"slug": found.course.slug, "exercise_slug": found.exercise.slug}
    number = found.practice.number
    values = steps.step_values(found.spec, found.variant, 1, None)
    return {
        "dot": worksheet.dot(found.spec, values),
        "steps": found.spec.spec.steps,
        "graphUrl": url_for(".step_graph", **where, number=number),
        "submitUrl": url_for(".create_attempt", **where, number=number),
        "pollUrl": url_for(".show_attempt", **where, number=number, attempt_id=0),
        "historyUrl": url_for(".history", **where, number=number),
        "previewUrl": url_for("api.practice.preview", slug=found.exercise.slug, number=number),
        "course": found.course.slug,
        "exercise": found.exercise.slug,
        "practice": number,
        "latest": latest.to_dict() if latest else None,
        "words": worksheet.words(),
    }
