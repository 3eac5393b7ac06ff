"""Diagnoses: the value a student would have written after a known mistake, in order of precedence."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from grader.engine import vjp_edge
from grader.engine.ops import mistaken_tables

if TYPE_CHECKING:
    from grader.checking.grade import Work
    from grader.exercises import Blank

MAX_FANOUT_SUBSETS = 6

FEEDBACK = {
    "sign_error": "The sign is wrong: check the sign of each local gradient on the way back to {target}.",
    "missing_local_gradient": "You passed the upstream gradient on unchanged: multiply it by the local gradient of the node {target} feeds into.",
    "missing_upstream_gradient": "You gave only the local gradient: multiply it by the gradient arriving from further down the graph.",
    "sum_instead_of_mean": "The loss is a mean: divide by the number of examples (you summed instead of averaging).",
    "mean_instead_of_sum": "The loss is a sum: do not divide by the number of examples (you averaged instead of summing).",
    "missed_fanout": "{target} is used by more than one edge: add up the gradients from all of its uses.",
    "power_rule": "Check the power rule: d(a^n)/da = n * a^(n-1) (for a square, 2 * a).",
    "update_sign": "The update goes against the gradient: the step is -learning_rate * gradient.",
    "missing_learning_rate": "Multiply the gradient by the learning rate: the step is -learning_rate * gradient.",
    "missing_old_value": "The new value is the old value plus the step, not the step alone.",
    "transposed": "Your matrix is the transpose of the answer: the gradient has the shape of {target}.",
    "wrong_shape": "The answer has the wrong shape: the gradient has the shape of {target}, {shape}.",
}


# Each mistaken backward rule of the op table, as a full op table; built once, so that a
# grading pass can memoise its backward pass by the table's identity.
FULL_MISTAKE_RULES = mistaken_tables()


def candidates(work: Work, blank: Blank) -> Iterator[tuple[str, np.ndarray]]:
    """(code, value the mistake gives) for a blank, most specific first."""
    if blank.kind == "grad":
        yield from _grad_candidates(work, blank.target)
    elif blank.kind == "update":
        yield from _update_candidates(work, blank.target)
    else:
        yield from _new_candidates(work, blank.target)


def _grad_candidates(work: Work, name: str) -> Iterator[tuple[str, np.ndarray]]:
    """Mistakes made at this step (from the student's own upstream answers) before mistakes
    carried from further down (from the reference)."""
    graph, tape = work.exercise.graph, work.tape
    uses = [use for use in graph.uses[name] if use in work.reference]
    shape = work.reference[name].shape
    for code, rules in _mistake_rules(graph, uses):
        yield (
            code,
            sum(
                (
                    vjp_edge(graph.edge(use), tape, work.effective[use], rules).get(name, 0)
                    for use in uses
                ),
                np.zeros(shape),
            ),
        )
    yield from _upstream_candidates(work, name, uses, work.effective, work.contributions)
    yield "sign_error", -work.carried[name]
    for code, rules in _mistake_rules(graph, [edge.name for edge in graph.edges]):
        yield code, work.mistaken_backward(rules).get(name, np.zeros(shape))
    yield from _upstream_candidates(work, name, uses, work.reference, work.reference_contributions)
    yield "sign_error", -work.reference[name]


def _mistake_rules(graph, edge_names) -> Iterator[tuple[str, dict]]:
    """The mistaken rule sets (full op tables) that touch an op used by these edges."""
    used = {step.op for name in edge_names for step in graph.edge(name).steps}
    for code, changed, rules in FULL_MISTAKE_RULES:
        if used & changed:
            yield code, rules


def _upstream_candidates(work, name, uses, upstream, contributions):
    shape = work.reference[name].shape
    if len(uses) == 1:
        (use,) = uses
        if upstream[use].shape == shape:
            yield "missing_local_gradient", upstream[use]
        yield (
            "missing_upstream_gradient",
            vjp_edge(work.exercise.graph.edge(use), work.tape, np.ones_like(upstream[use]))[name],
        )
    elif 1 < len(uses) <= MAX_FANOUT_SUBSETS:
        for size in range(1, len(uses)):
            for subset in combinations(uses, size):
                yield "missed_fanout", sum(contributions[(use, name)] for use in subset)


def _update_candidates(work: Work, param: str) -> Iterator[tuple[str, np.ndarray]]:
    lr = work.exercise.spec.learning_rate
    for grad in (work.reference[param], work.effective[param]):
        yield "update_sign", lr * grad
        yield "missing_learning_rate", -grad
        yield "missing_learning_rate", grad


def _new_candidates(work: Work, param: str) -> Iterator[tuple[str, np.ndarray]]:
    lr = work.exercise.spec.learning_rate
    old = work.tape.values[param]
    for step in (-lr * work.reference[param], work.student_update(param)):
        yield "update_sign", old - step
        yield "missing_old_value", step
    for grad in (work.reference[param], work.effective[param]):
        yield "missing_learning_rate", old - grad
    yield "sign_error", -(old - lr * work.reference[param])
