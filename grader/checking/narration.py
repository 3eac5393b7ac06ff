"""How each op reads in a worked solution: the op's name in prose and what it does to the gradient."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grader.engine.expr import Ref, Step
from grader.engine.format import show

SYMBOLS = {"add": "+", "sub": "−", "mul": "·", "div": "/", "matmul": "@"}
PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": 3, "pow": 4}
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def num(value, paren: bool = False) -> str:
    """A value as prose: ``−10``, ``[1, −2]``; a negative number in parentheses when asked."""
    text = show(value).replace("-", "−")
    return f"({text})" if paren and text.startswith("−") else text


def atom(text: str) -> str:
    """``text`` in parentheses unless it is one name, number or call: ``(k · x)``, ``exp(k · x)``."""
    depth = 0
    for char in text:
        depth += (char in "([") - (char in ")]")
        if char == " " and depth == 0:
            return f"({text})"
    return text


def power(text: str, exponent) -> str:
    """``text`` raised to ``exponent``, with superscript digits for an integer."""
    exponent = float(exponent)
    if exponent == 1:
        return text
    if exponent.is_integer():
        return text + str(int(exponent)).translate(SUPERSCRIPTS)
    return f"{text}^{num(exponent, paren=True)}"


def render(steps: tuple[Step, ...], ref: Ref) -> str:
    """An expression as prose, from its compiled steps."""
    if ref.kind == "name":
        return ref.name
    if ref.kind == "const":
        return num(ref.value, paren=True)
    step = steps[ref.step]
    args = [render(steps, arg) for arg in step.args]
    if step.op == "id":
        return args[0]
    if step.op == "neg":
        return "−" + _tight(steps, step.args[0], 4, args[0])
    if step.op == "pow" and step.args[1].kind == "const":
        return power(_tight(steps, step.args[0], 5, args[0]), step.args[1].value)
    if step.op == "pow":
        return f"{_tight(steps, step.args[0], 5, args[0])}^{step.args[1].name}"
    if step.op in SYMBOLS:
        rank = PRECEDENCE[step.op]
        left = _tight(steps, step.args[0], rank, args[0])
        right = _tight(steps, step.args[1], rank + (step.op in ("sub", "div")), args[1])
        return f"{left} {SYMBOLS[step.op]} {right}"
    return f"{step.op}({', '.join(args)})"


def _tight(steps, ref: Ref, rank: int, text: str) -> str:
    if ref.kind == "step" and PRECEDENCE.get(steps[ref.step].op, 9) < rank:
        return f"({text})"
    return text


@dataclass
class Hop:
    """One op a gradient flows back through, towards its argument ``j``, with the values."""

    j: int
    edge: str
    refs: tuple[Ref, ...]
    labels: list[str]
    values: list[np.ndarray]
    out: np.ndarray
    local: np.ndarray | None  # the local derivative, for an elementwise op

    def said(self, k: int) -> str:
        """Argument ``k`` with its value: ``x = 2``."""
        if self.refs[k].kind == "const":
            return self.labels[k]
        return f"{self.labels[k]} = {num(self.values[k])}"

    def formula(self, symbolic: str, substituted: str | None = None) -> str:
        """The local derivative written out: ``2 · e3 = 2 · (−5) = −10``."""
        parts = [symbolic]
        if self.local.ndim == 0 and substituted and substituted != symbolic:
            parts.append(substituted)
        if num(self.local) != parts[-1]:
            parts.append(num(self.local))
        return " = ".join(parts)

    def scalar(self) -> bool:
        return all(value.ndim == 0 for value in self.values)


@dataclass(frozen=True)
class Local:
    """What an op does to the gradient, in words; ``derivative`` when it is a plain number."""

    phrase: str
    derivative: str | None = None


def _times(derivative: str) -> Local:
    return Local(f"multiplies by {derivative}", derivative)


def _sub(h: Hop) -> Local:
    if h.j == 0:
        return Local("passes it on")
    return Local("passes it on with its sign flipped", "−1")


def _mul(h: Hop) -> Local:
    return _times(h.said(1 - h.j))


def _div(h: Hop) -> Local:
    a, b = (atom(label) for label in h.labels)
    pa, pb = (num(value, paren=True) for value in h.values)
    if h.j == 0:
        return Local(f"divides by {h.said(1)}", h.formula(f"1 / {b}", f"1 / {pb}"))
    return _times(h.formula(f"−{a} / {power(b, 2)}", f"−{pa} / {power(pb, 2)}"))


def _pow(h: Hop) -> Local:
    a, b = (atom(label) for label in h.labels)
    base, n = h.values
    if h.j == 1:
        return _times(h.formula(f"{a}^{b} · ln {a}"))
    if h.refs[1].kind == "const":
        symbolic = f"{num(n, paren=True)} · {power(a, n - 1)}"
    else:
        symbolic = f"{b} · {a}^({b} − 1)"
    substituted = None
    if h.scalar():
        substituted = f"{num(n, paren=True)} · {power(num(base, paren=True), n - 1)}"
    return _times(h.formula(symbolic, substituted))


def _matmul(h: Hop) -> Local:
    a, b = (atom(label) for label in h.labels)
    ndims = (h.values[0].ndim, h.values[1].ndim)
    if ndims == (1, 1):
        return Local(f"multiplies by {h.said(1 - h.j)}")
    if h.j == 0 and ndims[1] == 1:
        return Local(f"gives the outer product of the upstream gradient with {h.said(1)}")
    if h.j == 0:
        return Local(f"gives the upstream gradient times {b}ᵀ = {num(h.values[1].T)}")
    if ndims[0] == 1:
        return Local(f"gives the outer product of {h.said(0)} with the upstream gradient")
    return Local(f"gives {a}ᵀ times the upstream gradient, with {a}ᵀ = {num(h.values[0].T)}")


def _unary(template: str) -> Callable[[Hop], Local]:
    """A rule that multiplies by a local derivative such as ``2 · {}``, filled with the argument."""

    def rule(h: Hop) -> Local:
        value = num(h.values[0], paren="({})" not in template)
        return _times(h.formula(template.format(atom(h.labels[0])), template.format(value)))

    return rule


def _sigmoid(h: Hop) -> Local:
    a, s = atom(h.labels[0]), num(h.out)
    return _times(h.formula(f"σ({a})·(1 − σ({a}))", f"{s} · (1 − {s})"))


def _relu(h: Hop) -> Local:
    if h.scalar():
        if h.values[0] > 0:
            return Local(f"passes it on, since {h.said(0)} is positive")
        return Local(f"blocks it, since {h.said(0)} is not positive", "0")
    return Local(f"multiplies by {num(h.local)}: 1 where {h.labels[0]} is positive, 0 elsewhere")


def _mean(h: Hop) -> Local:
    n = max(1, h.values[0].size)
    return Local(
        f"divides by the number of elements, N = {n}, and copies the result to every element"
    )


def _max(h: Hop) -> Local:
    if h.values[0].ndim == 0:
        return Local("passes it on")
    return Local(f"sends the gradient to the largest element of {h.said(0)} (shared among ties)")


def _softmax(h: Hop) -> Local:
    return Local(
        "applies the softmax Jacobian s ⊙ (g − Σ g·s), "
        f"with s = softmax({h.labels[0]}) = {num(h.out)}"
    )


@dataclass(frozen=True)
class Rule:
    """How an op is named in prose and what it does to the gradient on its way back."""

    node: str
    say: Callable[[Hop], Local]


RULES: dict[str, Rule] = {
    "add": Rule("add", lambda h: Local("passes it on")),
    "sub": Rule("subtract", _sub),
    "mul": Rule("multiply", _mul),
    "div": Rule("divide", _div),
    "pow": Rule("power", _pow),
    "matmul": Rule("matmul", _matmul),
    "id": Rule("", lambda h: Local(f"{h.edge} is {h.labels[0]} itself")),
    "neg": Rule("negate", lambda h: Local("flips its sign", "−1")),
    "exp": Rule("exp", _unary("exp({})")),
    "log": Rule(
        "log", lambda h: Local(f"divides by {h.said(0)}", h.formula(f"1 / {atom(h.labels[0])}"))
    ),
    "sqrt": Rule("sqrt", _unary("1 / (2 · √{})")),
    "abs": Rule("abs", _unary("sign({})")),
    "square": Rule("square", _unary("2 · {}")),
    "tanh": Rule("tanh", _unary("1 − tanh({})²")),
    "sigmoid": Rule("sigmoid", _sigmoid),
    "relu": Rule("relu", _relu),
    "softmax": Rule("softmax", _softmax),
    "sum": Rule("sum", lambda h: Local("copies the gradient to every element")),
    "mean": Rule("mean", _mean),
    "max": Rule("max", _max),
    "transpose": Rule("transpose", lambda h: Local("transposes it back")),
}
