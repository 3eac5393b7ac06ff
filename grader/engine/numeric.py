"""The numpy under the op table: per-variant broadcasting, and the rules too long for a lambda.

Every value carries the variant on axis 0: a scalar is an array of shape ``(V,)``, a vector
``(V, n)``, a matrix ``(V, n, m)``. A backward rule takes the upstream gradient ``g`` (shaped like
the output), the output ``out`` and the inputs, and returns one gradient per input, shaped like
the output; :func:`unbroadcast` then sums it back to the input's shape.
"""

from __future__ import annotations

import numpy as np


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


def binary(fn):
    """A forward rule of two arguments, aligned per variant first."""

    def forward(a, b):
        a, b = align(a, b)
        return fn(a, b)

    return forward


def safe_log(a):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a)


def pow_backward(g, out, a, b):
    a, b = align(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        da = g * b * a ** (b - 1)
        db = g * np.where(
            a > 0, out * safe_log(np.where(a > 0, a, 1.0)), np.where(a == 0, 0.0, np.nan)
        )
    return da, db


def pow_backward_without_coefficient(g, out, a, b):
    """The power rule with the coefficient dropped: d(a^b)/da taken as ``a^(b-1)``."""
    a, b = align(a, b)
    with np.errstate(all="ignore"):
        return g * a ** (b - 1), np.zeros_like(out)


def pow_backward_without_lowering(g, out, a, b):
    """The power rule with the exponent not lowered: d(a^b)/da taken as ``b·a^b``."""
    a, b = align(a, b)
    with np.errstate(all="ignore"):
        return g * b * a**b, np.zeros_like(out)


def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def softmax(a):
    if a.ndim < 2:  # a per-variant scalar: a softmax over one element
        return np.ones_like(a)
    z = np.exp(a - a.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def softmax_backward(g, out, a):
    if a.ndim < 2:
        return (np.zeros_like(g),)
    return (out * (g - (g * out).sum(axis=-1, keepdims=True)),)


def _per_variant_axes(a):
    return tuple(range(1, a.ndim))


def reduce_sum(a):
    """The sum of each variant's elements."""
    return a.sum(axis=_per_variant_axes(a)) if a.ndim > 1 else a


def reduce_mean(a):
    """The mean of each variant's elements."""
    return a.mean(axis=_per_variant_axes(a)) if a.ndim > 1 else a


def expand(g, a):
    """Broadcast a per-variant scalar gradient back over ``a``'s elements."""
    return np.broadcast_to(g.reshape(g.shape + (1,) * (a.ndim - 1)), a.shape)


def sum_backward(g, out, a):
    return (expand(g, a),)


def mean_backward(g, out, a):
    return (expand(g, a) / max(1, a[0].size),)


def reduce_max(a):
    """The largest of each variant's elements."""
    return a.max(axis=_per_variant_axes(a)) if a.ndim > 1 else a


def max_backward(g, out, a):
    if a.ndim == 1:
        return (g,)
    hit = a == expand(out, a)
    share = hit / hit.sum(axis=_per_variant_axes(a), keepdims=True)
    return (share * expand(g, a),)


def transpose(a):
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


def matmul(a, b):
    return np.einsum(_matmul_subscripts(a, b)[0], a, b)


def matmul_backward(g, out, a, b):
    _, da, db = _matmul_subscripts(a, b)
    return np.einsum(da, g, b), np.einsum(db, a, g)
