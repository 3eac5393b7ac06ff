"""The forward pass in numbers: each edge's value from its inputs, ``e2 = x · e1 = 2 · 0 = 0``."""

from __future__ import annotations

from collections.abc import Mapping

from grader.checking.narration import render
from grader.engine import Edge
from grader.engine.expr import Ref, Step
from grader.engine.prose import num

MAX_SUBSTITUTED = 160  # characters: a longer expression with its numbers is told by its result


def substituted(steps: tuple[Step, ...], values: Mapping[str, str]) -> str:
    """An expression with each name replaced by its value, in prose."""
    renamed = tuple(
        Step(
            step.op,
            tuple(
                Ref("name", name=values[ref.name]) if ref.kind == "name" else ref
                for ref in step.args
            ),
        )
        for step in steps
    )
    return render(renamed, Ref("step", step=len(steps) - 1))


def sentence(edge: Edge, values: Mapping[str, object]) -> str:
    """``e2 = x · e1 = 2 · 0 = 0.``"""
    shown = {name: num(values[name], paren=True) for name in edge.reads}
    parts = [edge.name, render(edge.steps, Ref("step", step=len(edge.steps) - 1))]
    middle = substituted(edge.steps, shown)
    if len(middle) <= MAX_SUBSTITUTED and middle not in parts:
        parts.append(middle)
    result = num(values[edge.name])
    if result != parts[-1]:
        parts.append(result)
    return " = ".join(parts) + "."
