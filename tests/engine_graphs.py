"""Seeded random graphs over every op, in the domains where each op is defined, for engine tests."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

UNARY = (
    "neg",
    "exp",
    "log",
    "sqrt",
    "abs",
    "square",
    "tanh",
    "sigmoid",
    "relu",
    "softmax",
    "sum",
    "mean",
    "max",
    "transpose",
)
BINARY = ("add", "sub", "mul", "div", "pow", "matmul")
SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
LIMIT = 20.0  # a term bounded more loosely than this is divided by a constant
MAX_TEXT = 300  # the engine refuses expressions longer than 400 characters


@dataclass(frozen=True)
class Term:
    """An expression, its per-variant shape, bounds on its elements, and whether it may hold ties."""

    text: str
    shape: tuple[int, ...]
    lo: float
    hi: float
    key: tuple  # two terms with the same key have the same value
    tied: bool = False
    is_name: bool = False

    @property
    def bound(self) -> float:
        return max(abs(self.lo), abs(self.hi))


@dataclass(frozen=True)
class RandomGraph:
    """One generated graph: inputs (variant on axis 0) and edges in order, the last the loss."""

    seed: int
    inputs: dict[str, np.ndarray]
    edges: dict[str, str]


def random_graph(seed: int) -> RandomGraph:
    """The graph for ``seed``: the same on every call."""
    return _Generator(np.random.default_rng(seed)).graph(seed)


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """The per-variant shape ``a`` and ``b`` broadcast to, or None when they do not fit."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """The per-variant shape of ``a @ b`` for vectors and matrices, or None when they do not fit."""
    if not a or not b or a[-1] != b[0]:
        return None
    return a[:-1] + b[1:]


def _interval_product(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    corners = [x * y for x in a for y in b]
    return min(corners), max(corners)


class _Generator:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.pool: list[Term] = []

    def graph(self, seed: int) -> RandomGraph:
        rng = self.rng
        n, m = (int(d) for d in rng.integers(2, 5, size=2))
        variants = int(rng.integers(1, 4))
        shapes = [(), (n,), (n, m)]
        shapes += [[(), (m,), (m, n), (n, n), (m,)][i] for i in rng.choice(5, 2, replace=False)]
        inputs = {}
        for i, shape in enumerate(shapes):
            lo, hi = (0.5, 2.0) if rng.random() < 0.4 else (-2.0, 2.0)
            name = f"x{i}"
            inputs[name] = rng.uniform(lo, hi, size=(variants, *shape))
            self.pool.append(Term(name, shape, lo, hi, key=("name", name), is_name=True))
        edges = {}
        for i in range(int(rng.integers(2, 7))):
            term = self.edge_term()
            edges[f"e{i}"] = term.text
            self.pool.append(replace(term, text=f"e{i}", is_name=True))
        edges["loss"] = self.loss().text
        return RandomGraph(seed, inputs, edges)

    def edge_term(self) -> Term:
        while True:
            op = self.rng.choice([*UNARY, *BINARY, "id"])
            if op == "id":
                return self.pick(self.pool)
            term = self.apply(str(op), depth=0)
            if term is not None and len(term.text) <= MAX_TEXT:
                return term

    def loss(self) -> Term:
        edges = [t for t in self.pool if t.text.startswith("e")]
        picks = [edges[-1]] + [self.pick(self.pool) for _ in range(int(self.rng.integers(0, 3)))]
        total = None
        for term in picks:
            if term.shape:
                reductions = ["sum", "mean"] if term.tied else ["sum", "mean", "max"]
                term = self.unary(str(self.rng.choice(reductions)), term)
            if total is None:
                total = term
            else:
                total = self.tame(
                    self.combine(str(self.rng.choice(["add", "sub", "mul"])), total, term)
                )
        return total

    def pick(self, terms: list[Term]) -> Term:
        return terms[int(self.rng.integers(len(terms)))]

    def operand(self, depth: int, fits: Callable[[Term], bool] = lambda t: True) -> Term | None:
        """A name from the pool, or now and then a nested term, that ``fits``."""
        if depth < 2 and self.rng.random() < 0.35:
            for _ in range(3):
                term = self.apply(str(self.rng.choice([*UNARY, *BINARY])), depth + 1)
                if term is not None and fits(term):
                    return term
        names = [t for t in self.pool if fits(t)]
        return self.pick(names) if names else None

    def constant(self, lo: float = 0.5, hi: float = 3.0) -> Term:
        value = round(float(self.rng.uniform(lo, hi)), 2) * (1 if self.rng.random() < 0.6 else -1)
        return Term(repr(value), (), value, value, key=("const", value))

    def apply(self, op: str, depth: int) -> Term | None:
        if op in BINARY:
            return getattr(self, op if op in ("div", "pow", "matmul") else "elementwise")(op, depth)
        a = self.operand(depth, fits=lambda t: not (op in ("abs", "relu", "max") and t.tied))
        return None if a is None else self.unary(op, a)

    def tame(self, term: Term) -> Term:
        """Divide ``term`` by a constant when its bound is loose enough to lose precision."""
        if term.bound <= LIMIT:
            return term
        c = float(f"{term.bound / 4:.2g}")
        return Term(
            f"({term.text} / {c!r})",
            term.shape,
            term.lo / c,
            term.hi / c,
            ("div", term.key, c),
            term.tied,
        )

    def within(self, term: Term, bound: float) -> Term:
        """``term`` scaled down by a constant so that its elements lie in ``[-bound, bound]``."""
        if term.bound <= bound:
            return term
        c = float(f"{term.bound / bound * 1.1:.2g}")
        return Term(
            f"({term.text} / {c!r})",
            term.shape,
            term.lo / c,
            term.hi / c,
            ("div", term.key, c),
            term.tied,
        )

    def shifted(self, term: Term, least: float) -> Term:
        """``term`` plus a constant so that its elements are at least ``least``."""
        if term.lo >= least:
            return term
        c = math.ceil((least - term.lo) * 10) / 10
        return Term(
            f"({term.text} + {c!r})",
            term.shape,
            term.lo + c,
            term.hi + c,
            ("add", term.key, c),
            term.tied,
        )

    def unary(self, op: str, a: Term) -> Term:
        lo, hi, shape, tied = a.lo, a.hi, a.shape, a.tied
        text = f"{op}({a.text})"
        if op == "neg":
            text, lo, hi = f"(-{a.text})", -hi, -lo
        elif op == "exp":
            a = self.within(a, 3.0)
            text, lo, hi = f"exp({a.text})", math.exp(a.lo), math.exp(a.hi)
        elif op in ("log", "sqrt"):
            a = self.shifted(a, 0.2)
            fn = math.log if op == "log" else math.sqrt
            text, lo, hi = f"{op}({a.text})", fn(a.lo), fn(a.hi)
        elif op in ("abs", "square"):
            least = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
            lo, hi = (least, a.bound) if op == "abs" else (least**2, a.bound**2)
        elif op == "tanh":
            lo, hi = math.tanh(lo), math.tanh(hi)
        elif op == "sigmoid":
            a = self.within(a, 8.0)
            text = f"sigmoid({a.text})"
            lo, hi = 1 / (1 + math.exp(-a.lo)), 1 / (1 + math.exp(-a.hi))
        elif op == "relu":
            lo, hi, tied = max(lo, 0.0), max(hi, 0.0), tied or lo < 0
        elif op == "softmax" and shape:
            a = self.within(a, 8.0)
            text, k, spread = f"softmax({a.text})", shape[-1], a.hi - a.lo
            lo, hi = 1 / (1 + (k - 1) * math.exp(spread)), 1 / (1 + (k - 1) * math.exp(-spread))
        elif op == "softmax":
            lo, hi = 1.0, 1.0
        elif op == "sum":
            size = math.prod(shape)
            lo, hi, shape = lo * size, hi * size, ()
        elif op in ("mean", "max"):
            shape = ()
        elif op == "transpose":
            shape = shape[::-1]
        return self.tame(Term(text, shape, lo, hi, (op, a.key), tied))

    def combine(self, op: str, a: Term, b: Term) -> Term:
        shape = broadcast_shape(a.shape, b.shape)
        if op == "add":
            lo, hi = a.lo + b.lo, a.hi + b.hi
        elif op == "sub":
            lo, hi = a.lo - b.hi, a.hi - b.lo
        elif op == "mul":
            lo, hi = _interval_product((a.lo, a.hi), (b.lo, b.hi))
        else:
            lo, hi = _interval_product((a.lo, a.hi), (1 / b.hi, 1 / b.lo))
        untied = any(t.shape == shape and not t.tied and t.key[0] != "const" for t in (a, b))
        if op == "mul":
            untied = untied and not (a.tied or b.tied)
        keys = (a.key, b.key) if op in ("sub", "div") else tuple(sorted((a.key, b.key), key=repr))
        return Term(f"({a.text} {SYMBOLS[op]} {b.text})", shape, lo, hi, (op, *keys), not untied)

    def elementwise(self, op: str, depth: int) -> Term | None:
        a = self.operand(depth)
        if a is None:
            return None
        if self.rng.random() < 0.25:
            b = self.constant()
        else:
            b = self.operand(
                depth,
                fits=lambda t: broadcast_shape(a.shape, t.shape) is not None and t.key != a.key,
            )
            if b is None:
                return None
        if self.rng.random() < 0.5:
            a, b = b, a
        return self.combine(op, a, b)

    def div(self, op: str, depth: int) -> Term | None:
        a = self.operand(depth)
        if a is None:
            return None
        choice = self.rng.random()
        if choice < 0.3:
            return self.tame(self.combine("div", a, self.constant()))
        if choice < 0.45:
            return self.tame(self.combine("div", self.constant(), self.shifted(a, 0.5)))
        b = self.operand(
            depth, fits=lambda t: broadcast_shape(a.shape, t.shape) is not None and t.key != a.key
        )
        if b is None:
            return None
        if b.hi > -0.5:
            b = self.shifted(b, 0.5)
        return self.tame(self.combine("div", a, b))

    def pow(self, op: str, depth: int) -> Term | None:
        choice = self.rng.random()
        if choice < 0.45:
            base = self.operand(depth, fits=lambda t: not t.tied)
            if base is None:
                return None
            e = float(self.rng.choice([2.0, 3.0, -1.0, 0.5, 1.5, -0.5, 2.5]))
            if e in (2.0, 3.0):
                base = self.within(base, 4.0)
                corners = (base.lo**e, base.hi**e)
                lo = 0.0 if e == 2.0 and base.lo <= 0 <= base.hi else min(corners)
                hi = max(corners)
            else:
                base = self.shifted(base, 0.3)
                lo, hi = sorted((base.lo**e, base.hi**e))
            text = f"({base.text} ** {int(e) if e.is_integer() else e!r})"
            return self.tame(Term(text, base.shape, lo, hi, ("pow", base.key, e), base.tied))
        if choice < 0.75:
            exponents = [t for t in self.pool if t.bound <= 3.0]
            if not exponents:
                return None
            exponent = self.pick(exponents)
            base = self.operand(
                depth,
                fits=lambda t: (
                    broadcast_shape(t.shape, exponent.shape) is not None and t.key != exponent.key
                ),
            )
            if base is None:
                return None
            base = self.shifted(base, 0.3)
            corners = [
                math.exp(e * math.log(b))
                for b in (base.lo, base.hi)
                for e in (exponent.lo, exponent.hi)
            ]
            shape = broadcast_shape(base.shape, exponent.shape)
            key = ("pow", base.key, exponent.key)
            tied = base.tied or exponent.tied
            term = Term(
                f"({base.text} ** {exponent.text})", shape, min(corners), max(corners), key, tied
            )
            return self.tame(term)
        powers = [t for t in self.pool if t.bound <= 4.0]
        if not powers:
            return None
        power = self.pick(powers)
        c = float(self.rng.choice([0.5, 1.5, 2.0, 3.0]))
        lo, hi = sorted((c**power.lo, c**power.hi))
        term = Term(
            f"({c!r} ** {power.text})", power.shape, lo, hi, ("rpow", c, power.key), power.tied
        )
        return self.tame(term)

    def matmul(self, op: str, depth: int) -> Term | None:
        candidates = list(self.pool)
        candidates += [self.unary("transpose", t) for t in self.pool if len(t.shape) == 2]
        a = self.operand(
            depth, fits=lambda t: any(matmul_shape(t.shape, b.shape) for b in candidates)
        )
        if a is None:
            return None
        b = self.pick([t for t in candidates if matmul_shape(a.shape, t.shape) is not None])
        inner = a.shape[-1]
        if a.lo >= 0 and b.lo >= 0:
            lo, hi = inner * a.lo * b.lo, inner * a.hi * b.hi
        else:
            hi = inner * a.bound * b.bound
            lo = -hi
        text = (
            f"({a.text} @ {b.text})" if self.rng.random() < 0.6 else f"matmul({a.text}, {b.text})"
        )
        shape = matmul_shape(a.shape, b.shape)
        return self.tame(Term(text, shape, lo, hi, ("matmul", a.key, b.key), a.tied or b.tied))
