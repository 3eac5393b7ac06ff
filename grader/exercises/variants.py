"""Variants: one student's values, drawn as a pure function of (secret, exercise id, student id).

Each draw reads numbers in [0, 1) from the SHAKE-256 stream of (secret, exercise id, student,
attempt), 53 bits a number, one a drawn element in the order of the file; a randint maps a number
to a whole number of its range, a choice to an option, a uniform to its range rounded. Hashing
one student costs a microsecond, and the mapping is vectorised over all the students of a chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat

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


class VariantTable(Sequence):
    """Variants of an exercise of numbers, held as a table: each distinct set of values a row
    of ``values`` (the ``given`` values, then the ``params``, in that order) and, per variant,
    which row it is. A chunk of paper-exam lines carries its variants so, none made one at a
    time; indexing one makes its :class:`Variant`."""

    def __init__(self, given: Sequence[str], params: Sequence[str], values, rows) -> None:
        self.given, self.params = tuple(given), tuple(params)
        self.values = values  # (distinct, len(given) + len(params)) float64
        self.rows = rows  # (n,) intp

    @classmethod
    def of(cls, given: Sequence[str], params: Sequence[str], numbers: Sequence) -> VariantTable:
        """The table of ``numbers``, a list of each variant's values (given, then params)."""
        table = np.array(numbers, dtype=np.float64).reshape(len(numbers), len(given) + len(params))
        first, rows = distinct_rows(len(table), [table])
        return cls(given, params, table[first], rows)

    def take(self, positions) -> VariantTable:
        """The variants at ``positions``, in that order."""
        return VariantTable(self.given, self.params, self.values, self.rows[positions])

    def columns(self, names: Sequence[str]) -> dict[str, np.ndarray]:
        """Each named value of the distinct rows, as a column."""
        where = {name: k for k, name in enumerate((*self.given, *self.params))}
        return {name: self.values[:, where[name]] for name in names}

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        row, k = self.values[self.rows[i]], len(self.given)
        given = dict(zip(self.given, row[:k], strict=True))
        return Variant(given, dict(zip(self.params, row[k:], strict=True)))

    def __iter__(self) -> Iterator[Variant]:
        return (self[i] for i in range(len(self)))


def plain_jsons(variants: Sequence[Variant]) -> list[bytes]:
    """``[orjson.dumps(v.to_dict()) for v in variants]``, each distinct object encoded once, and
    the variants holding only numbers encoded a table at a time (one per set of names)."""
    if isinstance(variants, VariantTable):
        numbers = plain_numbers(variants.values.ravel())
        encoded = _encoded_rows(variants.given, variants.params, numbers)
        return [encoded[j] for j in variants.rows.tolist()]
    distinct, rows, tables = _plain_tables(variants)
    out: list = [None] * len(distinct)
    for (given, params), members, numbers in tables:
        if numbers is None:  # vectors or matrices, or no values at all: one at a time
            for j in members:
                out[j] = orjson.dumps(distinct[j].to_dict())
            continue
        for j, encoded in zip(members, _encoded_rows(given, params, numbers), strict=True):
            out[j] = encoded
    return [out[j] for j in rows]


def _encoded_rows(given: tuple[str, ...], params: tuple[str, ...], numbers: list) -> list[bytes]:
    """The JSON of each variant of a table, from its plain numbers, a row after another."""
    width = len(given) + len(params)  # not 0: a table has values (see _table)
    encoded = orjson.dumps(numbers)[1:-1].split(b",")
    template = _template(given, params)
    parts: list = [repeat(template[-1])] * (2 * width + 1)  # each row: text, number, ..., text
    parts[0::2] = map(repeat, template)
    parts[1::2] = (encoded[k::width] for k in range(width))
    return list(map(b"".join, zip(*parts, strict=False)))  # the repeats never end


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
    numbers, a row after another; None when they are not all numbers, or there are none)."""
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
    numbers, and there are some; else None."""
    rows = [[*v.given.values(), *v.params.values()] for v in variants]
    try:
        table = np.array(rows, dtype=np.float64)
    except ValueError:  # values of different shapes
        return None
    return table if table.ndim == 2 and table.shape[1] else None


def distinct_rows(n: int, columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The first of ``n`` rows of each distinct set of values (the same bits in every column)
    and, per row, which of them it is: students who drew the same numbers share one variant."""
    if n == 0 or not columns:
        return np.zeros(min(n, 1), dtype=np.intp), np.zeros(n, dtype=np.intp)
    table = np.ascontiguousarray(
        np.concatenate([np.asarray(c, dtype=np.float64).reshape(n, -1) for c in columns], axis=1)
    )
    keys = table.view(np.dtype((np.void, table.itemsize * table.shape[1]))).ravel()
    _, first, rows = np.unique(keys, return_index=True, return_inverse=True)
    return first, rows.ravel()


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
