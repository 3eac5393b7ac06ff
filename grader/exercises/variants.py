"""Variants: one student's values, drawn as a pure function of (secret, exercise id, student id).

Each draw reads numbers in [0, 1) from the SHAKE-256 stream of (secret, exercise id, student,
attempt), 53 bits a number, one a drawn element in the order of the file; a randint maps a number
to a whole number of its range, a choice to an option, a uniform to its range rounded. Hashing
one student costs a microsecond, and the mapping is vectorised over all the students of a chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
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

    def scalar_key(self) -> tuple | None:
        """The names and values, when every value is a number (else None): variants with the
        same key have the same :meth:`to_dict`, so it is built once for students who share it."""
        key: list = []
        for section in (self.given, self.params):
            for name, value in section.items():
                if getattr(value, "ndim", 0):
                    return None
                key.append((name, float(value)))
            key.append(None)
        return tuple(key)


def plain_values(variant: Variant, memo: dict) -> dict[str, dict]:
    """``variant.to_dict()``, built once per object and once per :meth:`Variant.scalar_key`
    (``memo`` keeps both); the dict is shared, not to be changed."""
    found = memo.get(id(variant))
    if found is None:
        key = variant.scalar_key()
        found = memo.get(key) if key is not None else None
        if found is None:
            found = variant.to_dict()
            if key is not None:
                memo[key] = found
        memo[id(variant)] = found
    return found


def _plain(values: Mapping[str, np.ndarray]) -> dict:
    return {name: plain(value) for name, value in values.items()}


def uniforms(
    secret: str, exercise_id: str, students: Sequence[str], attempt: int, count: int
) -> np.ndarray:
    """(students, count) numbers in [0, 1): each row a pure function of (secret, exercise id,
    student, attempt), read from the SHAKE-256 stream of those four, 53 bits a number."""
    if count == 0:
        return np.zeros((len(students), 0))
    head, tail = f"{secret}\x1f{exercise_id}\x1f".encode(), f"\x1f{attempt}".encode()
    size = 8 * count
    start = hashlib.shake_256(head)  # copying a started hash costs less than starting one
    parts = []
    for student in students:
        stream = start.copy()
        stream.update(student.encode() + tail)
        parts.append(stream.digest(size))
    raw = b"".join(parts)
    bits = np.frombuffer(raw, dtype="<u8").reshape(len(students), count) >> np.uint64(11)
    return bits.astype(np.float64) * 2.0**-53


def draw_column(draw: Draw, u: np.ndarray) -> np.ndarray:
    """A draw's values for many students, from their numbers ``u`` in [0, 1) (one a value)."""
    if isinstance(draw, RandInt):
        low, high = draw.randint
        return low + np.floor(u * (high - low + 1))
    if isinstance(draw, Choice):
        return draw.options[
            np.minimum((u * len(draw.options)).astype(np.intp), len(draw.options) - 1)
        ]
    if isinstance(draw, Uniform):
        low, high = draw.uniform
        return np.round(low + u * (high - low), draw.decimals)
    raise TypeError(f"unknown draw {draw!r}")
