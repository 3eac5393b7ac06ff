"""Generated drills: a new computation graph whose numbers a student can work by hand.

A drill is drawn from a seed: a chain of named edges from the input ``x`` through the chosen ops,
each parameter read once, to the squared error against ``y``. Its numbers are small integers;
with rational ops (+ − × /, square, relu, sum, mean, matmul) every forward value, gradient, step
and new value is exact with at most 4 significant figures. A transcendental op (sigmoid, tanh,
exp, log) is used only at a whole number, and the text gives its value and derivative there to
3 significant figures. Draws that miss are drawn again, deterministically: the same seed and
options always give the same file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from grader.engine import backward, build_graph, forward
from grader.engine.format import show
from grader.exercises.loader import ExerciseError, load_text

OP_NAMES = {"+": "add", "-": "sub", "−": "sub", "*": "mul", "×": "mul", "/": "div", "@": "matmul"}
RATIONAL = ("add", "sub", "mul", "div", "square", "relu", "sum", "mean", "matmul")
TRANSCENDENTAL = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "exp": (np.exp, np.exp),
    "log": (np.log, lambda z: 1 / z),
}
SHAPES = {"scalar": (), "vector": (2,), "matrix": (2, 2)}
DEFAULT_OPS = ("add", "mul", "square")
LEARNING_RATES = (0.1, 0.01, 0.5)
MAX_DEPTH, MAX_PARAMS, MAX_TRIES = 8, 4, 5000
SIGNIFICANT = 4


class DrillError(ValueError):
    """Options that no drill can satisfy."""


@dataclass(frozen=True)
class Drill:
    """What to draw: the seed, the ops to use, how many edges and parameters, and the shape."""

    seed: int
    ops: tuple[str, ...] = DEFAULT_OPS
    depth: int = 3
    params: int = 1
    shape: str = "scalar"

    def __post_init__(self):
        ops = tuple(dict.fromkeys(OP_NAMES.get(op.strip(), op.strip()) for op in self.ops))
        unknown = [op for op in ops if op not in RATIONAL and op not in TRANSCENDENTAL]
        if unknown or not ops:
            known = ", ".join((*RATIONAL, *TRANSCENDENTAL))
            raise DrillError(f"unknown op {', '.join(unknown) or '(none)'}: choose from {known}")
        if self.shape not in SHAPES:
            raise DrillError(f"shape must be one of {', '.join(SHAPES)}")
        if not 1 <= self.depth <= MAX_DEPTH or not 1 <= self.params <= MAX_PARAMS:
            raise DrillError(f"depth is 1 to {MAX_DEPTH}, params 1 to {MAX_PARAMS}")
        if self.shape != "scalar" and set(ops) <= set(TRANSCENDENTAL):
            raise DrillError("the transcendental ops are for scalar drills")
        object.__setattr__(self, "ops", ops)

    @property
    def exercise_id(self) -> str:
        return f"drill-{self.seed}"


def generate(drill: Drill) -> str:
    """The exercise file (YAML) of ``drill``: the first of its draws that is hand-computable."""
    for attempt in range(MAX_TRIES):
        text = _draw(drill, np.random.default_rng([drill.seed, attempt]))
        if text is not None:
            return text
    raise DrillError(f"no hand-computable drill found for these options in {MAX_TRIES} draws")


def nice(value) -> bool:
    """Every element is a finite number written exactly with at most 4 significant figures."""
    for x in np.ravel(np.asarray(value, dtype=np.float64)):
        if not np.isfinite(x):
            return False
        for decimals in range(8):
            scaled = x * 10.0**decimals
            if abs(scaled - round(scaled)) < 1e-7 * max(1.0, abs(scaled)):
                digits = str(abs(round(scaled))).rstrip("0") or "0"
                if len(digits) > SIGNIFICANT:
                    return False
                break
        else:
            return False
    return True


class _Graph:
    """A drill's graph as it is drawn: its inputs, edges and the values to check."""

    def __init__(self, drill: Drill, rng: np.random.Generator):
        self.drill, self.rng = drill, rng
        self.shape = SHAPES[drill.shape]
        self.vector = self.shape[-1:] if self.shape else ()
        self.given = {"x": self.integers(-3, 3, self.vector, nonzero=True)}
        self.params = {f"w{i + 1}": self.integers(-2, 2, self.vector) for i in range(drill.params)}
        self.edges: dict[str, str] = {}
        self.transcendental: list[tuple[str, str, str]] = []  # (op, its argument, its edge)

    def integers(self, low: int, high: int, shape, nonzero: bool = False) -> list | int:
        values = self.rng.integers(low, high, size=shape, endpoint=True)
        if nonzero:
            values = np.where(values == 0, 1, values)
        return values.tolist()

    def edge(self, source: str) -> str:
        name = f"e{len(self.edges) + 1}"
        self.edges[name] = source
        return name

    def build(self) -> None:
        """Edges from ``x``: each parameter brought in by a binary op, each other op asked for
        at least once, more drawn from the asked ops up to ``depth``; then the error and loss."""
        asked = [op for op in self.drill.ops if op not in ("sum", "mean", "matmul")]
        binary = [op for op in asked if op in ("add", "sub", "mul")] or ["mul"]
        unary = [op for op in asked if op not in binary]
        plan = [binary[i % len(binary)] for i in range(len(self.params))] + unary
        while len(plan) < self.drill.depth:
            plan.append(asked[self.rng.integers(len(asked))] if asked else "mul")
        rest = plan[1:]
        plan = [plan[0], *(rest[i] for i in self.rng.permutation(len(rest)))]
        unused = list(self.params)
        current = "x"
        if self.drill.shape == "matrix":
            self.params["W"] = self.integers(-2, 2, (2, 2))
            current = self.edge("W @ x")
        for op in plan:
            current = self.apply(op, current, unused)
        self.given["y"] = self.integers(-3, 3, self.vector)
        error = self.edge(f"{current} - y")
        reduce = "mean" if "mean" in self.drill.ops and "sum" not in self.drill.ops else "sum"
        self.edges["loss"] = f"{reduce}({error} ** 2)" if self.vector else f"{error} ** 2"

    def apply(self, op: str, current: str, unused: list[str]) -> str:
        if op in ("add", "sub", "mul"):
            if unused:
                other = unused.pop(0)
            else:
                names = (*self.params, *self.given, *self.edges)  # read again: a fan-out
                choices = [name for name in names if name not in ("W", current)]
                other = choices[self.rng.integers(len(choices))]
            symbol = {"add": "+", "sub": "-", "mul": "*"}[op]
            first, second = (current, other) if self.rng.random() < 0.5 else (other, current)
            return self.edge(f"{first} {symbol} {second}")
        if op == "div":
            self.given.setdefault("c", int(self.rng.choice([2, 4, 5])))
            return self.edge(f"{current} / c")
        if op == "square":
            return self.edge(f"{current} ** 2")
        name = self.edge(f"{op}({current})")
        if op in TRANSCENDENTAL:
            self.transcendental.append((op, current, name))
        return name


def _draw(drill: Drill, rng: np.random.Generator) -> str | None:
    """One draw's exercise file, or None when it is not hand-computable or not gradable. The
    numbers are worked out on the graph first; only a draw that passes is written and loaded."""
    graph = _Graph(drill, rng)
    graph.build()
    inputs = {**graph.given, **graph.params}
    engine = build_graph(list(inputs), graph.edges)
    tape = forward(engine, {name: np.asarray(value, float)[None] for name, value in inputs.items()})
    grads = backward(engine, tape)
    if not _off_kinks(engine, tape):
        return None
    notes = _notes(graph, tape) if graph.transcendental else []
    if notes is None or (notes and not _nice_before(graph, tape)):
        return None
    for lr in LEARNING_RATES:
        if notes or _hand_computable(graph, tape, grads, lr):
            text = _file(drill, graph, lr, notes)
            try:
                load_text(text.encode())
            except ExerciseError:
                continue
            return text
    return None


def _nice_before(graph: _Graph, tape) -> bool:
    """The forward values up to the first transcendental op are hand-computable."""
    first = list(graph.edges).index(graph.transcendental[0][2])
    return all(nice(tape.values[name]) for name in list(graph.edges)[:first])


def _off_kinks(engine, tape) -> bool:
    """No relu is taken at 0, where its derivative is a matter of convention."""
    for edge in engine.edges:
        for step in edge.steps:
            if step.op == "relu":
                (argument,) = step.args
                if argument.kind == "name" and not np.all(tape.values[argument.name]):
                    return False
    return True


def _notes(graph: _Graph, tape) -> list[tuple[str, int, str, str, str]] | None:
    """Each transcendental op's argument, whole-number value there, op, value and derivative;
    None where one is not at a whole number."""
    notes = []
    for op, argument, _ in graph.transcendental:
        z = float(tape.values[argument][0])
        if z != round(z) or abs(z) > 2 or (op == "log" and z <= 0):
            return None
        value, slope = (_rounded(f(z)) for f in TRANSCENDENTAL[op])
        notes.append((argument, int(z), op, value, slope))
    return notes


NOTE = {
    "en": "At `{0} = {1}`: `{2}({0}) {3}` and its derivative `{4}`.",
    "ru": "При `{0} = {1}`: `{2}({0}) {3}`, производная `{4}`.",
}
WORDS = {
    "en": {
        "title": "Generated drill {seed}",
        "edges": "A graph drawn for practice. The edges, from the input to the loss:",
        "values": "The values: {given}; the parameters start at {params}.",
        "ask": "Fill in the gradient of the loss on every edge and parameter, the update step of"
        " each parameter with learning rate {lr}, and its new value.",
    },
    "ru": {
        "title": "Тренировочный граф {seed}",
        "edges": "Граф для тренировки. Рёбра от входа к функции потерь:",
        "values": "Значения: {given}; параметры начинаются с {params}.",
        "ask": "Впишите градиент функции потерь на каждом ребре и по каждому параметру, шаг"
        " обновления каждого параметра при скорости обучения {lr} и его новое значение.",
    },
}


def _text(lang: str, graph: _Graph, lr: float, notes: list[tuple]) -> list[str]:
    """The drill's text in one language, as the lines of a YAML block."""
    words = WORDS[lang]
    given = ", ".join(f"`{name} = {show(np.asarray(v))}`" for name, v in graph.given.items())
    params = ", ".join(f"`{name} = {show(np.asarray(v))}`" for name, v in graph.params.items())
    return [
        f"  {lang}: |",
        f"    {words['edges']}",
        "",
        *(f"    - `{name} = {source}`" for name, source in graph.edges.items()),
        "",
        "    " + words["values"].format(given=given, params=params),
        *("    " + NOTE[lang].format(*note) for note in notes),
        "",
        "    " + words["ask"].format(lr=f"{lr:g}"),
    ]


def _rounded(value: float) -> str:
    """``= 1`` for a whole number, else ``≈`` and 3 significant figures: ``≈ 0.731``."""
    value = float(value)
    return f"= {value:g}" if value == round(value) else f"≈ {value:.3g}"


def _hand_computable(graph: _Graph, tape, grads, lr: float) -> bool:
    """Every value a student computes, forward and back, is exact with few figures: each
    edge's value and gradient, each parameter's gradient, step and new value."""
    values = [tape.values[name] for name in graph.edges]
    values += [grads[name] for name in (*graph.edges, *graph.params)]
    for param in graph.params:
        values += [-lr * grads[param], tape.values[param] - lr * grads[param]]
    return all(nice(value) for value in values)


def _file(drill: Drill, graph: _Graph, lr: float, notes: list[tuple]) -> str:
    """The exercise file: title and text in English and Russian, values, graph, blanks (every edge and every parameter)."""
    edges = [name for name in graph.edges if name != "loss"]
    params = list(graph.params)
    lines = [
        f"id: {drill.exercise_id}",
        "title:",
        *(f"  {lang}: {WORDS[lang]['title'].format(seed=drill.seed)}" for lang in WORDS),
        "text:",
        *(line for lang in WORDS for line in _text(lang, graph, lr, notes)),
        "given:",
        *(f"  {name}: {json.dumps(value)}" for name, value in graph.given.items()),
        "params:",
        *(f"  {name}: {json.dumps(value)}" for name, value in graph.params.items()),
        f"learning_rate: {lr:g}",
        *(["tolerance: {rtol: 0.02}"] if notes else []),
        "graph:",
        *(f"  {name}: {source}" for name, source in graph.edges.items()),
        "ask:",
        f"  grad: [{', '.join([*reversed(edges), *params])}]",
        f"  update: [{', '.join(params)}]",
        f"  new: [{', '.join(params)}]",
    ]
    return "\n".join(lines) + "\n"
