"""The exercise page: the text, the graph with the student's values, one input per blank."""

from __future__ import annotations

import uuid

from flask import Blueprint, render_template, url_for

from grader.checking.solution import solve
from grader.extensions import db
from grader.services import practice
from grader.web.auth import user
from grader.web.i18n import current_language
from grader.web.marks import preview_view
from grader.web.student import markdown, present, worksheet
from grader.web.student.context import StudentExercise, open_exercise
from grader.web.student.guard import login_page_required

bp = Blueprint("exercise", __name__)
PRACTICES_LISTED = 10


@bp.get("/courses/<slug>/exercises/<exercise_slug>")
@login_page_required
def show_page(slug: str, exercise_slug: str):
    """The exercise, the student's last answers and verdicts, and their attempt history."""
    page = open_exercise(slug, exercise_slug)
    if page.standing.closed == "not_open":
        return render_template("student/not_open.html", page=page), 403
    attempts = page.attempts()
    latest = attempts[0] if attempts else None
    return render_template(
        "student/exercise.html",
        page=page,
        **worksheet.problem(page.spec, page.variant, latest.answers if latest else None),
        attempts=attempts,
        latest=latest,
        results={blank.id: blank for blank in latest.blanks} if latest else {},
        solution=solution_html(page),
        idempotency_key=uuid.uuid4().hex,
        practices=practice.listed(db.session, user(), page.course, page.exercise)[
            :PRACTICES_LISTED
        ],
        script_data=script_data(page, latest),
    )


@bp.get("/courses/<slug>/exercises/<exercise_slug>/graph")
@preview_view
@login_page_required
def step_graph(slug: str, exercise_slug: str):
    """The graph of one training step from the new values typed for the step before."""
    page = open_exercise(slug, exercise_slug)
    if page.standing.closed == "not_open":
        return render_template("student/not_open.html", page=page), 403
    return worksheet.step_graph(page.spec, page.variant)


def solution_html(page: StudentExercise):
    """The worked solution for the student's own values, once it is theirs to see."""
    if not page.standing.revealed:
        return None
    return markdown.render(solve(page.spec, page.variant, current_language()).markdown)


def script_data(page: StudentExercise, latest: present.Attempt | None) -> dict:
    """What the page's script needs: the graph, where to post and poll, and its words."""
    slug, exercise_slug = page.course.slug, page.exercise.slug
    return {
        "dot": worksheet.dot(page.spec, page.forward_values()),
        "steps": page.spec.spec.steps,
        "graphUrl": url_for(".step_graph", slug=slug, exercise_slug=exercise_slug),
        "submitUrl": url_for("student.attempts.create", slug=slug, exercise_slug=exercise_slug),
        "pollUrl": url_for(
            "student.attempts.show", slug=slug, exercise_slug=exercise_slug, submission_id=0
        ),
        "historyUrl": url_for("student.attempts.history", slug=slug, exercise_slug=exercise_slug),
        "previewUrl": url_for("api.submissions.preview"),
        "course": slug,
        "exercise": exercise_slug,
        "latest": latest.to_dict() if latest else None,
        "words": worksheet.words(),
    }
