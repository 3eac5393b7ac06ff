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
    """``[plain_number(x) for x in values]`` for a 1-d array: rounded at once where floats do
    it exactly (see :func:`_rounded`), one at a time where they cannot."""
    x = np.array(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        rest = np.flatnonzero(~_whole(x))
        rounded, exact = _rounded(x[rest])
        x[rest[exact]] = rounded[exact]
        whole = _whole(x)
    if whole.all():  # points and scores, often: whole numbers all
        return x.astype(np.int64).tolist()
    out = x.tolist()
    for j, n in zip(
        np.flatnonzero(whole).tolist(), x[whole].astype(np.int64).tolist(), strict=True
    ):
        out[j] = n
    for j in rest[~exact].tolist():
        out[j] = plain_number(out[j])
    return out


def _whole(x: np.ndarray) -> np.ndarray:
    return (np.abs(x) < 1e15) & (np.floor(x) == x)


_POWERS = np.array([float(10**k) for k in range(23)])  # exact in binary


def _rounded(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` rounded to SIGNIFICANT digits as ``float(f"{x:.12g}")`` does, and where that is
    exact: x * 10**k is within 1.2e-4 of the true product (below 1e12, 53 bits), so its nearest
    whole number N is the true one unless that product is near a half; N / 10**k divides two
    exact floats, so it is the float nearest the decimal, as parsing the text gives."""
    k = SIGNIFICANT - 1 - np.floor(np.log10(np.abs(x)))
    exact = (k >= 0) & (k < len(_POWERS))
    scale = _POWERS[np.where(exact, k, 0).astype(np.intp)]
    t = x * scale
    n = np.rint(t)
    low, high = 10.0 ** (SIGNIFICANT - 1), 10.0**SIGNIFICANT
    exact &= (np.abs(t) >= low + 1) & (np.abs(t) < high - 1) & (np.abs(np.abs(t - n) - 0.5) > 1e-3)
    return n / scale, exact


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
