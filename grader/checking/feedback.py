"""Feedback sentences: what a verdict or a diagnosis tells the student about their own blank,
named by the node it concerns, in English or Russian (the project's message catalogue)."""

from __future__ import annotations

import gettext
import math
import re
from functools import cache
from pathlib import Path

from grader.checking.narration import atom, render
from grader.engine import OPS, Edge
from grader.engine.expr import Ref
from grader.engine.ops import mistakes_told
from grader.engine.prose import power
from grader.exercises import Blank, Exercise

LANGUAGES = ("en", "ru")
MISTAKES_TOLD = mistakes_told()  # the op table's own mistakes (wrong_factor, power_rule, ...)
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"

# Verdicts and the mistakes that are no op's own; each op's mistakes are told in its record.
FEEDBACK = {
    "correct": "Correct.",
    "follow_through": "Right given your own earlier answers: the mistake is counted where it was made.",
    "missing": "No answer given.",
    "consistent_with_earlier": "Consistent with your own earlier answers, so the mistake is further up; this exercise gives no credit for that.",
    "sign_error": "The sign is wrong: check the sign of each local gradient on the way back to {target}.",
    "missing_local_gradient": "You passed the gradient on {use} on unchanged: {target} feeds {node} {use} = {expression}, so multiply by its local gradient.",
    "missing_upstream_gradient": "You gave only the local gradient of {use} = {expression}: multiply it by the gradient arriving on {use}.",
    "missed_fanout": "{target} is used by {uses}: add up the gradients that come back along each of them.",
    "update_sign": "Your step goes along the gradient, uphill: the step is −learning rate × gradient.",
    "missing_learning_rate": "Multiply the gradient by the learning rate: the step is −learning rate × gradient.",
    "missing_old_value": "The new value is the old value plus the step, not the step alone.",
    "transposed": "Your matrix is the transpose of the answer: {target} has the shape {shape}.",
    "wrong_shape": "The answer has the wrong shape: {target} has the shape {shape}.",
    "rounding": "Rounded too early: give the answer {precision}.",
    "either": "Either of two mistakes gives this value. {first} Or: {second}",
}
FALLBACK = {
    "feeds_one_op": "{target} feeds {node} {use} = {expression}: the gradient on {target} is {rule}, with g the gradient on {use}.",
    "feeds_expression": "{target} feeds {use} = {expression}: take the local gradient of each operation on the way back from {use} to {target} ({ops}), multiply them, and multiply by the gradient on {use}.",
    "same": "{use} is {target} itself: the gradient on {target} is the gradient on {use}.",
    "several_uses": "{sentences} Add up what comes back along each use.",
    "update": "The step is −learning rate × gradient: −{lr} × the gradient of {target}.",
    "new": "The new value is the old value plus the step: {target} + the step for {target}.",
}
WORDS = {
    "a_number": "a number",
    "sigfigs": "to {n} significant figures",
    "percent": "to within {percent} (about {n} significant figures), or as an exact fraction",
    "exact": "exactly, or as an exact fraction",
    "give": "Give each answer {precision}.",
}


@cache
def translator(lang: str):
    """The catalogue's ``gettext`` for ``lang`` (English is the messages themselves)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}': choose one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return lambda text: text
    return gettext.translation("messages", TRANSLATIONS_DIR, languages=[lang]).gettext


def sentence(
    exercise: Exercise, blank: Blank, verdict: str, diagnosis: str | None, lang: str = "en"
) -> str:
    """The feedback of one graded blank, in ``lang``."""
    _ = translator(lang)
    if diagnosis is not None:
        codes = diagnosis.split("|")
        said = [_diagnosis(exercise, blank, code, _) for code in codes]
        if len(said) == 1:
            return said[0]
        return _(FEEDBACK["either"]).format(first=said[0], second=" ".join(said[1:]))
    if verdict == "incorrect":
        return fallback(exercise, blank, _)
    return _(FEEDBACK[verdict])


def _diagnosis(exercise: Exercise, blank: Blank, code: str, _) -> str:
    uses = _uses(exercise, blank.target)
    fields = {
        "target": blank.target,
        "shape": list(blank.shape) if blank.shape else _(WORDS["a_number"]),
        "uses": ", ".join(uses),
        "precision": precision(exercise, _),
    }
    if (
        len(uses) == 1
        and blank.kind == "grad"
        and OPS[exercise.graph.edge(uses[0]).steps[-1].op].node
    ):
        edge = exercise.graph.edge(uses[0])
        fields.update(use=edge.name, expression=expression(edge), node=_node(edge, _))
    elif code in ("missing_local_gradient", "missing_upstream_gradient"):
        return fallback(exercise, blank, _)
    return _(FEEDBACK.get(code) or MISTAKES_TOLD[code]).format(**fields)


def fallback(exercise: Exercise, blank: Blank, _) -> str:
    """What to do for this blank, named by the node its value feeds: never the answer."""
    if blank.kind == "update":
        lr = f"{exercise.spec.learning_rate:g}"
        return _(FALLBACK["update"]).format(lr=lr, target=blank.target)
    if blank.kind == "new":
        return _(FALLBACK["new"]).format(target=blank.target)
    uses = _uses(exercise, blank.target)
    if not uses:
        return _(FEEDBACK["correct"]) if blank.target == exercise.graph.loss else ""
    said = [through(exercise, exercise.graph.edge(use), blank.target, _) for use in uses]
    if len(said) == 1:
        return said[0]
    return _(FALLBACK["several_uses"]).format(sentences=" ".join(said))


def through(exercise: Exercise, edge: Edge, target: str, _) -> str:
    """What to do for the gradient on ``target`` that comes back through its use ``edge``."""
    fields = {"target": target, "use": edge.name, "expression": expression(edge)}
    if len(edge.steps) == 1 and not OPS[edge.steps[0].op].node:
        return _(FALLBACK["same"]).format(**fields)
    if len(edge.steps) == 1:
        step = edge.steps[0]
        labels = [render(edge.steps, ref) for ref in step.args]
        j = next(j for j, ref in enumerate(step.args) if ref.kind == "name" and ref.name == target)
        rule = gradient_rule(step.op, j, labels, _)
        return _(FALLBACK["feeds_one_op"]).format(node=_node(edge, _), rule=rule, **fields)
    named = [_(node_phrase(step.op)) for step in reversed(edge.steps) if OPS[step.op].node]
    named = list(dict.fromkeys(named))
    return _(FALLBACK["feeds_expression"]).format(ops=", ".join(named), **fields)


def _node(edge: Edge, _) -> str:
    return _(node_phrase(edge.steps[-1].op))


def expression(edge: Edge) -> str:
    """An edge's expression as the worked solution writes it: ``x · e1``."""
    return render(edge.steps, Ref("step", step=len(edge.steps) - 1))


def _uses(exercise: Exercise, name: str) -> list[str]:
    graph = exercise.graph
    reached = graph.reaches_loss()
    return [use for use in graph.uses.get(name, []) if use in reached]


def precision(exercise: Exercise, _=None) -> str:
    """How precise an answer must be, from the exercise's tolerance, in words."""
    _ = _ or translator("en")
    tolerance = exercise.spec.tolerance
    if tolerance.sigfigs is not None:
        return _(WORDS["sigfigs"]).format(n=tolerance.sigfigs)
    percent = f"{100 * tolerance.rtol:g}%"
    if tolerance.rtol <= 0:
        return _(WORDS["exact"])
    figures = max(1, round(-math.log10(tolerance.rtol)) + 1)
    return _(WORDS["percent"]).format(percent=percent, n=figures)


def gradient_rule(op: str, j: int, labels: list[str], _) -> str:
    """The gradient ``op`` sends back to its argument ``j``, from its record: ``g · x``."""
    a, b = ([atom(label) for label in labels] + [""])[:2]
    words = OPS[op].gradient
    return _worked_exponents(_(words[min(j, len(words) - 1)]).format(a=a, b=b))


_EXPONENT = re.compile(r"\^\((\d+) − 1\)")


def _worked_exponents(text: str) -> str:
    """A whole-number exponent written out: ``e3^(2 − 1)`` -> ``e3``, ``e3^(3 − 1)`` -> ``e3²``."""
    return _EXPONENT.sub(lambda m: power("", int(m.group(1)) - 1), text)


def node_phrase(op: str) -> str:
    """How a sentence names an op's node: ``the multiply node``."""
    return f"the {OPS[op].node} node"
