"""Training steps on the student's pages: the blanks step by step, and the forward values of
step k ≥ 2 from the student's own new values of step k − 1. The right chain's values are never
shown (they would give the new values away): a value that needs a parameter the student has
not given readably is left out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext

from grader.checking.answers import Unreadable, parse_answer
from grader.exercises import Blank, Exercise, Variant
from grader.exercises.exercise import blank_id
from grader.web.student import present


@dataclass(frozen=True)
class Section:
    """One training step of the form: its number, title, a note on where it starts, and its
    fieldsets (``present.grouped_fields``)."""

    step: int
    title: str
    note: str
    groups: list


def sections(blanks: list[Blank], loss: str, roles: Mapping[str, str], steps: int) -> list:
    """The form's steps, one under another (a single step has no title of its own)."""
    out = []
    for step in range(1, steps + 1):
        mine = [blank for blank in blanks if blank.step == step]
        title = gettext("Step %(step)d", step=step) if steps > 1 else ""
        note = (
            gettext(
                "Step %(step)d starts from your own new values of step %(before)d.",
                step=step,
                before=step - 1,
            )
            if step > 1
            else ""
        )
        out.append(Section(step, title, note, present.grouped_fields(mine, loss, roles)))
    return out


def own_start(exercise: Exercise, step: int, answers: Mapping[str, str]) -> dict[str, np.ndarray]:
    """The parameters step ``step`` starts from: the student's readable new values of the step
    before, where they fit the parameter's shape."""
    own = {}
    for param in exercise.spec.params:
        text = answers.get(blank_id("new", param, step - 1))
        try:
            value = parse_answer(text) if isinstance(text, str) and text.strip() else None
        except Unreadable:
            value = None
        if value is not None and value.shape == exercise.shapes[param]:
            own[param] = value
    return own


def step_values(
    exercise: Exercise, variant: Variant, step: int, answers: Mapping[str, str] | None
) -> dict[str, np.ndarray]:
    """The forward value of every name in training step ``step`` that the student's own new
    values of the step before determine (every name in step 1)."""
    tape, _ = exercise.evaluate([variant])
    if step == 1:
        return {name: value[0] for name, value in tape.values.items()}
    own = own_start(exercise, step, answers or {})
    unknown = {param for param in exercise.spec.params if param not in own}
    start = {
        param: (own[param] if param in own else np.zeros(exercise.shapes[param]))[None]
        for param in exercise.spec.params
    }
    for edge in exercise.graph.edges:
        if unknown & set(edge.reads):
            unknown.add(edge.name)
    with np.errstate(all="ignore"):
        moved = exercise.advance(tape, start)
    return {
        name: value[0]
        for name, value in moved.values.items()
        if name not in unknown and np.all(np.isfinite(value))
    }


def step_note(exercise: Exercise, step: int, values: Mapping) -> str:
    """What the graph of step ``step`` shows, in the reader's language."""
    if step == 1:
        return gettext("Step 1: the values you start from.")
    if all(param in values for param in exercise.spec.params):
        return gettext(
            "Step %(step)d: the values from your new values of step %(before)d.",
            step=step,
            before=step - 1,
        )
    return gettext(
        "Step %(step)d: fill in your new values of step %(before)d to see its values.",
        step=step,
        before=step - 1,
    )
