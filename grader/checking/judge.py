"""Verdicts and diagnoses blank by blank, in the order the student's mistakes flow.

Gradients are judged from the loss back, then the update steps, then the new values, so that
every blank knows what the student's own earlier answers carried into it:

- ``sound``: per row, whether a trivial value carried in (a zero, a parameter left unchanged)
  comes from a recognised mistake where the chain went wrong. A carried value earns
  follow-through only where it is not trivial, or where it is sound: a wrong operand that
  makes a gradient zero carries; a zero typed for no reason does not.
- ``flipped``: per row, whether the student writes this value transposed. A transposed matrix
  is a mistake where it is first written, and follows through where it is carried on.
"""

from __future__ import annotations

import numpy as np

from grader.checking.tolerance import Tolerance
from grader.exercises import Blank

VERDICTS = ("correct", "follow_through", "incorrect", "unreadable", "missing")
CORRECT, FOLLOW_THROUGH, INCORRECT, UNREADABLE, MISSING = range(5)
OK, ABSENT, BAD, WRONG_SHAPE, TRANSPOSED = range(5)  # how a blank's answer was read
CONSISTENT = "consistent_with_earlier"


class Judge:
    """Judges every blank of N rows of one exercise (see the module's docstring)."""

    def __init__(self, work, tolerance: Tolerance, credit: float, candidates):
        self.work, self.tolerance, self.credit = work, tolerance, credit
        self.candidates = candidates
        self.rows = len(next(iter(work.tape.values.values())))
        self.sound: dict[str, np.ndarray] = {}
        self.flipped: dict[str, np.ndarray] = {}
        self.verdicts: dict[str, np.ndarray] = {}
        self.diagnoses: dict[str, list] = {}

    def run(self) -> None:
        """Judge the asked blanks of the work's step in flow order; names nobody asks about
        pass their chain on."""
        work = self.work
        graph, exercise = work.exercise.graph, work.exercise
        yes = np.ones(self.rows, dtype=bool)
        no = np.zeros(self.rows, dtype=bool)
        names = [edge.name for edge in reversed(graph.edges)] + list(graph.inputs)
        for name in names:
            if name not in work.reference:
                continue
            uses = [use for use in graph.uses[name] if use in work.reference]
            sound = np.logical_and.reduce([self.sound[use] for use in uses] or [yes])
            same_shape = [
                use for use in uses if work.reference[use].shape == work.reference[name].shape
            ]
            flipped = np.logical_or.reduce([self.flipped[use] for use in same_shape] or [no])
            self._pass(exercise.blank(work.blank_id("grad", name)), name, sound, flipped)
        for param in exercise.spec.params:
            if param in work.reference:
                update = work.blank_id("update", param)
                self._pass(exercise.blank(update), update, self.sound[param], self.flipped[param])
                new = exercise.blank(work.blank_id("new", param))
                if new is not None:
                    self._pass(new, new.id, self.sound[update], self.flipped[update])

    def _pass(self, blank: Blank | None, key: str, sound, flipped) -> None:
        """Judge ``blank`` (if asked) and record what its value carries on under ``key``."""
        if blank is None:
            self.sound[key], self.flipped[key] = sound, flipped
            return
        column = self.work.answers[blank.id]
        usable = column.usable
        correct, consistent, diagnosed = self._judge(blank, column, sound, flipped)
        self.sound[key] = np.where(
            correct | ~usable, sound | correct, np.where(consistent, sound, diagnosed)
        )
        self.flipped[key] = np.where(usable, column.status == TRANSPOSED, flipped)

    def _judge(self, blank: Blank, column, sound, flipped):
        """Verdict and diagnosis of each row; (correct, consistent, diagnosed) per row."""
        work, tolerance = self.work, self.tolerance
        want = work.expected(blank)
        carried = work.carried_value(blank)
        usable = column.usable
        as_asked = column.status == OK
        correct = as_asked & tolerance.close(column.values, want)
        consistent = usable & ~correct & tolerance.close(column.values, carried)
        laid_out = as_asked | flipped
        through = consistent & laid_out
        if through.any():
            through &= ~tolerance.trivial(carried, want, work.trivial_value(blank)) | sound
        verdict = np.full(self.rows, INCORRECT, dtype=np.int8)
        verdict[correct] = CORRECT
        if self.credit > 0:
            verdict[through] = FOLLOW_THROUGH
        verdict[column.status == ABSENT] = MISSING
        verdict[column.status == BAD] = UNREADABLE
        found = np.full(self.rows, None, dtype=object)
        if self.credit == 0:
            found[through] = CONSISTENT
        todo = as_asked & ~correct & ~consistent
        named = self._name_mistakes(found, np.flatnonzero(todo), blank, column, want, carried)
        for i in column.arrays:
            if column.status[i] == TRANSPOSED and not through[i]:
                near = (
                    tolerance.close(column.values[i : i + 1], want[i : i + 1])[0] or consistent[i]
                )
                found[i] = "transposed" if near else "wrong_shape"
                named[i] = near
            elif column.status[i] == WRONG_SHAPE:
                found[i] = "wrong_shape"
        self.verdicts[blank.id] = verdict
        self.diagnoses[blank.id] = found.tolist()
        return correct, consistent, named

    def _name_mistakes(self, found: np.ndarray, rows: np.ndarray, blank, column, want, carried):
        """The mistakes that explain each of ``rows``: the first tier of candidates with a
        match names every mistake of that tier that matches (two causes that fit equally are
        both said). A mistake is never named where it gives the carried value or the right one.
        Returns, per row of the blank, whether a mistake was named."""
        named = np.zeros(self.rows, dtype=bool)
        if not len(rows):
            return named
        tolerance = self.tolerance
        got, want, carried = column.values[rows], want[rows], carried[rows]
        todo = np.ones(len(rows), dtype=bool)
        tier_hits = np.zeros(len(rows), dtype=bool)
        current = None
        for tier, code, value in self.candidates(self.work, blank):
            if tier != current:
                todo &= ~tier_hits
                if not todo.any():
                    break
                current, tier_hits = tier, np.zeros_like(todo)
            if callable(value):
                value = value(rows, got)
            else:
                value = np.broadcast_to(value, column.values.shape)[rows]
            hit = todo & tolerance.close(got, value)
            if not hit.any():
                continue
            hit &= ~tolerance.close(value, want) & ~tolerance.close(value, carried)
            first = hit & ~tier_hits
            found[rows[first]] = code
            for i in rows[hit & tier_hits]:  # a second mistake that fits as well
                if code not in found[i].split("|"):
                    found[i] = f"{found[i]}|{code}"
            tier_hits |= hit
        named[rows[tier_hits | ~todo]] = True
        return named
