"""The op table: each op's forward rule and local gradient side by side.

Every value carries the variant on axis 0: a scalar is an array of shape ``(V,)``, a vector
``(V, n)``, a matrix ``(V, n, m)``. A backward rule takes the upstream gradient ``g`` (shaped like
the output), the output ``out`` and the inputs, and returns one gradient per input, shaped like
the output; :func:`unbroadcast` then sums it back to the input's shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Op:
    """One operation: arity, forward rule, local gradient rule, and how it reads in words."""

    name: str
    arity: int
    forward: Callable[..., np.ndarray]
    backward: Callable[..., tuple[np.ndarray, ...]]
    elementwise: bool = True
    symbol: str = ""


def align(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert singleton axes after the variant axis so numpy broadcasts per variant."""
    if a.ndim == b.ndim:
        return a, b
    if a.ndim < b.ndim:
        return a.reshape(a.shape[:1] + (1,) * (b.ndim - a.ndim) + a.shape[1:]), b
    return a, b.reshape(b.shape[:1] + (1,) * (a.ndim - b.ndim) + b.shape[1:])


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added to an input of ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(1, 1 + extra)))
    keep = tuple(i for i in range(1, len(shape)) if shape[i] == 1 and grad.shape[i] != 1)
    if keep:
        grad = grad.sum(axis=keep, keepdims=True)
    return np.broadcast_to(grad, shape) if grad.shape != shape else grad


def _binary(fn):
    def forward(a, b):
        a, b = align(a, b)
        return fn(a, b)

    return forward


def _safe_log(a):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a)


def _pow_backward(g, out, a, b):
    a, b = align(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        da = g * b * a ** (b - 1)
        db = g * np.where(
            a > 0, out * _safe_log(np.where(a > 0, a, 1.0)), np.where(a == 0, 0.0, np.nan)
        )
    return da, db


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _softmax(a):
    if a.ndim < 2:  # a per-variant scalar: a softmax over one element
        return np.ones_like(a)
    z = np.exp(a - a.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def _softmax_backward(g, out, a):
    if a.ndim < 2:
        return (np.zeros_like(g),)
    return (out * (g - (g * out).sum(axis=-1, keepdims=True)),)


def _per_variant_axes(a):
    return tuple(range(1, a.ndim))


def _sum(a):
    return a.sum(axis=_per_variant_axes(a)) if a.ndim > 1 else a


def _mean(a):
    return a.mean(axis=_per_variant_axes(a)) if a.ndim > 1 else a


def _expand(g, a):
    """Broadcast a per-variant scalar gradient back over ``a``'s elements."""
    return np.broadcast_to(g.reshape(g.shape + (1,) * (a.ndim - 1)), a.shape)


def _max(a):
    return a.max(axis=_per_variant_axes(a)) if a.ndim > 1 else a


def _max_backward(g, out, a):
    if a.ndim == 1:
        return (g,)
    hit = a == _expand(out, a)
    share = hit / hit.sum(axis=_per_variant_axes(a), keepdims=True)
    return (share * _expand(g, a),)


def _transpose(a):
    return np.swapaxes(a, 1, 2) if a.ndim == 3 else a


MATMUL_SUBSCRIPTS = {
    (2, 2): ("vij,vjk->vik", "vik,vjk->vij", "vij,vik->vjk"),
    (2, 1): ("vij,vj->vi", "vi,vj->vij", "vij,vi->vj"),
    (1, 2): ("vj,vjk->vk", "vk,vjk->vj", "vj,vk->vjk"),
    (1, 1): ("vj,vj->v", "v,vj->vj", "vj,v->vj"),
}


def _matmul_subscripts(a, b):
    try:
        return MATMUL_SUBSCRIPTS[(a.ndim - 1, b.ndim - 1)]
    except KeyError:
        raise ValueError("matmul takes vectors and matrices") from None


def _matmul(a, b):
    return np.einsum(_matmul_subscripts(a, b)[0], a, b)


def _matmul_backward(g, out, a, b):
    _, da, db = _matmul_subscripts(a, b)
    return np.einsum(da, g, b), np.einsum(db, a, g)


OPS: dict[str, Op] = {
    op.name: op
    for op in [
        Op("add", 2, _binary(np.add), lambda g, out, a, b: (g, g), symbol="+"),
        Op("sub", 2, _binary(np.subtract), lambda g, out, a, b: (g, -g), symbol="-"),
        Op(
            "mul",
            2,
            _binary(np.multiply),
            lambda g, out, a, b: (g * align(b, g)[0], g * align(a, g)[0]),
            symbol="*",
        ),
        Op(
            "div",
            2,
            _binary(np.divide),
            lambda g, out, a, b: (g / align(b, g)[0], -g * out / align(b, g)[0]),
            symbol="/",
        ),
        Op("pow", 2, _binary(np.power), _pow_backward, symbol="**"),
        Op("matmul", 2, _matmul, _matmul_backward, elementwise=False, symbol="@"),
        Op("id", 1, lambda a: a, lambda g, out, a: (g,)),
        Op("neg", 1, np.negative, lambda g, out, a: (-g,), symbol="-"),
        Op("exp", 1, np.exp, lambda g, out, a: (g * out,)),
        Op("log", 1, _safe_log, lambda g, out, a: (g / a,)),
        Op("sqrt", 1, np.sqrt, lambda g, out, a: (g * 0.5 / out,)),
        Op("abs", 1, np.abs, lambda g, out, a: (g * np.sign(a),)),
        Op("square", 1, np.square, lambda g, out, a: (g * 2.0 * a,)),
        Op("tanh", 1, np.tanh, lambda g, out, a: (g * (1.0 - out * out),)),
        Op("sigmoid", 1, _sigmoid, lambda g, out, a: (g * out * (1.0 - out),)),
        Op("relu", 1, lambda a: np.maximum(a, 0.0), lambda g, out, a: (g * (a > 0),)),
        Op(
            "softmax",
            1,
            _softmax,
            _softmax_backward,
            elementwise=False,
        ),
        Op("sum", 1, _sum, lambda g, out, a: (_expand(g, a),), elementwise=False),
        Op(
            "mean",
            1,
            _mean,
            lambda g, out, a: (_expand(g, a) / max(1, a[0].size),),
            elementwise=False,
        ),
        Op("max", 1, _max, _max_backward, elementwise=False),
        Op("transpose", 1, _transpose, lambda g, out, a: (_transpose(g),), elementwise=False),
    ]
}

# The ops a spec may call by name (the others are written as operators).
FUNCTIONS = frozenset(
    [
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
        "matmul",
    ]
)
