"""Composite functions read as a book writes them: the log loss's gradient is
``−y/p + (1 − y)/(1 − p)``, and through a sigmoid it becomes ``p − y``, instead of a chain of
node hops.

A rule names an edge's expression by the forms it may be written in, with ``{y}`` (the labels)
and ``{p}`` (the value differentiated) standing for names the edge reads. A rule's formulas are
stated only where they give the engine's own value, so a rule that does not fit a graph (labels
that are not 0 or 1, say) is never told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import permutations

import numpy as np

from grader.engine import Edge
from grader.engine.expr import compile_expression

Rule = Callable[[np.ndarray, np.ndarray, int], np.ndarray]  # (y, p, N) -> d edge / d p


@dataclass(frozen=True)
class BookRule:
    """One composite function: its name (BOOK of the words), the forms an edge writes it in,
    its gradient in words and in numbers, and where a following op simplifies it (``through``:
    the op whose output is ``p``, and the formula in that op's argument ``z``)."""

    what: str
    forms: tuple[str, ...]
    gradient: str
    value: Rule
    through: tuple[str, str, str, Rule] | None = None  # (op, name of the loss, formula, value)
    labels: bool = True  # whether the forms read {y}


LOG_LOSS = "-({y} * log({p}) + (1 - {y}) * log(1 - {p}))"
LOG_LOSS_FORMS = (LOG_LOSS, "-{y} * log({p}) - (1 - {y}) * log(1 - {p})")
CROSS_ENTROPY = ("-sum({y} * log({p}))", "sum(-{y} * log({p}))")

RULES = (
    BookRule(
        "log_loss",
        LOG_LOSS_FORMS,
        "−{y}/{p} + (1 − {y})/(1 − {p})",
        lambda y, p, n: -y / p + (1 - y) / (1 - p),
        ("sigmoid", "the_log_loss", "{p} − {y}", lambda y, p, n: p - y),
    ),
    BookRule(
        "log_loss_mean",
        tuple(f"mean({form})" for form in LOG_LOSS_FORMS),
        "(−{y}/{p} + (1 − {y})/(1 − {p})) / N",
        lambda y, p, n: (-y / p + (1 - y) / (1 - p)) / n,
        ("sigmoid", "the_log_loss", "({p} − {y}) / N", lambda y, p, n: (p - y) / n),
    ),
    BookRule(
        "log_loss_of_sigmoid",
        tuple(form.replace("{p}", "sigmoid({p})") for form in LOG_LOSS_FORMS),
        "σ({p}) − {y}",
        lambda y, z, n: 1 / (1 + np.exp(-z)) - y,
    ),
    BookRule(
        "sum_of_squares",
        ("sum({p} ** 2)", "sum(square({p}))"),
        "2 · {p}",
        lambda y, p, n: 2 * p,
        labels=False,
    ),
    BookRule(
        "mean_of_squares",
        ("mean({p} ** 2)", "mean(square({p}))"),
        "2 · {p} / N",
        lambda y, p, n: 2 * p / n,
        labels=False,
    ),
    BookRule(
        "cross_entropy_of_softmax",
        tuple(form.replace("{p}", "softmax({p})") for form in CROSS_ENTROPY),
        "softmax({p}) − {y}",
        lambda y, z, n: np.exp(z - z.max()) / np.exp(z - z.max()).sum() - y,
    ),
    BookRule(
        "cross_entropy",
        CROSS_ENTROPY,
        "−{y}/{p}",
        lambda y, p, n: -y / p,
        ("softmax", "the_cross_entropy", "{p} − {y}", lambda y, p, n: p - y),
    ),
)


@dataclass(frozen=True)
class Match:
    """An edge that is a rule's composite of ``p``, with the labels ``y`` (None without)."""

    rule: BookRule
    p: str
    y: str | None


@cache
def _compiled(form: str, p: str, y: str | None) -> tuple:
    return tuple(compile_expression(form.format(p=p, y=y or "_")))


def match(edge: Edge) -> Match | None:
    """The book rule ``edge`` is written as, if any."""
    pairs = list(permutations(edge.reads, 2)) + [(name, None) for name in edge.reads]
    for rule in RULES:
        for p, y in pairs:
            if (y is not None) != rule.labels:
                continue
            if any(_compiled(form, p, y) == edge.steps for form in rule.forms):
                return Match(rule, p, y)
    return None


def fits(rule: Rule, y, p, expected: np.ndarray) -> bool:
    """Whether ``rule`` gives the engine's value here (one variant's values)."""
    p = np.asarray(p, dtype=np.float64)
    y = np.zeros_like(p) if y is None else np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        value = np.broadcast_to(rule(y, p, max(1, p.size)), np.shape(expected))
    return bool(np.allclose(value, expected, rtol=1e-9, atol=1e-12))
