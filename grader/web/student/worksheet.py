"""What an exercise's page and a practice's page both show: the task, the values, the graph of
each training step, and the form's blanks step by step; and the graph of one step drawn for
the answers typed so far."""

from __future__ import annotations

from collections.abc import Mapping

from flask import request
from flask_babel import gettext

from grader import exercises as core
from grader.engine.format import show
from grader.services.errors import Invalid
from grader.web import graphview
from grader.web.i18n import current_language
from grader.web.student import markdown, steps


def roles(spec: core.Exercise) -> dict[str, str]:
    """Which names of the graph are parameters and which given values."""
    return {**dict.fromkeys(spec.spec.given, "given"), **dict.fromkeys(spec.spec.params, "param")}


def problem(spec: core.Exercise, variant: core.Variant, answers: Mapping | None) -> dict:
    """The template's values for the task and its graph: the values each step starts from (a
    later step's from ``answers``, the student's last), and the form's sections."""
    count = spec.spec.steps
    values = [steps.step_values(spec, variant, k, answers) for k in range(1, count + 1)]
    first = values[0]
    return {
        "text": markdown.render(spec.spec.text_in(current_language())),
        "given": [(name, show(first[name])) for name in spec.spec.given],
        "params": [(name, show(first[name])) for name in spec.spec.params],
        "learning_rate": spec.spec.learning_rate,
        "step_numbers": list(range(1, count + 1)),
        "edges": [
            (
                edge.name,
                edge.source,
                [show(found[edge.name]) if edge.name in found else None for found in values],
            )
            for edge in spec.graph.edges
        ],
        "sections": steps.sections(spec.blanks, spec.graph.loss, roles(spec), count),
    }


def dot(spec: core.Exercise, values: Mapping) -> str:
    """The graph as DOT with these forward values, its params named in the reader's language."""
    return graphview.to_dot(spec, values, param_word=gettext("param"))


def step_graph(spec: core.Exercise, variant: core.Variant) -> dict:
    """The graph of the step ``?step=K`` from the new values of step K − 1 in the query string
    (``?new.v=0.2``): ``{"step", "dot", "note"}``."""
    raw = request.args.get("step", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= spec.spec.steps:
        raise Invalid(f"'step' is a training step of this exercise, 1 to {spec.spec.steps}")
    step = int(raw)
    answers = {key: value for key, value in request.args.items() if key.startswith("new.")}
    values = steps.step_values(spec, variant, step, answers)
    return {"step": step, "dot": dot(spec, values), "note": steps.step_note(spec, step, values)}


def words() -> dict[str, str]:
    """The page script's words, in the reader's language."""
    return {
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
        "graphFailed": gettext("The graph could not be drawn here; its edges are listed below."),
    }
