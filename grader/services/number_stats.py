"""An exercise's results broken down by the values of each drawn number: per number, the students
grouped by value (few values) or by round-number bins with 0 as an edge (many values), and per
group and blank the share who got it wrong; and the groups that differ strikingly.

The grouping is one SQL query: each chosen attempt's drawn values are read from its result once,
its per-blank rows joined to them and counted by blank and combination of groups (a CTE, at most
as many rows as there are answers, usually far fewer), then summed per number's group in turn
(``UNION ALL``); Python only sees one row per number, group and blank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Float, Integer, case, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.db import Result, ResultBlank
from grader.exercises.spec import Choice, RandInt, Uniform
from grader.services.analytics import WRONG, chosen_attempts

MAX_NUMBERS = 12
BY_VALUE_UP_TO = 12
NICE_STEPS = (1, 2, 2.5, 5)
EPSILON = 1e-9
TARGET_BINS = 4


@dataclass(frozen=True)
class Number:
    """A drawn number: a scalar draw (``v``) or one element of a drawn array (``W[1,2]``);
    ``step`` is None to group by value, else the width of its round-number bins."""

    name: str
    path: tuple
    step: float | None
    low: float
    high: float


@dataclass
class Group:
    """Students whose number has one value or lies in one bin; per blank (students, wrong)."""

    key: str
    low: float
    high: float | None
    blanks: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def students(self) -> int:
        return max((n for n, _ in self.blanks.values()), default=0)

    def share(self, blank: str) -> float | None:
        students, wrong = self.blanks.get(blank, (0, 0))
        return wrong / students if students else None


@dataclass
class Breakdown:
    """One number's groups, in order of value."""

    number: Number
    groups: list[Group]

    @property
    def by_value(self) -> bool:
        return self.number.step is None

    def group(self, key: str) -> Group | None:
        return next((g for g in self.groups if g.key == key), None)


def drawn_numbers(exercise: core.Exercise) -> list[Number]:
    """The exercise's drawn numbers, element by element, at most MAX_NUMBERS."""
    numbers = []
    for section in ("given", "params"):
        for name in getattr(exercise.spec, section):
            draw = exercise.values[name]
            if isinstance(draw, np.ndarray):
                continue
            low, high, values = _range(draw)
            step = None if values <= BY_VALUE_UP_TO else nice_step(low, high)
            shape = exercise.shapes.get(name, ())
            for index in np.ndindex(*shape):
                label = f"{name}[{','.join(str(i + 1) for i in index)}]" if index else name
                numbers.append(Number(label, (section, name, *index), step, low, high))
    return numbers[:MAX_NUMBERS]


def _range(draw) -> tuple[float, float, float]:
    """A draw's lowest and highest value and how many values it can take."""
    if isinstance(draw, RandInt):
        return draw.randint[0], draw.randint[1], draw.randint[1] - draw.randint[0] + 1
    if isinstance(draw, Choice):
        return min(draw.choice), max(draw.choice), len(set(draw.choice))
    assert isinstance(draw, Uniform)
    low, high = draw.uniform
    return low, high, round((high - low) * 10**draw.decimals) + 1


def nice_step(low: float, high: float) -> float:
    """A round bin width (1, 2, 2.5 or 5 times a power of ten), 0 an edge, giving the number
    of bins nearest to TARGET_BINS (the wider width on a tie)."""
    top = math.floor(math.log10(high - low))
    widths = [step * 10.0**power for power in range(top - 1, top + 1) for step in NICE_STEPS]
    return min(widths, key=lambda width: (abs(bins(low, high, width) - TARGET_BINS), -width))


def bins(low: float, high: float, width: float) -> int:
    """How many bins of ``width`` with edges at its multiples cover [low, high]."""
    return max(math.ceil(high / width - EPSILON) - math.floor(low / width + EPSILON), 1)


def breakdown(
    session: Session, course_id: int, exercise_id: int, exercise: core.Exercise, basis: str
) -> list[Breakdown]:
    """Per drawn number of ``exercise``, its groups with each blank's students and wrong
    answers, over each student's ``basis`` attempt; one query."""
    numbers = drawn_numbers(exercise)
    if not numbers:
        return []
    chosen = chosen_attempts(course_id, exercise_id, basis)
    values = (
        select(
            Result.id.label("result_id"),
            *(_group_of(session, number).label(f"n{i}") for i, number in enumerate(numbers)),
        )
        .join(chosen, chosen.c.id == Result.submission_id)
        .cte("drawn")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    wrong = case((ResultBlank.verdict.in_(WRONG), 1), else_=0)
    groups = [values.c[f"n{i}"] for i in range(len(numbers))]
    combos = (
        select(
            ResultBlank.blank,
            *groups,
            func.count().label("students"),
            func.sum(wrong).label("wrong"),
        )
        .join(values, values.c.result_id == ResultBlank.result_id)
        .group_by(ResultBlank.blank, *groups)
        .cte("combos")
    )
    parts = [
        select(
            literal(i).label("number"),
            combos.c.blank,
            cast(combos.c[f"n{i}"], Float).label("group"),
            func.sum(combos.c.students).label("students"),
            func.sum(combos.c.wrong).label("wrong"),
        )
        .where(combos.c[f"n{i}"].is_not(None))
        .group_by(combos.c.blank, combos.c[f"n{i}"])
        for i in range(len(numbers))
    ]
    found: list[dict[float, dict[str, tuple[int, int]]]] = [{} for _ in numbers]
    for i, blank, group, students, wrongs in session.execute(union_all(*parts)).all():
        number = numbers[i]
        if number.step is not None:
            last = max(math.ceil(number.high / number.step - EPSILON) - 1, 0)
            group = float(
                min(max(int(group), math.floor(number.low / number.step + EPSILON)), last)
            )
        cell = found[i].setdefault(group, {})
        known = cell.get(blank, (0, 0))
        cell[blank] = (known[0] + int(students), known[1] + int(wrongs or 0))
    return [
        Breakdown(number, [_group(number, g, found[i][g]) for g in sorted(found[i])])
        for i, number in enumerate(numbers)
    ]


def _group_of(session: Session, number: Number):
    """The SQL value a submission is grouped by: the number itself, or its bin's index."""
    value = Result.variant[number.path].as_float()
    if number.step is None:
        return value
    scaled = value / number.step + EPSILON
    if session.get_bind().dialect.name == "sqlite":
        truncated = cast(scaled, Integer)
        return case((scaled < truncated, truncated - 1), else_=truncated)
    return cast(func.floor(scaled), Integer)


def _group(number: Number, group: float, blanks: dict[str, tuple[int, int]]) -> Group:
    if number.step is None:
        return Group(_key(group), group, None, blanks)
    low = group * number.step
    return Group(f"bin{int(group)}", low, low + number.step, blanks)


def _key(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
