"""Ops in words: values as prose, and what an op does to the gradient on its way back.

Each op's record in :mod:`grader.engine.ops` points at one of the ``say_*`` narrations here
(or a one-line lambda): given a :class:`Hop`, it returns the :class:`Local` phrase. A phrase is
a message template, translated where it is told (the catalogue's extractor finds every
``Local("...")`` of this module and of the op table).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
FIGURES = 4  # significant figures of a number that is no small fraction
MAX_DENOMINATOR = 64
MAX_NUMERATOR = 1000


def figure(x: float) -> str:
    """One number as a worked solution writes it: ``20``, ``0.25``, ``1/3``, ``0.7311``."""
    x = float(x)
    if not math.isfinite(x):
        return "nan" if x != x else ("∞" if x > 0 else "-∞")
    if x == 0:
        return "0"
    short = float(f"{x:.{FIGURES}g}")
    if math.isclose(short, x, rel_tol=1e-12):
        return np.format_float_positional(short, trim="-")
    ratio = Fraction(x).limit_denominator(MAX_DENOMINATOR)
    if abs(ratio.numerator) <= MAX_NUMERATOR and math.isclose(float(ratio), x, rel_tol=1e-9):
        return f"{ratio.numerator}/{ratio.denominator}"
    return np.format_float_positional(short, trim="-")


def _written(value) -> str:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return figure(array)
    return "[" + ", ".join(_written(row) for row in array) + "]"


def num(value, paren: bool = False) -> str:
    """A value as prose: ``−10``, ``1/3``, ``[1, −2]``; a negative number or a fraction in
    parentheses when asked (it stands next to an operator)."""
    text = _written(value).replace("-", "−")
    bare = not text.startswith("[") and (text.startswith("−") or "/" in text)
    return f"({text})" if paren and bare else text


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


@dataclass
class Hop:
    """One op a gradient flows back through, towards its argument ``j``, with the values."""

    j: int
    edge: str
    constants: tuple[bool, ...]  # per argument: a number written in the expression
    labels: list[str]
    values: list[np.ndarray]
    out: np.ndarray
    local: np.ndarray | None  # the local derivative, for an elementwise op

    def said(self, k: int) -> str:
        """Argument ``k`` with its value: ``x = 2``."""
        if self.constants[k]:
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
    """What an op does to the gradient, in words: ``phrase`` is a template filled with
    ``derivative`` (the local derivative, when it is a plain formula) and ``fields``."""

    phrase: str
    derivative: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict, hash=False)

    def told(self, gettext: Callable[[str], str] = str) -> str:
        """The phrase in the language of ``gettext``."""
        return gettext(self.phrase).format(derivative=self.derivative, **self.fields)


Say = Callable[[Hop], Local]


def times(derivative: str) -> Local:
    """Multiplies by ``derivative``."""
    return Local("multiplies by {derivative}", derivative)


def unary(template: str) -> Say:
    """A rule that multiplies by a local derivative such as ``2 · {}``, filled with the argument."""

    def rule(h: Hop) -> Local:
        value = num(h.values[0], paren="({})" not in template)
        return times(h.formula(template.format(atom(h.labels[0])), template.format(value)))

    return rule


def say_sub(h: Hop) -> Local:
    if h.j == 0:
        return Local("passes it on")
    return Local("passes it on with its sign flipped", "−1")


def say_div(h: Hop) -> Local:
    a, b = (atom(label) for label in h.labels)
    pa, pb = (num(value, paren=True) for value in h.values)
    if h.j == 0:
        derivative = h.formula(f"1 / {b}", f"1 / {pb}")
        return Local("divides by {value}", derivative, {"value": h.said(1)})
    return times(h.formula(f"−{a} / {power(b, 2)}", f"−{pa} / {power(pb, 2)}"))


def say_log(h: Hop) -> Local:
    derivative = h.formula(f"1 / {atom(h.labels[0])}")
    return Local("divides by {value}", derivative, {"value": h.said(0)})


def say_pow(h: Hop) -> Local:
    a, b = (atom(label) for label in h.labels)
    base, n = h.values
    if h.j == 1:
        return times(h.formula(f"{a}^{b} · ln {a}"))
    if h.constants[1]:
        symbolic = f"{num(n, paren=True)} · {power(a, n - 1)}"
    else:
        symbolic = f"{b} · {a}^({b} − 1)"
    substituted = None
    if h.scalar():
        substituted = f"{num(n, paren=True)} · {power(num(base, paren=True), n - 1)}"
    return times(h.formula(symbolic, substituted))


def say_matmul(h: Hop) -> Local:
    a, b = (atom(label) for label in h.labels)
    ndims = (h.values[0].ndim, h.values[1].ndim)
    if ndims == (1, 1):
        return Local("multiplies by {value}", fields={"value": h.said(1 - h.j)})
    if h.j == 0 and ndims[1] == 1:
        return Local(
            "gives the outer product of the upstream gradient with {value}",
            fields={"value": h.said(1)},
        )
    if h.j == 0:
        return Local(
            "gives the upstream gradient times {name}ᵀ = {value}",
            fields={"name": b, "value": num(h.values[1].T)},
        )
    if ndims[0] == 1:
        return Local(
            "gives the outer product of {value} with the upstream gradient",
            fields={"value": h.said(0)},
        )
    return Local(
        "gives {name}ᵀ times the upstream gradient, with {name}ᵀ = {value}",
        fields={"name": a, "value": num(h.values[0].T)},
    )


def say_sigmoid(h: Hop) -> Local:
    a, s = atom(h.labels[0]), num(h.out)
    return times(h.formula(f"σ({a})·(1 − σ({a}))", f"{s} · (1 − {s})"))


def say_relu(h: Hop) -> Local:
    if h.scalar():
        if h.values[0] > 0:
            return Local("passes it on, since {value} is positive", fields={"value": h.said(0)})
        return Local("blocks it, since {value} is not positive", "0", {"value": h.said(0)})
    return Local(
        "multiplies by {value}: 1 where {name} is positive, 0 elsewhere",
        fields={"value": num(h.local), "name": h.labels[0]},
    )


def say_mean(h: Hop) -> Local:
    n = max(1, h.values[0].size)
    return Local(
        "divides by the number of elements, N = {n}, and copies the result to every element",
        fields={"n": str(n)},
    )


def say_max(h: Hop) -> Local:
    if h.values[0].ndim == 0:
        return Local("passes it on")
    return Local(
        "sends the gradient to the largest element of {value} (shared among ties)",
        fields={"value": h.said(0)},
    )


def say_softmax(h: Hop) -> Local:
    return Local(
        "applies the softmax Jacobian s ⊙ (g − Σ g·s), with s = softmax({name}) = {value}",
        fields={"name": h.labels[0], "value": num(h.out)},
    )
