"""Diagnoses: the value a student would have written after a known mistake, in tiers.

A tier holds mistakes that are equally plausible: a row is explained by the first tier with a
match, and every mistake of that tier that matches is named (``power_rule|mean_instead_of_sum``).
The tiers, most specific first:

- ROUNDING: the right (or carried) value rounded to 1 or 2 significant figures, within 15%;
- HERE: a mistake made at this step on the student's own upstream answers: the local or the
  upstream gradient left out, a use of a fanned-out name missed, a mistaken local rule (the
  wrong factor of a product, the power rule, a sum taken for a mean...);
- SIGN: the carried value with its sign flipped;
- THROUGHOUT: a rule applied wrongly all the way down (the power rule, sum and mean), named
  only where none of the student's own answers on the way says otherwise;
- REFERENCE, REFERENCE_SIGN: the same mistakes of this step on the right upstream gradients.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from grader.engine import vjp_edge
from grader.engine.numeric import unbroadcast
from grader.engine.ops import mistaken_tables

if TYPE_CHECKING:
    from grader.checking.work import Work
    from grader.exercises import Blank

MAX_FANOUT_SUBSETS = 6
ROUNDING_FIGURES = (1, 2)
ROUNDING_REACH = 0.15
ROUNDING, HERE, SIGN, THROUGHOUT, REFERENCE, REFERENCE_SIGN = range(6)
# The mistaken rules a student may apply at every node of their kind on the way down (a
# misremembered rule), as opposed to a slip at one node (the wrong factor of one product).
APPLIED_THROUGHOUT = frozenset({"power_rule", "sum_instead_of_mean", "mean_instead_of_sum"})

# Each mistaken backward rule of the op table, as a full op table; built once, so that a
# grading pass can memoise its backward pass by the table's identity.
FULL_MISTAKE_RULES = mistaken_tables()

Candidate = tuple[int, str, np.ndarray]


def candidates(work: Work, blank: Blank) -> Iterator[Candidate]:
    """(tier, code, value the mistake gives) for a blank, most specific tier first."""
    yield from _rounding_candidates(work, blank)
    if blank.kind == "grad":
        yield from _grad_candidates(work, blank.target)
    elif blank.kind == "update":
        yield from _update_candidates(work, blank.target)
    else:
        yield from _new_candidates(work, blank.target)


def round_figures(value: np.ndarray, figures: int) -> np.ndarray:
    """``value`` rounded to ``figures`` significant figures, element by element."""
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.where(value != 0, np.abs(value), 1.0)))
        scale = 10.0 ** (figures - 1 - magnitude)
        return np.round(value * scale) / scale


def _rounding_candidates(work: Work, blank: Blank) -> Iterator[Candidate]:
    """The right and the carried value rounded; lazily, as a callable of (rows, answers)."""
    for target in (work.expected(blank), work.carried_value(blank)):
        for figures in ROUNDING_FIGURES:
            yield ROUNDING, "rounding", partial(_rounded, target, figures)


def _rounded(target: np.ndarray, figures: int, rows: np.ndarray, got: np.ndarray) -> np.ndarray:
    """``target`` rounded, in the rows whose answer is within reach of it (NaN elsewhere)."""
    target = target[rows]
    with np.errstate(invalid="ignore"):
        reach = ROUNDING_REACH * np.abs(target)
        if not (np.abs(got - target) <= reach).any():
            return np.full_like(target, np.nan)
        rounded = round_figures(target, figures)
        return np.where(np.abs(rounded - target) <= reach, rounded, np.nan)


def _grad_candidates(work: Work, name: str) -> Iterator[Candidate]:
    """Mistakes made at this step (from the student's own upstream answers) before mistakes
    carried from further down (from the reference)."""
    graph = work.exercise.graph
    uses = [use for use in graph.uses[name] if use in work.reference]
    yield from _here(work, name, uses, work.effective, work.contributions, HERE)
    yield SIGN, "sign_error", -work.carried[name]
    shape = work.reference[name].shape
    for code, rules in _mistake_rules(graph, [edge.name for edge in graph.edges]):
        if code in APPLIED_THROUGHOUT:
            mistaken = work.mistaken_backward(rules)
            value = mistaken.get(name, np.zeros(shape))
            agrees = work.agrees_downstream(name, mistaken)
            yield THROUGHOUT, code, np.where(_rows(agrees, value), value, np.nan)
    yield from _here(work, name, uses, work.reference, work.reference_contributions, REFERENCE)
    yield REFERENCE_SIGN, "sign_error", -work.reference[name]


def _rows(mask: np.ndarray, value: np.ndarray) -> np.ndarray:
    return mask.reshape(mask.shape + (1,) * (value.ndim - 1))


def _here(work: Work, name, uses, upstream, contributions, tier) -> Iterator[Candidate]:
    """The mistakes of one step: an upstream or local gradient left out, a use missed, a
    mistaken local rule; each on ``upstream`` (the student's own, or the reference)."""
    graph, tape = work.exercise.graph, work.tape
    shape = work.reference[name].shape
    for code, value in _upstream_candidates(work, name, uses, upstream, contributions):
        yield tier, code, value
    single = len(uses) == 1 and len(graph.edge(uses[0]).steps) == 1
    for code, rules in _mistake_rules(graph, uses):
        if code == "dropped_factor" and single:
            continue  # the same value as missing_local_gradient, which says it better
        parts = (vjp_edge(graph.edge(use), tape, upstream[use], rules).get(name, 0) for use in uses)
        yield tier, code, sum(parts, np.zeros(shape))


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
        passed = upstream[use]
        if passed.shape == shape:
            yield "missing_local_gradient", passed
        elif passed.ndim > len(shape):  # ``name`` was broadcast: its elements' parts add up
            summed = unbroadcast(passed, shape)
            if summed.shape == shape:
                yield "missing_local_gradient", summed
        yield (
            "missing_upstream_gradient",
            vjp_edge(work.exercise.graph.edge(use), work.tape, np.ones_like(passed))[name],
        )
    elif 1 < len(uses) <= MAX_FANOUT_SUBSETS:
        for size in range(1, len(uses)):
            for subset in combinations(uses, size):
                yield "missed_fanout", sum(contributions[(use, name)] for use in subset)


def _update_candidates(work: Work, param: str) -> Iterator[Candidate]:
    lr = work.exercise.spec.learning_rate
    for grad in (work.reference[param], work.effective[param]):
        yield HERE, "update_sign", lr * grad
        yield HERE, "missing_learning_rate", -grad
        yield HERE, "missing_learning_rate", grad


def _new_candidates(work: Work, param: str) -> Iterator[Candidate]:
    lr = work.exercise.spec.learning_rate
    old = work.tape.values[param]
    for step in (-lr * work.reference[param], work.student_update(param)):
        yield HERE, "update_sign", old - step
        yield HERE, "missing_old_value", step
    for grad in (work.reference[param], work.effective[param]):
        yield HERE, "missing_learning_rate", old - grad
    yield SIGN, "sign_error", -(old - lr * work.reference[param])
