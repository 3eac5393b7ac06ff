"""A loaded exercise: its spec, its graph, its blanks, and its variants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any

import numpy as np

from grader.engine import Graph, Tape, backward, forward
from grader.exercises.degeneracy import WrongValues, degenerate_rows
from grader.exercises.spec import BLANK_KINDS, ExerciseSpec, parse_value
from grader.exercises.tolerance import Tolerance
from grader.exercises.variants import Variant, distinct_rows, draw_column, uniforms

MAX_REDRAWS = 64
_NUMBER_TYPES = frozenset((int, float))
_EMPTY: dict = {}


class VariantError(ValueError):
    """Explicit values that do not fit the exercise (unknown name, wrong shape)."""


@dataclass(frozen=True)
class Blank:
    """One thing the student fills in: ``grad.e3``, ``update.v`` or ``new.v``; in the training
    step ``step`` ≥ 2 of an exercise of several, ``grad.e3@2``."""

    id: str
    kind: str
    target: str
    points: float
    shape: tuple[int, ...]
    step: int = 1


def blank_id(kind: str, target: str, step: int = 1) -> str:
    """``grad.e3``, and ``grad.e3@2`` in step 2."""
    return f"{kind}.{target}" if step == 1 else f"{kind}.{target}@{step}"


@dataclass
class Exercise:
    """An exercise ready to grade: validated spec, compiled graph, blanks and shapes."""

    spec: ExerciseSpec
    graph: Graph
    values: dict[str, Any]  # name -> fixed array or a draw
    shapes: dict[str, tuple[int, ...]]  # per-variant shape of every name
    blanks: list[Blank]
    content_hash: str
    source: str = ""
    lines: dict[tuple, int] = field(default_factory=dict, repr=False, compare=False)
    _fixed: Variant | None = field(default=None, repr=False)
    _wrong_values: WrongValues | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.spec.id

    @cached_property
    def tolerance(self) -> Tolerance:
        """The tolerance rule with this exercise's ``tolerance`` settings."""
        return Tolerance(**self.spec.tolerance.model_dump())

    @cached_property
    def numbers_only(self) -> bool:
        """Every given and param value is a number (no vector or matrix)."""
        return not any(self.shapes[name] for name in self.values)

    @property
    def wrong_values(self) -> WrongValues:
        """The obvious wrong values of the blanks, checked by :func:`degeneracy`."""
        if self._wrong_values is None or self._wrong_values.blanks is not self.blanks:
            self._wrong_values = WrongValues(self)
        return self._wrong_values

    @property
    def randomised(self) -> bool:
        return any(not isinstance(v, np.ndarray) for v in self.values.values())

    def blank(self, blank_id: str) -> Blank | None:
        return next((b for b in self.blanks if b.id == blank_id), None)

    def draw_variant(self, secret: str, student: str) -> Variant:
        """The student's variant: the same on every call, redrawn past degenerate draws."""
        if not self.randomised:
            if self._fixed is None:
                self._fixed = self.raw_draws("", [""])[0][0]
            return self._fixed
        return self.draw_variants(secret, [student])[0]

    def draw_variants(self, secret: str, students: Sequence[str]) -> list[Variant]:
        """The variants of many students, each a pure function of (secret, exercise id,
        student): drawn and checked for degeneracy in vectorised passes, the degenerate ones
        drawn again (the next attempt), up to MAX_REDRAWS."""
        if not self.randomised or not students:
            return [self.draw_variant(secret, student) for student in students]
        found: list[Variant | None] = [None] * len(students)
        todo = np.arange(len(students))
        for attempt in range(MAX_REDRAWS):
            drawn, inputs = self.raw_draws(secret, [students[i] for i in todo], attempt)
            if attempt == MAX_REDRAWS - 1:
                bad = np.zeros(len(todo), dtype=bool)
            else:
                with np.errstate(all="ignore"):
                    bad = degenerate_rows(self, forward(self.graph, inputs))
            for i, variant, degenerate_draw in zip(todo, drawn, bad, strict=True):
                if not degenerate_draw:
                    found[i] = variant
            todo = todo[bad]
            if not len(todo):
                break
        return found

    def raw_draws(
        self, secret: str, students: Sequence[str], attempt: int = 0
    ) -> tuple[list[Variant], dict[str, np.ndarray]]:
        """Each student's draw of one attempt, not checked for degeneracy, and the same values
        stacked as the graph's inputs (one row a student)."""
        counts = {
            name: int(np.prod(value.shape)) if value.shape else 1
            for name, value in self.values.items()
            if not isinstance(value, np.ndarray)
        }
        u = uniforms(secret, self.id, students, attempt, sum(counts.values()))
        columns, start = {}, 0
        for name, value in self.values.items():
            if isinstance(value, np.ndarray):
                columns[name] = np.broadcast_to(value, (len(students), *value.shape))
                continue
            shape = tuple(value.shape or ())
            part = u[:, start : start + counts[name]]
            columns[name] = draw_column(value, part).reshape(len(students), *shape)
            start += counts[name]
        given, params = list(self.spec.given), list(self.spec.params)
        first, rows = distinct_rows(len(students), [columns[name] for name in (*given, *params)])
        distinct = [
            Variant(
                given={name: columns[name][i] for name in given},
                params={name: columns[name][i] for name in params},
            )
            for i in first.tolist()
        ]
        return [distinct[j] for j in rows.tolist()], columns

    def with_values(self, base: Variant, given: Mapping | None, params: Mapping | None) -> Variant:
        """``base`` with some values replaced by explicit ones (a paper exam's numbers)."""
        out = {"given": dict(base.given), "params": dict(base.params)}
        for section, explicit in (("given", given), ("params", params)):
            for name, raw in (explicit or {}).items():
                if name not in out[section]:
                    raise VariantError(f"'{name}' is not in the exercise's {section}")
                try:
                    value = parse_value(raw)
                except ValueError as exc:
                    raise VariantError(f"{section}.{name}: {exc}") from None
                if not isinstance(value, np.ndarray):
                    raise VariantError(f"{section}.{name}: expected a number or a list of numbers")
                if value.shape != self.shapes[name]:
                    raise VariantError(
                        f"{section}.{name}: expected shape {list(self.shapes[name])}, got {list(value.shape)}"
                    )
                out[section][name] = value
        return Variant(**out)

    def numbers(self, given: Mapping | None, params: Mapping | None) -> tuple | None:
        """Explicit values that name every given and param of an exercise of numbers, each a
        finite int or float, in the exercise's order (given first); else None
        (:meth:`with_values` says what is wrong or what the student's draw fills in)."""
        given = _EMPTY if given is None else given
        params = _EMPTY if params is None else params
        if not self.numbers_only or type(given) is not dict or type(params) is not dict:
            return None
        if len(given) + len(params) != len(self.values):
            return None
        try:
            values = self._take_numbers(given, params)
        except KeyError:
            return None
        if not _NUMBER_TYPES.issuperset(map(type, values)):
            return None  # text, a bool (True == 1), a list
        try:
            total = sum(values)
        except OverflowError:  # a whole number too large for a float beside a float
            return None
        if total - total != 0:
            return None  # inf or nan among them (or a sum past the largest float)
        return values

    @cached_property
    def _take_numbers(self):
        """A function of a line's given and params objects: their values in the exercise's
        order, as a tuple (KeyError if one is not there)."""
        take_given, take_params = _getter(tuple(self.spec.given)), _getter(tuple(self.spec.params))
        return lambda given, params: take_given(given) + take_params(params)

    def numbers_variant(self, numbers: Sequence) -> Variant:
        """The variant of :meth:`numbers`."""
        row = dict(zip(self.values, map(np.float64, numbers), strict=True))
        return Variant(
            {name: row[name] for name in self.spec.given},
            {name: row[name] for name in self.spec.params},
        )

    def inputs(self, variants: Sequence[Variant]) -> dict[str, np.ndarray]:
        """The graph's inputs for several variants, stacked along axis 0 (one row each)."""
        out = {}
        for name in self.graph.inputs:
            column = [v.given[name] if name in v.given else v.params[name] for v in variants]
            out[name] = np.stack(column) if self.shapes[name] else np.array(column, dtype=float)
        return out

    def advance(self, tape: Tape, params: Mapping[str, np.ndarray]) -> Tape:
        """Forward values from ``tape``'s given values and the parameters ``params`` (the next
        training step's start); a param not in ``params`` keeps its value."""
        inputs = {name: params.get(name, tape.values[name]) for name in self.graph.inputs}
        return forward(self.graph, inputs)

    def next_step(self, tape: Tape, grads: dict[str, np.ndarray]) -> tuple[Tape, dict]:
        """The forward values and gradients of the training step after (``tape``, ``grads``):
        each param moved by ``-learning_rate * gradient``."""
        lr = self.spec.learning_rate
        moved = {p: tape.values[p] - lr * grads[p] for p in self.spec.params if p in grads}
        tape = self.advance(tape, moved)
        return tape, backward(self.graph, tape)

    def chain(self, tape: Tape) -> list[tuple[Tape, dict[str, np.ndarray]]]:
        """Each training step's forward values and gradients, from ``tape`` (step 1)."""
        steps = [(tape, backward(self.graph, tape))]
        while len(steps) < self.spec.steps:
            steps.append(self.next_step(*steps[-1]))
        return steps

    def evaluate(self, variants: list[Variant]) -> tuple[Tape, dict[str, np.ndarray]]:
        """Forward values and reference gradients for several variants at once."""
        tape = forward(self.graph, self.inputs(variants))
        return tape, backward(self.graph, tape)


def _getter(names: tuple[str, ...]):
    """A function of a mapping: the values of ``names`` in it, as a tuple (KeyError if one is
    not there)."""
    if len(names) > 1:
        return itemgetter(*names)
    if names:
        name = names[0]
        return lambda values: (values[name],)
    return lambda values: ()


def blank_points(spec: ExerciseSpec, blank_id: str, kind: str) -> float:
    """A blank's points: per blank, else per kind, else the common number, else 1."""
    if not isinstance(spec.points, dict):
        return float(spec.points)
    return float(spec.points.get(blank_id, spec.points.get(kind, 1)))


def make_blanks(spec: ExerciseSpec, shapes: Mapping[str, tuple[int, ...]]) -> list[Blank]:
    """The blanks in the order the student fills them: step by step, gradients, updates, new
    values."""
    blanks = []
    for step in range(1, spec.steps + 1):
        for kind in BLANK_KINDS:
            for target in getattr(spec.ask, kind):
                name = blank_id(kind, target, step)
                points = blank_points(spec, name, kind)
                blanks.append(Blank(name, kind, target, points, shapes[target], step))
    return blanks
