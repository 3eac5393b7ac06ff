"""The exercise page: the text, the graph with the student's values, one input per blank."""

from __future__ import annotations

import uuid

from flask import Blueprint, render_template, url_for
from flask_babel import gettext

from grader.checking.solution import solve
from grader.engine.format import show
from grader.web import graphview
from grader.web.i18n import current_language
from grader.web.student import markdown, present
from grader.web.student.context import StudentExercise, open_exercise
from grader.web.student.guard import login_page_required

bp = Blueprint("exercise", __name__)


@bp.get("/courses/<slug>/exercises/<exercise_slug>")
@login_page_required
def show_page(slug: str, exercise_slug: str):
    """The exercise, the student's last answers and verdicts, and their attempt history."""
    page = open_exercise(slug, exercise_slug)
    if page.standing.closed == "not_open":
        return render_template("student/not_open.html", page=page), 403
    attempts = page.attempts()
    latest = attempts[0] if attempts else None
    values = page.forward_values()
    loss = page.spec.graph.loss
    return render_template(
        "student/exercise.html",
        page=page,
        text=markdown.render(page.spec.spec.text),
        given=[(name, show(values[name])) for name in page.spec.spec.given],
        params=[(name, show(values[name])) for name in page.spec.spec.params],
        edges=[(edge.name, edge.source, show(values[edge.name])) for edge in page.spec.graph.edges],
        groups=present.grouped_fields(page.spec.blanks, loss, roles(page)),
        attempts=attempts,
        latest=latest,
        results={blank.id: blank for blank in latest.blanks} if latest else {},
        solution=solution_html(page),
        idempotency_key=uuid.uuid4().hex,
        script_data=script_data(page, values, latest),
    )


def roles(page: StudentExercise) -> dict[str, str]:
    """Which names of the graph are parameters and which given values."""
    spec = page.spec.spec
    return {**dict.fromkeys(spec.given, "given"), **dict.fromkeys(spec.params, "param")}


def solution_html(page: StudentExercise):
    """The worked solution for the student's own values, once it is theirs to see."""
    if not page.standing.revealed:
        return None
    return markdown.render(solve(page.spec, page.variant, current_language()).markdown)


def script_data(page: StudentExercise, values: dict, latest: present.Attempt | None) -> dict:
    """What the page's script needs: the graph, where to post and poll, and its words."""
    slug, exercise_slug = page.course.slug, page.exercise.slug
    return {
        "dot": graphview.to_dot(page.spec, values, param_word=gettext("param")),
        "submitUrl": url_for("student.attempts.create", slug=slug, exercise_slug=exercise_slug),
        "pollUrl": url_for(
            "student.attempts.show", slug=slug, exercise_slug=exercise_slug, submission_id=0
        ),
        "historyUrl": url_for("student.attempts.history", slug=slug, exercise_slug=exercise_slug),
        "previewUrl": url_for("api.submissions.preview"),
        "course": slug,
        "exercise": exercise_slug,
        "latest": latest.to_dict() if latest else None,
        "words": {
            "attempt": gettext("Attempt %(number)d:"),
            "queued": gettext("Queued: waiting for the grader…"),
            "grading": gettext("Grading…"),
            "sending": gettext("Sending your answers…"),
            "failed": gettext("Grading failed. Your attempt is kept; please tell your instructor."),
            "slow": gettext(
                "Still waiting for the grader. The result will appear here and in your history."
            ),
            "offline": gettext("Could not reach the server. Check your connection and try again."),
            "expected": gettext("Expected"),
            "yourAnswer": gettext("Your answer"),
            "points": gettext("points"),
            "hint": gettext("Hint %(level)d:"),
            "graphLabel": gettext("The computation graph of this exercise, with your values"),
            "graphFailed": gettext(
                "The graph could not be drawn here; its edges are listed below."
            ),
        },
    }
