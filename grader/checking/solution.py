"""Worked solutions: the backward pass told edge by edge, the way the book narrates it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from grader.checking.feedback import WORDS, precision
from grader.checking.narration import render
from grader.engine import OPS, Edge
from grader.engine.expr import Ref
from grader.engine.format import plain
from grader.engine.numeric import unbroadcast
from grader.engine.prose import Hop, num
from grader.exercises import Exercise, Variant
from grader.exercises.exercise import blank_id

INTRO = "Work back from the loss, one edge at a time."


@dataclass
class SolutionStep:
    """One sentence of the worked solution; ``blank`` is None for an edge the student is not asked."""

    blank: str | None
    target: str
    value: int | float | list | None
    text: str


@dataclass
class Solution:
    """The steps of a worked solution and the same as Markdown."""

    steps: list[SolutionStep]
    markdown: str

    def to_dict(self) -> dict:
        return {"steps": [asdict(step) for step in self.steps], "markdown": self.markdown}


def listing(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def alias_of(edge: Edge) -> str | None:
    """The name an edge such as ``e1: v`` merely renames."""
    if len(edge.steps) == 1 and edge.steps[0].op == "id" and edge.steps[0].args[0].kind == "name":
        return edge.steps[0].args[0].name
    return None


def paths(edge: Edge, name: str) -> list[list[tuple[int, int]]]:
    """Each place ``name`` is read in ``edge``: the (step, argument) hops from the edge's output down."""
    parent = {
        ref.step: (i, j)
        for i, s in enumerate(edge.steps)
        for j, ref in enumerate(s.args)
        if ref.kind == "step"
    }
    found = []
    for i, step in enumerate(edge.steps):
        for j, ref in enumerate(step.args):
            if ref.kind == "name" and ref.name == name:
                hops = [(i, j)]
                while hops[-1][0] in parent:
                    hops.append(parent[hops[-1][0]])
                found.append(hops[::-1])
    return found


@dataclass
class Route:
    """The way from an edge's output down to one place a name is read in it."""

    words: list[str] = field(default_factory=list)
    factors: list[float | None] = field(default_factory=list)
    derivative: str | None = None
    value: np.ndarray | None = None

    def told(self) -> str:
        return ", then ".join(self.words)


def capital(text: str) -> str:
    return "The" + text[3:] if text.startswith("the ") else text


class Narrator:
    """Walks one variant's backward pass and writes a sentence per gradient, step and new value."""

    def __init__(self, exercise: Exercise, variant: Variant):
        self.exercise, self.graph = exercise, exercise.graph
        self.tape, self.grads = exercise.evaluate([variant])
        self.asked = {blank.id for blank in exercise.blanks}
        self.uses = {
            name: [use for use in uses if use in self.grads]
            for name, uses in self.graph.uses.items()
        }
        self.labels: dict[str, str] = {}
        folded = set()
        for edge in self.graph.edges:
            name = alias_of(edge)
            if name and self.uses[name] == [edge.name] and f"grad.{name}" not in self.asked:
                folded.add(name)
                self.labels[edge.name] = f"{edge.name} (that is, {name})"
        asked_grads = {blank.target for blank in exercise.blanks if blank.kind == "grad"}
        edges = {edge.name for edge in self.graph.edges}
        self.narrated = (edges | set(exercise.spec.params) | asked_grads) - folded
        self.parts: dict[str, list[tuple[str, np.ndarray]]] = {}
        self.step = 1
        self.steps: list[SolutionStep] = []

    def solve(self) -> Solution:
        chain = self.exercise.chain(self.tape) if self.exercise.spec.steps > 1 else []
        for step, (tape, grads) in enumerate(chain or [(self.tape, self.grads)], 1):
            self.step, self.tape, self.grads = step, tape, grads
            if step > 1:
                start = [f"{p} = {num(self.tape.values[p][0])}" for p in self.exercise.spec.params]
                self.add(None, "", None, f"Step {step} starts from {listing(start)}.")
            self.parts = {}
            self.backward()
            self.updates()
        lines = [f"{i}. {step.text}" for i, step in enumerate(self.steps, 1)]
        asked = WORDS["give"].format(precision=precision(self.exercise))
        return Solution(self.steps, "\n".join([f"{INTRO} {asked}", "", *lines]) + "\n")

    def backward(self) -> None:
        """This step's gradients, from the loss back."""
        loss = self.graph.loss
        if blank_id("grad", loss, self.step) in self.asked:
            self.add("grad", loss, self.grads[loss][0], f"On {loss} the gradient is 1.")
        for edge in reversed(self.graph.edges):
            if edge.name in self.grads:
                for name in edge.reads:
                    if name in self.narrated:
                        self.read(edge, name)

    def add(self, kind: str | None, target: str, value, text: str) -> None:
        name = blank_id(kind, target, self.step) if kind else None
        blank = name if name in self.asked else None
        self.steps.append(SolutionStep(blank, target, plain(value), text))

    def read(self, edge: Edge, name: str) -> None:
        """The gradient ``name`` gets through ``edge``; the sum when that was its last use."""
        if len(self.uses[name]) == 1:
            final = self.grads[name][0]
            text, _ = self.through(edge, name, self.labels.get(name, name), "", final)
            self.add("grad", name, final, text)
            return
        text, value = self.through(edge, name, name, f" from {edge.name}")
        self.add(None, name, value, text)
        self.parts.setdefault(name, []).append((edge.name, value))
        if len(self.parts[name]) == len(self.uses[name]):
            parts = self.parts[name][::-1]
            terms = " + ".join(
                f"{num(value, paren=k > 0)} (from {use})" for k, (use, value) in enumerate(parts)
            )
            total = self.grads[name][0]
            self.add(
                "grad",
                name,
                total,
                f"{self.labels.get(name, name)} is used by {listing([use for use, _ in parts])}, "
                f"so its gradient sums the gradients from its uses: {terms} = {num(total)}.",
            )

    def through(self, edge: Edge, name: str, label: str, suffix: str, shown=None):
        """One sentence for the gradient ``name`` gets through ``edge``, and its value."""
        upstream = self.grads[edge.name]
        routes = [self.route(edge, hops, upstream) for hops in paths(edge, name)]
        value = sum(route.value for route in routes) if shown is None else shown
        where = f"In {edge.name} = {render(edge.steps, Ref('step', step=len(edge.steps) - 1))}, "
        if len(routes) > 1:
            pieces = "; ".join(f"{route.told()} (giving {num(route.value)})" for route in routes)
            terms = " + ".join(num(route.value, paren=k > 0) for k, route in enumerate(routes))
            return (
                f"{where}{name} is read {len(routes)} times: {pieces}; "
                f"so {label} gets {terms} = {num(value)}{suffix}."
            ), value
        route = routes[0]
        on_loss = edge.name == self.graph.loss
        alone = len(route.words) == 1 and not suffix and np.ndim(value) == 0
        if on_loss and alone and route.derivative:
            return f"On {label} the gradient is {route.derivative}.", value
        items = ([] if on_loss else [upstream[0]]) + [f for f in route.factors if f != 1]
        arithmetic = ""
        if len(items) > 1 and all(x is not None and np.ndim(x) == 0 for x in items):
            arithmetic = " · ".join(num(x, paren=k > 0) for k, x in enumerate(items)) + " = "
        lead = capital(route.words[0]) if len(route.words) == 1 else where + route.told()
        return f"{lead}, so {label} gets {arithmetic}{num(value)}{suffix}.", value

    def route(self, edge: Edge, hops: list[tuple[int, int]], g: np.ndarray) -> Route:
        """Push ``g`` back along ``hops`` of ``edge``, saying at each op what it does."""
        route = Route()
        for i, j in hops:
            step, op, out = edge.steps[i], OPS[edge.steps[i].op], self.tape.steps[edge.name][i]
            args = [self.value(edge, ref) for ref in step.args]
            contribution = op.backward(g, out, *args)[j]
            local = op.backward(np.ones_like(out), out, *args)[j][0] if op.elementwise else None
            # A constant carries no variant axis.
            values = [a[0] if a.ndim else np.asarray(a) for a in args]
            labels = [render(edge.steps, ref) for ref in step.args]
            constants = tuple(ref.kind == "const" for ref in step.args)
            hop = Hop(j, edge.name, constants, labels, values, out[0], local)
            said = op.say(hop)
            word = f"the {op.node} node {said.phrase}" if op.node else said.phrase
            factor = float(local) if local is not None and local.ndim == 0 else None
            g = unbroadcast(contribution, args[j].shape)
            if contribution.shape != args[j].shape:
                word += f", then adds it up over the elements {hop.labels[j]} was broadcast to"
                factor = None
            route.words.append(word)
            route.factors.append(factor)
            route.derivative = said.derivative
        route.value = g[0]
        return route

    def value(self, edge: Edge, ref: Ref) -> np.ndarray:
        if ref.kind == "name":
            return self.tape.values[ref.name]
        if ref.kind == "step":
            return self.tape.steps[edge.name][ref.step]
        return np.float64(ref.value)

    def updates(self) -> None:
        """The step and the new value of each asked param."""
        ask, lr = self.exercise.spec.ask, self.exercise.spec.learning_rate
        for param in dict.fromkeys([*ask.update, *ask.new]):
            g = self.grads[param][0]
            old = self.tape.values[param][0]
            step, new = -lr * g, old - lr * g
            if g.ndim == 0:
                text = f"The step for {param} is −{num(g, paren=True)} · {num(lr)} = {num(step)}."
            else:
                text = f"The step for {param} is −{num(lr)} · {num(g)} = {num(step)}."
            self.add("update", param, step, text)
            if param in ask.new:
                self.add(
                    "new",
                    param,
                    new,
                    f"The new {param} is {num(old)} + {num(step, paren=True)} = {num(new)}.",
                )


def solve(exercise: Exercise, variant: Variant) -> Solution:
    """The worked solution of ``exercise`` for ``variant``: every gradient, step and new value."""
    return Narrator(exercise, variant).solve()
