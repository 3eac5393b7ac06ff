"""One tolerance rule for the whole project: is a student's value close to a target, per row."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """``|got - want| <= atol + rtol * |want|`` element by element; with ``sigfigs``, half a unit
    in the last significant figure of ``want`` takes the place of ``rtol``."""

    rtol: float = 0.01
    atol: float = 1e-8
    sigfigs: int | None = None

    def allowed(self, want: np.ndarray) -> np.ndarray:
        magnitude = np.abs(want)
        if self.sigfigs is None:
            return self.atol + self.rtol * magnitude
        with np.errstate(divide="ignore"):
            exponent = np.floor(np.log10(np.where(magnitude > 0, magnitude, 1.0)))
        return self.atol + 0.5 * 10.0 ** (exponent - self.sigfigs + 1)

    def close(self, got: np.ndarray, want: np.ndarray) -> np.ndarray:
        """Per row (axis 0): every element of ``got`` is within tolerance of ``want`` (NaN is
        close to nothing; callers grading many values silence numpy's warnings once)."""
        if self.sigfigs is None:
            ok = np.abs(got - want) <= self.atol + self.rtol * np.abs(want)
        else:
            ok = np.abs(got - want) <= self.allowed(want)
        return ok.reshape(ok.shape[0], -1).all(axis=1) if ok.ndim > 1 else ok

    def trivial(self, carried: np.ndarray, want: np.ndarray, nothing: np.ndarray) -> np.ndarray:
        """Per row: some element of ``carried`` is as good as ``nothing`` (what a student who
        does no work writes: zero, or the old value) where ``want`` is not. Element by element:
        the carried value either accepts ``nothing`` within tolerance, or differs from it by
        less than the tolerance of the true change ``want - nothing``."""
        with np.errstate(invalid="ignore"):
            moved = np.abs(carried - nothing)
            still = (moved <= self.allowed(carried)) | (moved <= self.allowed(want - nothing))
            still |= ~np.isfinite(moved)
            still &= np.abs(want - nothing) > self.allowed(want)
        return still.reshape(still.shape[0], -1).any(axis=1) if still.ndim > 1 else still
