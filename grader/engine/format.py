"""Numbers as people read them: JSON-ready, no ``-0``, no float noise."""

from __future__ import annotations

import math

import numpy as np

SIGNIFICANT = 12


def plain_number(x: float) -> int | float | None:
    """A float rounded to 12 significant digits; integral values as int, ``-0.0`` as 0."""
    x = float(x)
    if not math.isfinite(x):
        return None
    if x.is_integer() and abs(x) < 1e15:
        return int(x)
    x = float(f"{x:.{SIGNIFICANT}g}")
    if x == 0:
        return 0
    if x.is_integer() and abs(x) < 1e15:
        return int(x)
    return x


def plain_numbers(values: np.ndarray) -> list:
    """``[plain_number(x) for x in values]`` for a 1-d array, its whole numbers found at once."""
    x = np.asarray(values, dtype=np.float64)
    out = x.tolist()
    with np.errstate(invalid="ignore"):
        whole = (np.abs(x) < 1e15) & (np.floor(x) == x)
    for j, n in zip(
        np.flatnonzero(whole).tolist(), x[whole].astype(np.int64).tolist(), strict=True
    ):
        out[j] = n
    for j in np.flatnonzero(~whole).tolist():
        out[j] = plain_number(out[j])
    return out


def plain(value) -> int | float | list | None:
    """A number, vector or matrix as JSON-ready numbers and nested lists."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return plain_number(float(array))
    return [plain(row) for row in array]


def show(value) -> str:
    """A value as a student would write it: ``-10``, ``0.2``, ``[1, 2]``."""
    out = plain(value)
    return "nan" if out is None else str(out).replace("None", "nan")
