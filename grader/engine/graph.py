"""A computation graph of named edges: forward values, and one backward pass in reverse order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from grader.engine.expr import Step, compile_expression, names_in
from grader.engine.numeric import unbroadcast
from grader.engine.ops import FUNCTIONS, OPS, Op


class GraphError(ValueError):
    """A graph that cannot be built or evaluated; ``edge`` names the offending line."""

    def __init__(self, message: str, edge: str | None = None):
        super().__init__(message)
        self.edge = edge


@dataclass(frozen=True)
class Edge:
    """A named edge: its source text, compiled steps and the names it reads."""

    name: str
    source: str
    steps: tuple[Step, ...]
    reads: tuple[str, ...]


@dataclass
class Graph:
    """Inputs (given values and params) and edges in order; the last edge is the loss."""

    inputs: tuple[str, ...]
    edges: tuple[Edge, ...]
    uses: dict[str, list[str]] = field(default_factory=dict)

    @property
    def loss(self) -> str:
        return self.edges[-1].name

    def edge(self, name: str) -> Edge:
        return self._by_name[name]

    def __post_init__(self):
        self._by_name = {edge.name: edge for edge in self.edges}
        self.uses = {name: [] for name in (*self.inputs, *self._by_name)}
        for edge in self.edges:
            for name in edge.reads:
                self.uses[name].append(edge.name)

    def reaches_loss(self) -> set[str]:
        """The names whose value the loss depends on."""
        reached = {self.loss}
        for edge in reversed(self.edges):
            if edge.name in reached:
                reached.update(edge.reads)
        return reached


def build_graph(inputs: list[str], edges: Mapping[str, str]) -> Graph:
    """Compile ``edges`` (name -> expression, in order) over ``inputs``; GraphError names the edge."""
    if not edges:
        raise GraphError("the graph has no edges")
    defined = set(inputs)
    compiled = []
    for name, source in edges.items():
        if name in FUNCTIONS:
            raise GraphError(f"'{name}' is a function name and cannot name an edge", name)
        if name in defined:
            raise GraphError(f"'{name}' is defined twice", name)
        try:
            steps = compile_expression(source)
        except ValueError as exc:
            raise GraphError(f"{exc} in '{name}: {source}'", name) from None
        reads = names_in(steps)
        for read in reads:
            if read not in defined:
                raise GraphError(f"unknown name '{read}' in '{name}: {source}'", name)
        compiled.append(Edge(name, str(source), tuple(steps), tuple(reads)))
        defined.add(name)
    return Graph(tuple(inputs), tuple(compiled))


@dataclass
class Tape:
    """Forward values of every name, and of every step of every edge, for V variants at once."""

    values: dict[str, np.ndarray]
    steps: dict[str, list[np.ndarray]]

    @property
    def variants(self) -> int:
        return next(iter(self.values.values())).shape[0]


def _arg(ref, values, outputs):
    if ref.kind == "name":
        return values[ref.name]
    if ref.kind == "step":
        return outputs[ref.step]
    return np.float64(ref.value)


def _per_variant(value, variants: int) -> np.ndarray:
    """A step's value as float64; a step of numbers alone is repeated for every variant."""
    value = np.asarray(value, dtype=np.float64)
    return value if value.ndim else np.full(variants, value)


def forward(graph: Graph, inputs: Mapping[str, np.ndarray]) -> Tape:
    """Evaluate every edge; each input has the variant on axis 0."""
    values = {name: np.asarray(inputs[name], dtype=np.float64) for name in graph.inputs}
    steps: dict[str, list[np.ndarray]] = {}
    variants = next((value.shape[0] for value in values.values() if value.ndim), 1)
    with np.errstate(all="ignore"):
        for edge in graph.edges:
            outputs: list[np.ndarray] = []
            for step in edge.steps:
                args = [_arg(ref, values, outputs) for ref in step.args]
                try:
                    outputs.append(_per_variant(OPS[step.op].forward(*args), variants))
                except ValueError:
                    shapes = " and ".join(str(list(np.shape(a)[1:])) for a in args if np.ndim(a))
                    raise GraphError(
                        f"shapes do not fit in '{edge.name}: {edge.source}': {step.op} of {shapes}",
                        edge.name,
                    ) from None
            steps[edge.name] = outputs
            values[edge.name] = outputs[-1]
    return Tape(values, steps)


def vjp_edge(
    edge: Edge, tape: Tape, upstream: np.ndarray, rules: Mapping[str, Op] = OPS
) -> dict[str, np.ndarray]:
    """Push ``upstream`` (d loss / d edge) back through one edge: d loss / d each name it reads."""
    outputs = tape.steps[edge.name]
    grads: list[np.ndarray | None] = [None] * len(outputs)
    grads[-1] = upstream
    into: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for i in range(len(edge.steps) - 1, -1, -1):
            g = grads[i]
            step = edge.steps[i]
            if g is None or all(ref.kind == "const" for ref in step.args):
                continue
            args = [_arg(ref, tape.values, outputs) for ref in step.args]
            local = rules[step.op].backward(g, outputs[i], *args)
            for ref, arg, contribution in zip(step.args, args, local, strict=True):
                if ref.kind == "const":
                    continue
                contribution = unbroadcast(contribution, arg.shape)
                if ref.kind == "step":
                    grads[ref.step] = (
                        contribution if grads[ref.step] is None else grads[ref.step] + contribution
                    )
                else:
                    into[ref.name] = (
                        contribution if ref.name not in into else into[ref.name] + contribution
                    )
    return into


def backward(graph: Graph, tape: Tape, rules: Mapping[str, Op] = OPS) -> dict[str, np.ndarray]:
    """d loss / d every name that reaches the loss; a fanned-out name sums over its uses."""
    loss = tape.values[graph.loss]
    grads = {graph.loss: np.ones_like(loss)}
    for edge in reversed(graph.edges):
        upstream = grads.get(edge.name)
        if upstream is None:
            continue
        for name, contribution in vjp_edge(edge, tape, upstream, rules).items():
            if name in grads:
                with np.errstate(all="ignore"):  # inf - inf where a value is not finite
                    contribution = grads[name] + contribution
            grads[name] = contribution
    return grads
