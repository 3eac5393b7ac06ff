"""The op table: each op's forward rule and local gradient side by side, with how it is written,
how it reads in a worked solution, and the mistaken local gradients students use instead.

Adding an op is adding its record here. The numpy too long for a lambda lives in
:mod:`grader.engine.numeric`, the narrations too long for a lambda in :mod:`grader.engine.prose`.
When two mistakes fit a student's answer equally, the diagnosis names both in the order of this
table, a code where its first op stands: ``wrong_factor`` and ``dropped_factor`` (mul), then
``power_rule`` (pow), ``sum_instead_of_mean`` (mean, listed before sum), ``mean_instead_of_sum``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from grader.engine.numeric import (
    align,
    binary,
    matmul,
    matmul_backward,
    max_backward,
    mean_backward,
    pow_backward,
    pow_backward_without_coefficient,
    pow_backward_without_lowering,
    reduce_max,
    reduce_mean,
    reduce_sum,
    safe_log,
    sigmoid,
    softmax,
    softmax_backward,
    sum_backward,
    transpose,
)
from grader.engine.prose import (
    Local,
    Say,
    say_div,
    say_log,
    say_matmul,
    say_max,
    say_mean,
    say_pow,
    say_relu,
    say_sigmoid,
    say_softmax,
    say_sub,
    times,
    unary,
)

Backward = Callable[..., tuple[np.ndarray, ...]]


@dataclass(frozen=True)
class Op:
    """One operation.

    ``node`` names its node in prose ("multiply"; empty for ``id``, which is no node) and ``say``
    tells what it does to the gradient. An operator has its ``syntax`` in an expression ("*"),
    its ``symbol`` in prose ("·") and its ``precedence`` there; a ``function`` is called by name.
    ``gradient`` says what it sends back to each argument (one entry when they all get the
    same): ``g`` is the gradient arriving on its output, ``{a}`` and ``{b}`` its arguments.
    ``mistakes`` maps a diagnosis code to the mistaken backward rules it stands for, ``told``
    the code to the sentence that tells the student (an op sharing a code with an op before it,
    as square shares pow's power rule, need not tell it again).
    """

    name: str
    arity: int
    forward: Callable[..., np.ndarray]
    backward: Backward
    node: str
    say: Say
    elementwise: bool = True
    function: bool = False
    syntax: str = ""
    symbol: str = ""
    precedence: int = 9
    gradient: tuple[str, ...] = ()
    mistakes: Mapping[str, tuple[Backward, ...]] = field(default_factory=dict, compare=False)
    told: Mapping[str, str] = field(default_factory=dict, compare=False)


OPS: dict[str, Op] = {
    op.name: op
    for op in [
        Op(
            "add",
            2,
            binary(np.add),
            lambda g, out, a, b: (g, g),
            node="add",
            gradient=("g", "g"),
            say=lambda h: Local("passes it on"),
            syntax="+",
            symbol="+",
            precedence=1,
        ),
        Op(
            "sub",
            2,
            binary(np.subtract),
            lambda g, out, a, b: (g, -g),
            node="subtract",
            gradient=("g", "−g"),
            say=say_sub,
            syntax="-",
            symbol="−",
            precedence=1,
        ),
        Op(
            "mul",
            2,
            binary(np.multiply),
            lambda g, out, a, b: (g * align(b, g)[0], g * align(a, g)[0]),
            node="multiply",
            gradient=("g · {b}", "{a} · g"),
            say=lambda h: times(h.said(1 - h.j)),
            syntax="*",
            symbol="·",
            precedence=2,
            mistakes={
                "wrong_factor": (lambda g, out, a, b: (g * align(a, g)[0], g * align(b, g)[0]),),
                "dropped_factor": (lambda g, out, a, b: (g, g),),
            },
            told={
                "wrong_factor": "In a product the local gradient of one factor is the other factor, ∂(a·b)/∂a = b: you multiplied by the wrong one.",
                "dropped_factor": "In a product the local gradient of one factor is the other factor, ∂(a·b)/∂a = b: you left that factor out.",
            },
        ),
        Op(
            "div",
            2,
            binary(np.divide),
            lambda g, out, a, b: (g / align(b, g)[0], -g * out / align(b, g)[0]),
            node="divide",
            gradient=("g / {b}", "−g · {a} / {b}²"),
            say=say_div,
            syntax="/",
            symbol="/",
            precedence=2,
        ),
        Op(
            "pow",
            2,
            binary(np.power),
            pow_backward,
            node="power",
            gradient=("g · {b} · {a}^({b} − 1)", "g · {a}^{b} · ln {a}"),
            say=say_pow,
            syntax="**",
            symbol="^",
            precedence=4,
            mistakes={
                "power_rule": (pow_backward_without_coefficient, pow_backward_without_lowering)
            },
            told={"power_rule": "Check the power rule: d(aⁿ)/da = n · aⁿ⁻¹ (for a square, 2 · a)."},
        ),
        Op(
            "matmul",
            2,
            matmul,
            matmul_backward,
            node="matmul",
            gradient=("g @ {b}ᵀ", "{a}ᵀ @ g"),
            say=say_matmul,
            elementwise=False,
            function=True,
            syntax="@",
            symbol="@",
            precedence=2,
        ),
        Op(
            "id",
            1,
            lambda a: a,
            lambda g, out, a: (g,),
            node="",
            gradient=("g",),
            say=lambda h: Local(
                "{edge} is {name} itself", fields={"edge": h.edge, "name": h.labels[0]}
            ),
        ),
        Op(
            "neg",
            1,
            np.negative,
            lambda g, out, a: (-g,),
            node="negate",
            gradient=("−g",),
            say=lambda h: Local("flips its sign", "−1"),
            syntax="-",
            symbol="−",
            precedence=3,
        ),
        Op(
            "exp",
            1,
            np.exp,
            lambda g, out, a: (g * out,),
            node="exp",
            gradient=("g · exp({a})",),
            say=unary("exp({})"),
            function=True,
        ),
        Op(
            "log",
            1,
            safe_log,
            lambda g, out, a: (g / a,),
            node="log",
            gradient=("g / {a}",),
            say=say_log,
            function=True,
        ),
        Op(
            "sqrt",
            1,
            np.sqrt,
            lambda g, out, a: (g * 0.5 / out,),
            node="sqrt",
            gradient=("g / (2 · √{a})",),
            say=unary("1 / (2 · √{})"),
            function=True,
        ),
        Op(
            "abs",
            1,
            np.abs,
            lambda g, out, a: (g * np.sign(a),),
            node="abs",
            gradient=("g · sign({a})",),
            say=unary("sign({})"),
            function=True,
        ),
        Op(
            "square",
            1,
            np.square,
            lambda g, out, a: (g * 2.0 * a,),
            node="square",
            gradient=("g · 2 · {a}",),
            say=unary("2 · {}"),
            function=True,
            mistakes={
                "power_rule": (lambda g, out, a: (g * a,), lambda g, out, a: (g * 2.0 * out,))
            },
        ),
        Op(
            "tanh",
            1,
            np.tanh,
            lambda g, out, a: (g * (1.0 - out * out),),
            node="tanh",
            gradient=("g · (1 − tanh({a})²)",),
            say=unary("1 − tanh({})²"),
            function=True,
        ),
        Op(
            "sigmoid",
            1,
            sigmoid,
            lambda g, out, a: (g * out * (1.0 - out),),
            node="sigmoid",
            gradient=("g · σ({a}) · (1 − σ({a}))",),
            say=say_sigmoid,
            function=True,
        ),
        Op(
            "relu",
            1,
            lambda a: np.maximum(a, 0.0),
            lambda g, out, a: (g * (a > 0),),
            node="relu",
            gradient=("g · [{a} > 0]",),
            say=say_relu,
            function=True,
        ),
        Op(
            "softmax",
            1,
            softmax,
            softmax_backward,
            node="softmax",
            gradient=("s ⊙ (g − Σ g ⊙ s), with s = softmax({a})",),
            say=say_softmax,
            elementwise=False,
            function=True,
        ),
        Op(
            "mean",
            1,
            reduce_mean,
            mean_backward,
            node="mean",
            gradient=("g / N, on every one of the N elements of {a}",),
            say=say_mean,
            elementwise=False,
            function=True,
            mistakes={"sum_instead_of_mean": (sum_backward,)},
            told={
                "sum_instead_of_mean": "The loss is a mean: divide by the number of examples (you summed instead of averaging)."
            },
        ),
        Op(
            "sum",
            1,
            reduce_sum,
            sum_backward,
            node="sum",
            gradient=("g, on every element of {a}",),
            say=lambda h: Local("copies the gradient to every element"),
            elementwise=False,
            function=True,
            mistakes={"mean_instead_of_sum": (mean_backward,)},
            told={
                "mean_instead_of_sum": "The loss is a sum: do not divide by the number of examples (you averaged instead of summing)."
            },
        ),
        Op(
            "max",
            1,
            reduce_max,
            max_backward,
            node="max",
            gradient=("g on the largest element of {a}, 0 on the others",),
            say=say_max,
            elementwise=False,
            function=True,
        ),
        Op(
            "transpose",
            1,
            transpose,
            lambda g, out, a: (transpose(g),),
            node="transpose",
            gradient=("gᵀ",),
            say=lambda h: Local("transposes it back"),
            elementwise=False,
            function=True,
        ),
    ]
}


def functions(ops: Mapping[str, Op]) -> frozenset[str]:
    """The ops of ``ops`` an expression calls by name; the others are written as operators."""
    return frozenset(name for name, op in ops.items() if op.function)


FUNCTIONS = functions(OPS)


def mistaken_tables(
    ops: Mapping[str, Op] = OPS,
) -> list[tuple[str, frozenset[str], dict[str, Op]]]:
    """Each mistake as (code, the ops it changes, the full op table with its backward rules
    swapped in), in the order of ``ops``. The ops sharing a code change together, once per
    alternative: the first ``power_rule`` table swaps the first rule of both pow and square."""
    changes: dict[str, list[dict[str, Op]]] = {}
    for op in ops.values():
        for code, backwards in op.mistakes.items():
            tables = changes.setdefault(code, [])
            tables.extend({} for _ in range(len(backwards) - len(tables)))
            for changed, backward in zip(tables, backwards, strict=False):
                changed[op.name] = replace(op, backward=backward)
    return [
        (code, frozenset(changed), {**ops, **changed})
        for code, tables in changes.items()
        for changed in tables
    ]


def mistakes_told(ops: Mapping[str, Op] = OPS) -> dict[str, str]:
    """Each mistake code of the op table and the sentence that tells a student about it."""
    told: dict[str, str] = {}
    for op in ops.values():
        for code, sentence in op.told.items():
            told.setdefault(code, sentence)
    return told
