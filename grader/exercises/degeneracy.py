"""Degenerate variants: values that are not finite, or an obvious wrong answer graded correct.

Every blank has obvious wrong values a student may type without doing its work. A variant where
one of them is within the blank's tolerance of the right value cannot tell that student from one
who did the work, so it is degenerate: drawn again, or refused at load for a fixed exercise.
Right and wrong values are all ``a * old + b * gradient`` of the blank's target (its value and
its gradient), with ``lr`` the learning rate:

- ``grad.n`` (right ``g``): zero; the sign flipped, ``-g``.
- ``update.p`` (right ``-lr g``): zero; the step's sign flipped; the gradient ``g`` and ``-g``
  (the learning rate left out; not listed when it is 1).
- ``new.p`` (right ``p - lr g``): the old value ``p``; zero; the step alone (the old value left
  out; skipped where it is 0); the step's sign flipped, ``p + lr g``.

A gradient listed under ``allow_zero`` may be zero: its ``grad`` blank has none of these, and the
``update``/``new`` blanks of such a param have none where its gradient is zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from grader.engine import forward

if TYPE_CHECKING:
    from grader.exercises.exercise import Blank, Exercise
    from grader.exercises.variants import Variant


def degeneracy(exercise: Exercise, variant: Variant) -> tuple[str, str] | None:
    """Why ``variant`` is degenerate, as (the name or blank at fault, reason); None if it is not.
    Every training step is checked, each from the parameters the step before left."""
    steps = exercise.chain(forward(exercise.graph, exercise.inputs([variant])))
    for name, reason, bad in _not_finite(exercise, steps):
        if bad[0]:
            return name, reason
    found = exercise.wrong_values.first_correct(steps)
    return None if found is None else (found[0].id, _reason(*found))


def degenerate_rows(exercise: Exercise, tape) -> np.ndarray:
    """Per variant of ``tape`` (step 1's forward values of N variants): the test
    :func:`degeneracy` makes of one variant, for N at once."""
    steps = exercise.chain(tape)
    bad = np.zeros(tape.variants, dtype=bool)
    for _, _, rows in _not_finite(exercise, steps):
        bad |= rows
    with np.errstate(invalid="ignore"):
        return bad | exercise.wrong_values.correct(steps).any(axis=1)


def _not_finite(exercise: Exercise, steps: list):
    """(name or blank, reason, per variant: whether it is not finite) for every forward value
    and every asked gradient of every step."""
    for tape, _ in steps:
        for name, value in tape.values.items():
            rows = ~np.isfinite(value.reshape(len(value), -1)).all(axis=1)
            yield name, f"the value of '{name}' is not finite for these numbers", rows
    for blank in exercise.blanks:
        grad = steps[blank.step - 1][1][blank.target]
        rows = ~np.isfinite(grad.reshape(len(grad), -1)).all(axis=1)
        yield blank.id, f"the gradient of '{blank.target}' is not finite for these numbers", rows


class _Row(NamedTuple):
    """One wrong value of one blank, and the right value, as (a, b) in ``a * old + b * grad``."""

    blank: Blank
    name: str
    right: tuple[float, float]
    wrong: tuple[float, float]


class WrongValues:
    """An exercise's obvious wrong values, all checked against its tolerance in one pass.

    Each row is one wrong value of one blank. The rows' elements lie one after another in flat
    arrays, so a variant costs a fixed handful of numpy operations however many blanks there are.
    """

    def __init__(self, exercise: Exercise):
        self.blanks, self.tolerance = exercise.blanks, exercise.tolerance
        allow_zero, lr = set(exercise.spec.allow_zero), exercise.spec.learning_rate
        self.rows: list[_Row] = []
        source, row_sizes, offset = [], [], 0
        for blank in self.blanks:
            size = int(np.prod(blank.shape))
            if blank.kind != "grad" or blank.target not in allow_zero:
                for name, a, b in _wrong(blank, lr):
                    self.rows.append(_Row(blank, name, _right(blank, lr), (a, b)))
                    source.append(np.arange(offset, offset + size))
                    row_sizes.append(size)
            offset += size
        self.source = np.concatenate(source) if source else np.zeros(0, np.intp)
        self.starts = np.cumsum([0, *row_sizes[:-1]]).astype(np.intp)

        def per_element(values: list[float]) -> np.ndarray:
            return np.repeat(np.array(values, dtype=np.float64), row_sizes)

        self.right_old = per_element([row.right[0] for row in self.rows])
        self.right_grad = per_element([row.right[1] for row in self.rows])
        self.off_old = per_element([row.wrong[0] - row.right[0] for row in self.rows])
        self.off_grad = per_element([row.wrong[1] - row.right[1] for row in self.rows])
        self.needs_old = np.array([row.name == STEP_ALONE for row in self.rows], dtype=bool)
        self.needs_step = np.array(
            [row.blank.kind != "grad" and row.blank.target in allow_zero for row in self.rows],
            dtype=bool,
        )

    def first_correct(self, steps: list) -> tuple[Blank, str] | None:
        """The first (blank, wrong value) graded correct, for one variant's forward values and
        gradients in each training step (a list of (tape, gradients))."""
        if not self.rows:
            return None
        correct = self.correct(steps)[0]
        first = int(np.argmax(correct))
        return (self.rows[first].blank, self.rows[first].name) if correct[first] else None

    def correct(self, steps: list) -> np.ndarray:
        """(variants, wrong values): which wrong values would be graded correct, for the N
        variants whose forward values and gradients ``steps`` holds."""
        rows = len(next(iter(steps[0][0].values.values())))
        if not self.rows:
            return np.zeros((rows, 0), dtype=bool)

        def flat(of) -> np.ndarray:
            parts = [of(steps[b.step - 1])[b.target].reshape(rows, -1) for b in self.blanks]
            return np.concatenate(parts, axis=1)[:, self.source]

        old, grad = flat(lambda step: step[0].values), flat(lambda step: step[1])
        right = self.right_old * old + self.right_grad * grad
        off = np.abs(self.off_old * old + self.off_grad * grad)
        correct = np.logical_and.reduceat(off <= self.tolerance.allowed(right), self.starts, axis=1)
        if self.needs_old.any():
            correct &= ~self.needs_old | np.logical_or.reduceat(old != 0, self.starts, axis=1)
        if self.needs_step.any():
            still = np.abs(grad) <= self.tolerance.allowed(grad)
            correct &= ~self.needs_step | ~np.logical_and.reduceat(still, self.starts, axis=1)
        return correct


STEP_ALONE = "the step alone"


def _right(blank: Blank, lr: float) -> tuple[float, float]:
    """The right value of ``blank`` as (a, b) in ``a * old + b * grad``."""
    return {"grad": (0.0, 1.0), "update": (0.0, -lr), "new": (1.0, -lr)}[blank.kind]


def _wrong(blank: Blank, lr: float) -> list[tuple[str, float, float]]:
    """The obvious wrong values of ``blank``, named, as (name, a, b): ``a * old + b * grad``."""
    if blank.kind == "grad":
        return [("zero", 0.0, 0.0), ("the gradient's sign flipped", 0.0, -1.0)]
    if blank.kind == "update":
        wrong = [("zero", 0.0, 0.0), ("the step's sign flipped", 0.0, lr)]
        if lr != 1:
            wrong.append((f"the gradient of '{blank.target}'", 0.0, 1.0))
            wrong.append((f"the gradient of '{blank.target}' with its sign flipped", 0.0, -1.0))
        return wrong
    return [
        (f"the old value of '{blank.target}'", 1.0, 0.0),
        ("zero", 0.0, 0.0),
        (STEP_ALONE, 0.0, -lr),
        ("the old value with the step's sign flipped", 1.0, lr),
    ]


def _reason(blank: Blank, wrong: str) -> str:
    """Say which wrong value of ``blank`` would be graded correct, and what to do if it is meant."""
    if blank.kind == "grad" and wrong == "zero":
        return (
            f"the gradient of '{blank.target}' (blank {blank.id}) is zero for these numbers"
            " (list it under allow_zero if that is intended)"
        )
    right = {"grad": "the gradient", "update": "the step", "new": "the new value"}[blank.kind]
    reason = f"{blank.id}: {wrong} is within the tolerance of {right}"
    if blank.kind == "update" and wrong == "zero":
        reason += f" (list '{blank.target}' under allow_zero if a zero step is intended)"
    return reason
