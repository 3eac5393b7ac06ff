"""The one check of an exercise: every problem of a file as ``line N: reason``.

``grader exercises check``, the browser's exercise editor and ``grader exercises import`` all ask
:func:`check_text`; it loads the file as the grader does (:func:`load_text`: the format, the
names, shapes, degeneracy and tolerance rules), then compares the reference gradients with
central finite differences over the fixed variant or several drawn ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grader.engine.check import finite_difference_errors
from grader.exercises.exercise import Exercise
from grader.exercises.loader import ExerciseError, line_of, load_text

FD_TOLERANCE = 1e-5
STUDENTS_CHECKED = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an exercise, at a line of its file (1-based)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"

    def to_dict(self) -> dict:
        return {"line": self.line, "reason": self.reason}


@dataclass
class Checked:
    """An exercise file's check: the loaded exercise (None if it does not load) and its problems."""

    exercise: Exercise | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exercise is not None and not self.problems


def check_text(raw: bytes, source: str = "<exercise>", students: int = STUDENTS_CHECKED) -> Checked:
    """Load and check an exercise given as the bytes of its YAML file."""
    try:
        exercise = load_text(raw, source)
    except ExerciseError as exc:
        return Checked(None, [Problem(exc.line, exc.reason)])
    return Checked(exercise, check_exercise(exercise, students))


def check_exercise(exercise: Exercise, students: int = STUDENTS_CHECKED) -> list[Problem]:
    """Problems with a loaded exercise's reference gradients, over its fixed variant or several
    drawn ones: a gradient unlike finite differences, an asked gradient that stays zero."""
    problems: list[Problem] = []
    names = [f"student-{i}" for i in range(students if exercise.randomised else 1)]
    variants = exercise.draw_variants("check", names)
    errors = finite_difference_errors(exercise.graph, exercise.inputs(variants))
    _, grads = exercise.evaluate(variants)
    for row, student in enumerate(names):
        worst = max(errors, key=lambda name: errors[name][row], default=None)
        if worst is not None and not errors[worst][row] <= FD_TOLERANCE:
            problems.append(
                Problem(
                    _line(exercise, line_of(exercise.spec, worst)),
                    f"gradient of '{worst}' differs from finite differences by "
                    f"{errors[worst][row]:.2g} ({student})",
                )
            )
        for blank in exercise.blanks:
            if (
                blank.kind == "grad"
                and blank.target not in exercise.spec.allow_zero
                and not np.any(grads[blank.target][row])
            ):
                problems.append(
                    Problem(
                        _line(exercise, line_of(exercise.spec, blank.id)),
                        f"{blank.id} is zero for {student} even after redrawing",
                    )
                )
    return problems


def _line(exercise: Exercise, path: tuple) -> int:
    """The line of ``path`` in the exercise's file, or of the nearest enclosing entry."""
    while path and path not in exercise.lines:
        path = path[:-1]
    return exercise.lines.get(path, 1)
