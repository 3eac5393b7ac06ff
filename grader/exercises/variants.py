"""Variants: one student's values, drawn as a pure function of (secret, exercise id, student id)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from grader.engine.format import plain
from grader.exercises.spec import Choice, Draw, RandInt, Uniform


@dataclass(frozen=True)
class Variant:
    """The given and params values one student's exercise is graded against."""

    given: dict[str, np.ndarray]
    params: dict[str, np.ndarray]

    def values(self) -> dict[str, np.ndarray]:
        return {**self.given, **self.params}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping]) -> Variant:
        """The inverse of :meth:`to_dict`."""
        return cls(
            given={k: np.asarray(v, dtype=np.float64) for k, v in data.get("given", {}).items()},
            params={k: np.asarray(v, dtype=np.float64) for k, v in data.get("params", {}).items()},
        )

    def to_dict(self) -> dict[str, dict]:
        """JSON-ready: numbers and nested lists."""
        return {"given": _plain(self.given), "params": _plain(self.params)}


def _plain(values: Mapping[str, np.ndarray]) -> dict:
    return {name: plain(value) for name, value in values.items()}


def seed_for(secret: str, exercise_id: str, student: str, attempt: int) -> int:
    """A 128-bit seed that changes with any of its inputs and nothing else."""
    material = "\x1f".join((secret, exercise_id, student, str(attempt))).encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:16], "little")


def draw_value(draw: Draw, rng: np.random.Generator) -> np.ndarray:
    """One drawn value, shaped as the draw asks."""
    shape = tuple(draw.shape or ())
    if isinstance(draw, RandInt):
        return rng.integers(draw.randint[0], draw.randint[1], size=shape, endpoint=True).astype(
            np.float64
        )
    if isinstance(draw, Choice):
        return np.asarray(rng.choice(np.asarray(draw.choice, dtype=np.float64), size=shape))
    if isinstance(draw, Uniform):
        low, high = draw.uniform
        return np.round(rng.uniform(low, high, size=shape), draw.decimals)
    raise TypeError(f"unknown draw {draw!r}")
