"""Ops in words: values as prose, and what an op does to the gradient on its way back.

Each op's record in :mod:`grader.engine.ops` points at one of the ``say_*`` narrations here
(or a one-line lambda): given a :class:`Hop`, it returns the :class:`Local` phrase.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grader.engine.format import show

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
    """What an op does to the gradient, in words; ``derivative`` when it is a plain number."""

    phrase: str
    derivative: str | None = None


Say = Callable[[Hop], Local]


def times(derivative: str) -> Local:
    """Multiplies by ``derivative``."""
    return Local(f"multiplies by {derivative}", derivative)


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
        return Local(f"divides by {h.said(1)}", h.formula(f"1 / {b}", f"1 / {pb}"))
    return times(h.formula(f"−{a} / {power(b, 2)}", f"−{pa} / {power(pb, 2)}"))


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
        return Local(f"multiplies by {h.said(1 - h.j)}")
    if h.j == 0 and ndims[1] == 1:
        return Local(f"gives the outer product of the upstream gradient with {h.said(1)}")
    if h.j == 0:
        return Local(f"gives the upstream gradient times {b}ᵀ = {num(h.values[1].T)}")
    if ndims[0] == 1:
        return Local(f"gives the outer product of {h.said(0)} with the upstream gradient")
    return Local(f"gives {a}ᵀ times the upstream gradient, with {a}ᵀ = {num(h.values[0].T)}")


def say_sigmoid(h: Hop) -> Local:
    a, s = atom(h.labels[0]), num(h.out)
    return times(h.formula(f"σ({a})·(1 − σ({a}))", f"{s} · (1 − {s})"))


def say_relu(h: Hop) -> Local:
    if h.scalar():
        if h.values[0] > 0:
            return Local(f"passes it on, since {h.said(0)} is positive")
        return Local(f"blocks it, since {h.said(0)} is not positive", "0")
    return Local(f"multiplies by {num(h.local)}: 1 where {h.labels[0]} is positive, 0 elsewhere")


def say_mean(h: Hop) -> Local:
    n = max(1, h.values[0].size)
    return Local(
        f"divides by the number of elements, N = {n}, and copies the result to every element"
    )


def say_max(h: Hop) -> Local:
    if h.values[0].ndim == 0:
        return Local("passes it on")
    return Local(f"sends the gradient to the largest element of {h.said(0)} (shared among ties)")


def say_softmax(h: Hop) -> Local:
    return Local(
        "applies the softmax Jacobian s ⊙ (g − Σ g·s), "
        f"with s = softmax({h.labels[0]}) = {num(h.out)}"
    )
