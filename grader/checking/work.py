"""What the verdicts of one step need for N rows: the right values, the student's answers, and
the gradients carried from the student's own answers through the correct local gradients."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from grader.checking.tolerance import Tolerance
from grader.engine import Tape, backward, vjp_edge
from grader.exercises import Blank, Exercise
from grader.exercises.exercise import blank_id

if TYPE_CHECKING:
    from grader.checking.grade import Answers


class Work:
    """Everything the verdicts need for N rows: reference values, the student's answers, and
    the gradients carried from the student's own answers through the correct local gradients."""

    def __init__(
        self,
        exercise: Exercise,
        tape: Tape,
        answers: dict[str, Answers],
        tolerance: Tolerance,
        step: int = 1,
        chain: tuple[Tape, dict[str, np.ndarray]] | None = None,
    ):
        """``tape``: the forward values from the student's own start of training step ``step``
        (their new values of the step before); ``chain``: the right forward values and gradients
        of that step, when they differ (the default: ``tape`` and its gradients)."""
        self.exercise, self.tape, self.answers = exercise, tape, answers
        self.tolerance, self.step = tolerance, step
        graph = exercise.graph
        self.reference = backward(graph, tape)
        self.chain_tape, self.chain_grads = chain or (tape, self.reference)
        self.carried: dict[str, np.ndarray] = {graph.loss: self.reference[graph.loss]}
        self.effective: dict[str, np.ndarray] = {graph.loss: self.reference[graph.loss]}
        self.contributions: dict[tuple[str, str], np.ndarray] = {}
        self.reference_contributions: dict[tuple[str, str], np.ndarray] = {}
        self._mistaken: dict = {}
        for edge in reversed(graph.edges):
            if edge.name not in self.reference:
                continue
            if edge.name != graph.loss:
                self.effective[edge.name] = self._students(
                    self.blank_id("grad", edge.name), self.carried[edge.name]
                )
            for name, part in vjp_edge(edge, tape, self.effective[edge.name]).items():
                self.contributions[(edge.name, name)] = part
                self.carried[name] = part if name not in self.carried else self.carried[name] + part
            if any(len(graph.uses[name]) > 1 for name in edge.reads):
                for name, part in vjp_edge(edge, tape, self.reference[edge.name]).items():
                    self.reference_contributions[(edge.name, name)] = part
        for name in graph.inputs:
            if name in self.carried:
                self.effective[name] = self._students(
                    self.blank_id("grad", name), self.carried[name]
                )

    def agrees_downstream(self, name: str, values: dict[str, np.ndarray]) -> np.ndarray:
        """Per row: every gradient the student gave between the loss and ``name`` is the one
        in ``values`` (or left out), so nothing they wrote says they did otherwise."""
        graph = self.exercise.graph
        agrees = np.ones(self.tape.variants, dtype=bool)
        later, todo = set(), list(graph.uses[name])
        while todo:
            use = todo.pop()
            if use not in later:
                later.add(use)
                todo.extend(graph.uses[use])
        for other in later:
            answers = self.answers.get(self.blank_id("grad", other))
            if answers is not None and other in values:
                agrees &= ~answers.usable | self.tolerance.close(answers.values, values[other])
        return agrees

    def blank_id(self, kind: str, target: str) -> str:
        """The id of this step's blank of ``kind`` on ``target``: ``grad.e3``, ``grad.e3@2``."""
        return blank_id(kind, target, self.step)

    def mistaken_backward(self, rules) -> dict[str, np.ndarray]:
        """The reference backward pass with one mistaken rule set (memoised)."""
        key = id(rules)  # one of the long-lived tables of diagnoses.FULL_MISTAKE_RULES
        if key not in self._mistaken:
            self._mistaken[key] = backward(self.exercise.graph, self.tape, rules)
        return self._mistaken[key]

    def _students(self, blank_id: str, fallback: np.ndarray) -> np.ndarray:
        answers = self.answers.get(blank_id)
        if answers is None:
            return fallback
        ok = answers.usable.reshape((-1,) + (1,) * (fallback.ndim - 1))
        return np.where(ok, answers.values, fallback)

    def student_update(self, param: str) -> np.ndarray:
        """The step the student took for ``param``: their update blank, else carried from their gradient."""
        return self._students(
            self.blank_id("update", param),
            -self.exercise.spec.learning_rate * self.effective[param],
        )

    def student_new(self, param: str) -> np.ndarray:
        """Where the student's step left ``param``: their new value, else carried from their step."""
        return self._students(
            self.blank_id("new", param), self.tape.values[param] + self.student_update(param)
        )

    def expected(self, blank: Blank) -> np.ndarray:
        """The right value of ``blank``, along the right chain of training steps."""
        lr, grads = self.exercise.spec.learning_rate, self.chain_grads
        if blank.kind == "grad":
            return grads[blank.target]
        if blank.kind == "update":
            return -lr * grads[blank.target]
        return self.chain_tape.values[blank.target] - lr * grads[blank.target]

    def carried_value(self, blank: Blank) -> np.ndarray:
        """The value carried into ``blank`` from the student's own earlier answers."""
        lr = self.exercise.spec.learning_rate
        if blank.kind == "grad":
            return self.carried[blank.target]
        if blank.kind == "update":
            return -lr * self.effective[blank.target]
        return self.tape.values[blank.target] + self.student_update(blank.target)

    def trivial_value(self, blank: Blank) -> np.ndarray:
        """What a student writes who does no work: zero, or the parameter left as it was."""
        if blank.kind == "new":
            return self.tape.values[blank.target]
        return np.zeros_like(self.reference[blank.target])
