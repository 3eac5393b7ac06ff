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
import orjson

from grader.engine.format import plain, plain_numbers
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


def plain_jsons(variants: Sequence[Variant]) -> list[bytes]:
    """``[orjson.dumps(v.to_dict()) for v in variants]``, each distinct object encoded once, and
    the variants holding only numbers encoded a table at a time (one per set of names)."""
    distinct, rows, tables = _plain_tables(variants)
    out: list = [None] * len(distinct)
    for (given, params), members, numbers in tables:
        if numbers is None:  # vectors or matrices: one at a time
            for j in members:
                out[j] = orjson.dumps(distinct[j].to_dict())
            continue
        width = len(given) + len(params)
        encoded = orjson.dumps(numbers)[1:-1].split(b",")
        parts: list = [None] * (2 * width + 1)
        parts[0::2] = _template(given, params)
        for row, j in enumerate(members):
            parts[1::2] = encoded[row * width : (row + 1) * width]
            out[j] = b"".join(parts)
    return [out[j] for j in rows]


def plain_dicts(variants: Sequence[Variant]) -> list[dict[str, dict]]:
    """``[v.to_dict() for v in variants]``, each distinct object built once (shared, not to be
    changed), and the numbers of the variants holding only numbers made plain a table at a
    time."""
    distinct, rows, tables = _plain_tables(variants)
    out: list = [None] * len(distinct)
    for (given, params), members, numbers in tables:
        for row, j in enumerate(members):
            if numbers is None:
                out[j] = distinct[j].to_dict()
                continue
            start = row * (len(given) + len(params))
            values = numbers[start : start + len(given) + len(params)]
            out[j] = {
                "given": dict(zip(given, values[: len(given)], strict=True)),
                "params": dict(zip(params, values[len(given) :], strict=True)),
            }
    return [out[j] for j in rows]


def _plain_tables(variants: Sequence[Variant]) -> tuple[list[Variant], list[int], list[tuple]]:
    """The distinct variant objects, which of them each variant is, and per set of names
    ((given names, params names), the distinct variants of those names, their values as plain
    numbers, a row after another; None when they are not all numbers)."""
    index: dict[int, int] = {}
    distinct: list[Variant] = []
    rows = []
    for variant in variants:
        j = index.get(id(variant))
        if j is None:
            j = index[id(variant)] = len(distinct)
            distinct.append(variant)
        rows.append(j)
    groups: dict[tuple, list[int]] = {}
    for j, variant in enumerate(distinct):
        groups.setdefault((tuple(variant.given), tuple(variant.params)), []).append(j)
    tables = []
    for names, members in groups.items():
        table = _table([distinct[j] for j in members])
        numbers = None if table is None else plain_numbers(table.ravel())
        tables.append((names, members, numbers))
    return distinct, rows, tables


def _template(given: tuple[str, ...], params: tuple[str, ...]) -> list[bytes]:
    """The JSON of a variant of these names around its numbers."""
    mark = "\x00"
    shape = {"given": dict.fromkeys(given, mark), "params": dict.fromkeys(params, mark)}
    return orjson.dumps(shape).split(orjson.dumps(mark))


def _table(variants: list[Variant]) -> np.ndarray | None:
    """The values of variants of the same names as a table, a row each, when they are all
    numbers; else None."""
    rows = [[*v.given.values(), *v.params.values()] for v in variants]
    try:
        table = np.array(rows, dtype=np.float64)
    except ValueError:  # values of different shapes
        return None
    return table if table.ndim == 2 else None


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
