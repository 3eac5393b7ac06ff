"""The backward pass told edge by edge, the way the book narrates it: what each op does to the
gradient on its way back, with the student's numbers filled in."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grader.checking.narration import render
from grader.checking.solution import book
from grader.checking.solution.words import Words, capital
from grader.engine import OPS, Edge
from grader.engine.expr import Ref
from grader.engine.numeric import unbroadcast
from grader.engine.prose import Hop, num

MAX_TERMS = 8  # a sum over more elements is told by its result alone


def alias_of(edge: Edge) -> str | None:
    """The name an edge such as ``e1: v`` merely renames."""
    if len(edge.steps) == 1 and edge.steps[0].op == "id" and edge.steps[0].args[0].kind == "name":
        return edge.steps[0].args[0].name
    return None


def expression(edge: Edge) -> str:
    """An edge's expression in prose: ``x · e1``."""
    return render(edge.steps, Ref("step", step=len(edge.steps) - 1))


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
    factors: list[np.ndarray | None] = field(default_factory=list)
    derivative: str | None = None
    value: np.ndarray | None = None
    summed: bool = False  # added up over the elements a name was broadcast to
    lead: str = ""  # the first hop's words as a sentence starts them


def terms(values, words: Words | None = None, uses: list[str] | None = None) -> str:
    """``a + (−b) + c``; each term ``(from use)`` when ``uses`` are given."""
    out = []
    for k, value in enumerate(values):
        text = num(value, paren=k > 0)
        out.append(words("from_term", value=text, use=uses[k]) if uses else text)
    return " + ".join(out)


class Backward:
    """Writes a sentence for each gradient of one variant's backward pass (``Narrator`` calls
    :meth:`read` for each name an edge reads, from the loss back)."""

    def __init__(self, graph, tape, grads, words: Words, labels: dict[str, str]):
        self.graph, self.tape, self.grads = graph, tape, grads
        self.words, self.labels = words, labels

    def through(self, edge: Edge, name: str, suffix: str, shown=None) -> tuple[str, np.ndarray]:
        """One sentence for the gradient ``name`` gets through ``edge``, and its value."""
        words, label = self.words, self.labels.get(name, name) if not suffix else name
        upstream = self.grads[edge.name][0]
        routes = [self.route(edge, hops, self.grads[edge.name]) for hops in paths(edge, name)]
        value = sum(route.value for route in routes) if shown is None else shown
        said = self.book(edge, name, label, suffix, value)
        if said:
            return said, value
        if len(routes) > 1:
            pieces = "; ".join(
                words("giving", route=self.told(route), value=num(route.value)) for route in routes
            )
            return words(
                "read_times",
                edge=edge.name,
                expression=expression(edge),
                name=name,
                n=len(routes),
                pieces=pieces,
                label=label,
                terms=terms([route.value for route in routes]),
                value=num(value),
                suffix=suffix,
            ), value
        route = routes[0]
        on_loss = edge.name == self.loss
        alone = len(route.words) == 1 and not suffix and np.ndim(value) == 0
        if on_loss and alone and route.derivative and not route.summed:
            return words("on_edge", name=label, derivative=route.derivative), value
        if len(route.words) == 1:
            lead = route.lead
        else:
            lead = words(
                "in_edge", edge=edge.name, expression=expression(edge), route=self.told(route)
            )
        factors = [] if on_loss else [upstream]
        arithmetic = self.arithmetic([*factors, *route.factors], value)
        return words(
            "gets", lead=lead, name=label, arithmetic=arithmetic, value=num(value), suffix=suffix
        ), value

    @property
    def loss(self) -> str:
        return self.graph.loss

    def told(self, route: Route) -> str:
        out = route.words[0]
        for word in route.words[1:]:
            out = self.words("then", first=out, second=word)
        return out

    def arithmetic(self, items: list, value) -> str:
        """``−10 · 2 = `` when every factor is known and not 1, else nothing."""
        items = [x for x in items if x is None or not np.all(np.asarray(x) == 1)]
        if len(items) < 2 or any(x is None for x in items):
            return ""
        shapes = {np.shape(x) for x in items} - {()}
        if len(shapes) > 1 or (shapes and np.shape(value) not in shapes):
            return ""
        return " · ".join(num(x, paren=k > 0) for k, x in enumerate(items)) + " = "

    def route(self, edge: Edge, hops: list[tuple[int, int]], g: np.ndarray) -> Route:
        """Push ``g`` back along ``hops`` of ``edge``, saying at each op what it does."""
        route, words = Route(), self.words
        for i, j in hops:
            step, op, out = edge.steps[i], OPS[edge.steps[i].op], self.tape.steps[edge.name][i]
            args = [self.value(edge, ref) for ref in step.args]
            local = None
            if op.elementwise:
                local = np.broadcast_to(op.backward(np.ones_like(out), out, *args)[j], out.shape)[0]
            # A constant carries no variant axis.
            values = [a[0] if a.ndim else np.asarray(a) for a in args]
            labels = [render(edge.steps, ref) for ref in step.args]
            constants = tuple(ref.kind == "const" for ref in step.args)
            hop = Hop(j, edge.name, constants, labels, values, out[0], local)
            said = op.say(hop)
            phrase = words.local(said)
            word, lead = phrase, phrase
            if op.node:
                node = words.node(op.name)
                word = words("node_does", node=node, phrase=phrase)
                lead = words("node_does", node=capital(node), phrase=phrase)
            contribution, upstream = op.backward(g, out, *args)[j], g
            g = unbroadcast(contribution, args[j].shape)
            if contribution.shape != args[j].shape:
                summed = self.summed(contribution[0], upstream[0], local, labels[j], g[0])
                word = words("then", first=word, second=summed)
                lead = words("then", first=lead, second=summed)
                local, route.summed = None, True
            if local is not None and local.ndim and local.size and np.all(local == local.flat[0]):
                local = np.asarray(local.flat[0])  # the same factor everywhere: a scalar
            route.lead = route.lead or lead
            route.words.append(word)
            route.factors.append(local)
            route.derivative = said.derivative
        route.value = g[0]
        return route

    def summed(self, parts: np.ndarray, upstream, local, name: str, total) -> str:
        """``adds it up over the 3 elements v was broadcast to: (−2) · 1 + … = −16``."""
        said = terms(parts.reshape(-1)) if parts.size <= MAX_TERMS else "…"
        if local is not None and parts.size <= MAX_TERMS:
            pairs = zip(
                np.broadcast_to(upstream, parts.shape).reshape(-1),
                np.broadcast_to(local, parts.shape).reshape(-1),
                strict=True,
            )
            said = " + ".join(f"{num(a, paren=True)} · {num(b, paren=True)}" for a, b in pairs)
        return self.words("broadcast_sum", n=parts.size, name=name, terms=said, total=num(total))

    def value(self, edge: Edge, ref: Ref) -> np.ndarray:
        if ref.kind == "name":
            return self.tape.values[ref.name]
        if ref.kind == "step":
            return self.tape.steps[edge.name][ref.step]
        return np.float64(ref.value)

    def book(self, edge: Edge, name: str, label: str, suffix: str, value) -> str | None:
        """The sentence of a book rule ``edge`` is written as, where it gives ``value``."""
        found = book.match(edge)
        if found is None or found.p != name:
            return None
        p = self.tape.values[name][0]
        y = self.tape.values[found.y][0] if found.y else None
        upstream = self.grads[edge.name][0]
        local = value / upstream if np.ndim(upstream) == 0 and upstream != 0 else None
        if local is None or not book.fits(found.rule.value, y, p, local):
            return None
        formula = self.formula(found.rule.gradient, found, p, y, local)
        on_loss = edge.name == self.loss
        return self.words(
            "book",
            edge=edge.name,
            expression=expression(edge),
            what=self.words(found.rule.what, p=name, y=found.y or ""),
            name=name,
            formula=formula,
            label=label,
            arithmetic="" if on_loss else self.arithmetic([upstream, local], value),
            value=num(value),
            suffix=suffix,
        )

    def formula(self, template: str, found: book.Match, p, y, value) -> str:
        """``−y/p + … = −1/0.5 + … = −2``: the numbers substituted where they are scalars."""
        parts = [template.format(p=found.p, y=found.y)]
        if np.ndim(p) == 0 and (y is None or np.ndim(y) == 0):
            parts.append(template.format(p=num(p, paren=True), y=num(y, paren=True)))
        if num(value) != parts[-1]:
            parts.append(num(value))
        return " = ".join(parts)

    def simplified(self, edge: Edge, name: str, value) -> str | None:
        """Where ``edge`` is one op whose output feeds only a book rule that it simplifies (a
        sigmoid under the log loss), the gradient ``value`` that ``name`` gets through it, told
        as the book's simplified formula."""
        graph = self.graph
        if len(edge.steps) != 1 or len(graph.uses.get(edge.name, [])) != 1:
            return None
        found = book.match(graph.edge(graph.uses[edge.name][0]))
        through = found and found.rule.through
        if not through or found.p != edge.name or edge.steps[0].op != through[0]:
            return None
        p = self.tape.values[edge.name][0]
        y = self.tape.values[found.y][0] if found.y else None
        scale = self.grads[graph.uses[edge.name][0]][0]
        if np.ndim(scale) or not book.fits(lambda *a: scale * through[3](*a), y, p, value):
            return None
        formula = self.formula(through[2], found, p, y, value / scale)
        return self.words(
            "simplifies",
            node=self.words.node(through[0]),
            what=self.words(through[1]),
            formula=formula,
        )
