"""Hints generated from the graph, three levels for every blank, in English or Russian:

1. the node the blank's value feeds and its local rule (the feedback's sentence for it);
2. that local gradient's value in the student's own numbers (or, where that value is the answer
   itself, as on the edge into the loss, the numbers it is made of);
3. the worked solution's sentences for the blank.

A hint never states the blank's answer before level 3. Which level a student gets is the
service's choice, from their earlier attempts; nothing here knows them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from grader.checking.answers import Unreadable, parse_answer
from grader.checking.feedback import fallback, through, translator
from grader.checking.solution import solve
from grader.checking.solution.backward import Backward, expression, paths
from grader.checking.solution.book import match
from grader.checking.solution.words import Words
from grader.engine import Edge, Tape, backward
from grader.engine.prose import num
from grader.exercises import Blank, Exercise, Variant
from grader.exercises.exercise import blank_id

LEVELS = (1, 2, 3)
HINTS = {
    "loss": "The gradient of the loss on itself is 1: {loss} is the loss.",
    "loss_one": "The gradient on {loss} is 1.",
    "later_step": "In training step {step} start from your own new values of step {before}.",
    "local": "With your numbers, on the way back from {use} = {expression} to {target}, {route}.",
    "values": "With your numbers, {values}.",
    "book": "{use} = {expression} is {what}: ∂{use}/∂{target} = {formula}.",
    "several": "Add up what comes back along each use.",
    "update": "The local gradient of the step with respect to the gradient of {target} is −{lr}: multiply your gradient of {target} by −{lr}.",
    "new": "The new value changes by the step one for one: add your step to the old value of {target}, {old}.",
    "new_later": "The new value changes by the step one for one: add your step to your own new {target} of step {before}.",
}


def hint(
    exercise: Exercise,
    variant: Variant,
    blank: str,
    level: int,
    lang: str = "en",
    answers: Mapping[str, str] | None = None,
) -> str:
    """The level-``level`` hint on ``blank`` for ``variant``, in ``lang``; ``answers`` (the
    student's) give the start of a training step after the first."""
    if level not in LEVELS:
        raise ValueError(f"a hint's level is 1, 2 or 3, not {level!r}")
    found = exercise.blank(blank)
    if found is None:
        raise KeyError(f"no blank '{blank}' in {exercise.id}")
    if level == 3:
        return " ".join(step.text for step in solve(exercise, variant, lang).told(blank))
    _ = translator(lang)
    said = (
        fallback(exercise, found, _)
        if level == 1
        else _local(exercise, variant, found, lang, answers)
    )
    if found.kind == "grad" and found.target == exercise.graph.loss:
        said = _(HINTS["loss"]).format(loss=found.target)
    if level == 1 and found.step > 1 and found.kind == "grad":
        said += " " + _(HINTS["later_step"]).format(step=found.step, before=found.step - 1)
    elif level == 1 and exercise.graph.uses.get(found.target) == [exercise.graph.loss]:
        said += " " + _(HINTS["loss_one"]).format(loss=exercise.graph.loss)
    return said


def ladder(exercise: Exercise, variant: Variant, lang: str = "en") -> dict[str, list[str]]:
    """Every blank's three hints, in order."""
    return {
        blank.id: [hint(exercise, variant, blank.id, level, lang) for level in LEVELS]
        for blank in exercise.blanks
    }


def start_of(exercise: Exercise, variant: Variant, step: int, answers) -> tuple[Tape, dict]:
    """The forward values and gradients of training ``step`` from the student's own new values
    of the step before (where they gave readable ones), else from the right chain's."""
    tape, _ = exercise.evaluate([variant])
    chain = exercise.chain(tape)
    if step == 1 or not answers:
        return chain[step - 1]
    own = {}
    for param in exercise.spec.params:
        text = answers.get(blank_id("new", param, step - 1))
        try:
            value = parse_answer(text) if isinstance(text, str) else None
        except Unreadable:
            value = None
        if value is not None and value.shape == exercise.shapes[param]:
            own[param] = value[None]
    if not own:
        return chain[step - 1]
    tape = exercise.advance(chain[step - 1][0], own)
    return tape, backward(exercise.graph, tape)


def _local(exercise: Exercise, variant: Variant, blank: Blank, lang: str, answers) -> str:
    """Level 2: the local gradient in the student's numbers, never the answer itself."""
    _ = translator(lang)
    tape, grads = start_of(exercise, variant, blank.step, answers)
    rate = exercise.spec.learning_rate
    if blank.kind in ("update", "new"):
        step = -rate * grads[blank.target][0]
        old = tape.values[blank.target][0]
        if blank.kind == "update" and not np.allclose(step, -rate, rtol=1e-3):
            return _(HINTS["update"]).format(target=blank.target, lr=f"{rate:g}")
        if blank.kind == "new" and blank.step > 1:
            return _(HINTS["new_later"]).format(target=blank.target, before=blank.step - 1)
        if blank.kind == "new" and not np.allclose(old + step, old, rtol=1e-3):
            return _(HINTS["new"]).format(target=blank.target, old=num(old))
        return fallback(exercise, blank, _)  # its number would be the answer itself
    graph = exercise.graph
    uses = [use for use in graph.uses.get(blank.target, []) if use in grads]
    if not uses:
        return fallback(exercise, blank, _)
    words = Words(lang)
    told = Backward(graph, tape, grads, words, {})
    expected = grads[blank.target][0]
    said = [
        _through(exercise, told, graph.edge(use), blank.target, expected, words, _) for use in uses
    ]
    if len(said) > 1:
        said.append(_(HINTS["several"]))
    return " ".join(said)


def _through(
    exercise: Exercise, told: Backward, edge: Edge, target: str, expected, words: Words, _
) -> str:
    """What ``edge`` does to the gradient on its way back to ``target``, in numbers; the rule
    and the numbers it takes where the number would be the answer itself."""
    fields = {"use": edge.name, "expression": expression(edge), "target": target}
    found = match(edge)
    if found is not None and found.p == target:
        what = words(found.rule.what, p=target, y=found.y or "")
        formula = found.rule.gradient.format(p=target, y=found.y)
        said = _(HINTS["book"]).format(what=what, formula=formula, **fields)
        return f"{said} {_values(told, edge, _)}"
    ones = np.ones_like(told.grads[edge.name])
    routes = [told.route(edge, hops, ones) for hops in paths(edge, target)]
    local = sum(route.value for route in routes)
    said = "; ".join(told.told(route) for route in routes)
    if np.shape(local) == np.shape(expected) and np.allclose(local, expected, rtol=1e-3):
        # The local gradient is the answer (the gradient above is 1): written out, not worked.
        derivative = routes[0].derivative or ""
        if len(routes) > 1 or len(routes[0].words) > 1 or derivative.count(" = ") < 2:
            return f"{through(exercise, edge, target, _)} {_values(told, edge, _)}"
        said = said.replace(derivative, derivative.rsplit(" = ", 1)[0])
    return _(HINTS["local"]).format(route=said, **fields)


def _values(told: Backward, edge: Edge, _) -> str:
    """``With your numbers, y = 1, e3 = 0.5.``"""
    values = ", ".join(f"{name} = {num(told.tape.values[name][0])}" for name in edge.reads)
    return _(HINTS["values"]).format(values=values)
