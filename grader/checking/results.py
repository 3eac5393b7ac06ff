"""Graded rows as JSON-ready dicts: verdict, expected, got, points, diagnosis, feedback per blank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.checking.diagnoses import FEEDBACK
from grader.engine.format import plain, plain_number

FEEDBACK_BY_VERDICT = {
    "correct": "Correct.",
    "follow_through": "Right given your own earlier answers: the mistake is counted where it was made.",
    "missing": "No answer given.",
}
FEEDBACK_INCORRECT = {
    "grad": "Not right: the gradient on {target} is the sum, over its uses, of the upstream gradient times the local gradient.",
    "update": "Not right: the step is -learning_rate * the gradient of {target}.",
    "new": "Not right: the new value is the old value of {target} plus the step.",
}
VERDICT_NAMES = ("correct", "follow_through", "incorrect", "unreadable", "missing")


@dataclass
class Graded:
    """The columnar result of grading N submissions of one exercise."""

    exercise: object
    variants: list
    answers: list
    columns: dict
    verdicts: dict
    diagnoses: dict
    points: dict
    expected: dict
    score: np.ndarray

    @property
    def max_score(self) -> float:
        return float(sum(blank.points for blank in self.exercise.blanks))

    def __len__(self) -> int:
        return len(self.answers)

    def row(self, i: int, numbers: dict | None = None) -> dict:
        """Row ``i`` as the contract's result object (without the submission's own ids)."""
        numbers = {} if numbers is None else numbers
        blanks = {}
        for blank in self.exercise.blanks:
            verdict = VERDICT_NAMES[self.verdicts[blank.id][i]]
            column = self.columns[blank.id]
            diagnosis = self.diagnoses[blank.id][i]
            if verdict == "unreadable":
                got, feedback = column.raw[i], column.problems[i]
            elif verdict == "missing":
                got, feedback = None, FEEDBACK_BY_VERDICT["missing"]
            else:
                got = (
                    _number(column.values[i], numbers)
                    if i not in column.arrays
                    else plain(column.arrays[i])
                )
                if diagnosis is not None:
                    feedback = FEEDBACK[diagnosis]
                elif verdict == "incorrect":
                    feedback = FEEDBACK_INCORRECT[blank.kind]
                else:
                    feedback = FEEDBACK_BY_VERDICT[verdict]
                shape = list(blank.shape) if blank.shape else "a number"
                feedback = feedback.format(target=blank.target, shape=shape)
            blanks[blank.id] = {
                "verdict": verdict,
                "expected": _number(self.expected[blank.id][i], numbers),
                "got": got,
                "points": _number(self.points[blank.id][i], numbers),
                "diagnosis": diagnosis,
                "feedback": feedback,
            }
        return {
            "variant": self.variants[i].to_dict(),
            "score": _number(self.score[i], numbers),
            "max_score": _number(self.max_score, numbers),
            "blanks": blanks,
        }

    def to_dicts(self) -> list[dict]:
        numbers: dict = {}
        return [self.row(i, numbers) for i in range(len(self))]


def _number(value, numbers: dict):
    if np.ndim(value):
        return plain(value)
    value = float(value)
    try:
        return numbers[value]
    except KeyError:
        out = numbers[value] = plain_number(value)
        return out
