"""The forward pass in numbers: each edge's value from its inputs, ``e2 = x · e1 = 2 · 0 = 0``."""

from __future__ import annotations

from collections.abc import Mapping

from grader.checking.narration import render
from grader.engine import OPS, Edge
from grader.engine.expr import Ref, Step
from grader.engine.prose import num

MAX_SUBSTITUTED = 160  # characters: a longer expression with its numbers is told by its result


def substituted(steps: tuple[Step, ...], values: Mapping[str, object]) -> str:
    """An expression with each name replaced by its value, in prose: a negative number or a
    fraction in parentheses beside an operator, bare as a function's argument."""
    renamed = []
    for step in steps:
        bare = OPS[step.op].function or step.op == "id"
        args = tuple(
            Ref("name", name=num(values[ref.name], paren=not bare)) if ref.kind == "name" else ref
            for ref in step.args
        )
        renamed.append(Step(step.op, args))
    return render(tuple(renamed), Ref("step", step=len(steps) - 1))


def sentence(edge: Edge, values: Mapping[str, object]) -> str:
    """``e2 = x · e1 = 2 · 0 = 0.``"""
    parts = [edge.name, render(edge.steps, Ref("step", step=len(edge.steps) - 1))]
    middle = substituted(edge.steps, values)
    if len(middle) <= MAX_SUBSTITUTED and middle not in parts:
        parts.append(middle)
    result = num(values[edge.name])
    if result != parts[-1]:
        parts.append(result)
    return " = ".join(parts) + "."
