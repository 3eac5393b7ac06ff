"""Exercise analytics for a course, aggregated in SQL: who submitted, the score distribution on
each student's first, best and last attempt, and per blank the share of students who got it
wrong, their diagnoses and the wrong values they wrote."""

from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Double, Integer, Subquery, case, cast, func, select
from sqlalchemy.orm import Session

from grader.db import Enrolment, Result, ResultBlank, Submission

BASES = ("first", "best", "last")
WRONG = ("incorrect", "unreadable", "missing")
TOP_DIAGNOSES = 3
TOP_VALUES = 5
EXACT_BINS_UP_TO = 20
PERCENT_BINS = 10


@dataclass(frozen=True)
class Overview:
    """How far the course has got with the exercise."""

    submissions: int
    graded: int
    pending: int
    failed: int
    students: int
    enrolled: int


@dataclass(frozen=True)
class Bin:
    """One bar group of the histogram: its label and a count per basis."""

    label: str
    counts: dict[str, int]


@dataclass(frozen=True)
class Histogram:
    """Scores binned by points (small exercises) or by tenths of the max score."""

    unit: str
    bins: list[Bin]
    students: dict[str, int]
    means: dict[str, float | None]


@dataclass(frozen=True)
class WrongValue:
    """A value several students wrote for a blank, and what the grader made of it."""

    got: str | None
    verdict: str
    diagnosis: str | None
    students: int


@dataclass
class BlankStats:
    """One blank on the chosen attempt of every student who has one."""

    blank: str
    students: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    diagnoses: list[tuple[str, int]] = field(default_factory=list)
    values: list[WrongValue] = field(default_factory=list)

    @property
    def wrong(self) -> int:
        return sum(self.verdicts.get(verdict, 0) for verdict in WRONG)

    @property
    def share_wrong(self) -> float:
        return self.wrong / self.students if self.students else 0.0

    @property
    def target(self) -> str:
        return self.blank.partition(".")[2]

    @property
    def kind(self) -> str:
        return self.blank.partition(".")[0]


def overview(session: Session, course_id: int, exercise_id: int) -> Overview:
    """Submissions by status, students who submitted, students enrolled: two grouped queries."""
    of_exercise = (Submission.course_id == course_id, Submission.exercise_id == exercise_id)
    counts = dict(
        session.execute(
            select(Submission.status, func.count()).where(*of_exercise).group_by(Submission.status)
        ).all()
    )
    students = session.scalar(
        select(func.count(func.distinct(Submission.user_id))).where(*of_exercise)
    )
    enrolled = session.scalar(
        select(func.count()).where(Enrolment.course_id == course_id, Enrolment.role == "student")
    )
    return Overview(
        submissions=sum(counts.values()),
        graded=counts.get("graded", 0),
        pending=counts.get("queued", 0) + counts.get("grading", 0),
        failed=counts.get("failed", 0),
        students=students or 0,
        enrolled=enrolled or 0,
    )


ORDER = {
    "first": (Submission.attempt.asc(), Submission.id.asc()),
    "last": (Submission.attempt.desc(), Submission.id.desc()),
    "best": (Result.score.desc(), Submission.attempt.desc(), Submission.id.desc()),
}


def _graded(course_id: int, exercise_id: int, bases: tuple[str, ...]) -> Subquery:
    """Every graded submission of the exercise with, per basis, its rank among the student's
    graded attempts (1: the student's first, best or last)."""
    for basis in bases:
        if basis not in BASES:
            raise ValueError(f"basis must be one of {', '.join(BASES)}")
    return (
        select(
            Submission.id,
            Submission.user_id,
            Result.score,
            Result.max_score,
            *(
                func.row_number()
                .over(partition_by=Submission.user_id, order_by=ORDER[basis])
                .label(basis)
                for basis in bases
            ),
        )
        .join(Result, Result.submission_id == Submission.id)
        .where(
            Submission.course_id == course_id,
            Submission.exercise_id == exercise_id,
            Submission.status == "graded",
        )
        .subquery("graded")
    )


def chosen_attempts(course_id: int, exercise_id: int, basis: str) -> Subquery:
    """The ids of each student's ``basis`` (first, best or last) graded submission."""
    graded = _graded(course_id, exercise_id, (basis,))
    return select(graded.c.id).where(graded.c[basis] == 1).subquery("chosen")


def histogram(session: Session, course_id: int, exercise_id: int) -> Histogram:
    """The score distribution on the first, best and last attempt: one grouped query (one pass
    ranks every attempt three ways, each basis counts its own rank-1 rows)."""
    max_scores = session.scalars(
        select(Result.max_score)
        .join(Submission, Submission.id == Result.submission_id)
        .where(Submission.course_id == course_id, Submission.exercise_id == exercise_id)
        .distinct()
        .limit(2)
    ).all()
    top = max_scores[0] if len(max_scores) == 1 else None
    exact = top is not None and float(top).is_integer() and 0 < top <= EXACT_BINS_UP_TO
    count = int(top) + 1 if exact else PERCENT_BINS
    graded = _graded(course_id, exercise_id, BASES)
    fraction = graded.c.score / func.nullif(graded.c.max_score, 0.0, type_=Double)
    bucket = _floor(session, graded.c.score if exact else fraction * PERCENT_BINS)
    bucket = case((bucket >= count, count - 1), (bucket < 0, 0), else_=bucket).label("bin")
    rows = session.execute(
        select(
            bucket,
            *(func.count().filter(graded.c[basis] == 1) for basis in BASES),
            *(func.sum(fraction).filter(graded.c[basis] == 1) for basis in BASES),
        ).group_by(bucket)
    ).all()
    counts = {basis: [0] * count for basis in BASES}
    sums = dict.fromkeys(BASES, 0.0)
    for row in rows:
        if row[0] is None:
            continue
        for i, basis in enumerate(BASES):
            counts[basis][int(row[0])] += row[1 + i]
            sums[basis] += row[1 + len(BASES) + i] or 0.0
    students = {basis: sum(counts[basis]) for basis in BASES}
    means = {basis: sums[basis] / students[basis] if students[basis] else None for basis in BASES}
    if exact:
        labels, unit = [str(i) for i in range(count)], "points"
    else:
        labels, unit = [f"{10 * i}–{10 * (i + 1)}%" for i in range(count)], "percent"
    bins = [
        Bin(label, {basis: counts[basis][i] for basis in BASES}) for i, label in enumerate(labels)
    ]
    return Histogram(unit=unit, bins=bins, students=students, means=means)


def _floor(session: Session, value):
    """floor() of a non-negative number in either database (SQLite may lack floor; its integer
    cast truncates, PostgreSQL's rounds)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(value, Integer)
    return cast(func.floor(value), Integer)


def blank_stats(
    session: Session, course_id: int, exercise_id: int, basis: str = "first"
) -> dict[str, BlankStats]:
    """Per blank, over each student's chosen attempt: verdict counts, the most common diagnoses
    of wrong answers and the most common wrong values.

    One grouped query by blank, verdict, diagnosis and (for wrong answers only) the value
    written; the verdict and diagnosis counts are sums of its groups.
    """
    chosen = chosen_attempts(course_id, exercise_id, basis)
    wrong_value = case(
        (ResultBlank.verdict.in_(("incorrect", "unreadable")), ResultBlank.got), else_=None
    ).label("value")
    groups = session.execute(
        select(
            ResultBlank.blank, ResultBlank.verdict, ResultBlank.diagnosis, wrong_value, func.count()
        )
        .join(chosen, chosen.c.id == ResultBlank.submission_id)
        .group_by(ResultBlank.blank, ResultBlank.verdict, ResultBlank.diagnosis, wrong_value)
    ).all()
    stats: dict[str, BlankStats] = {}
    diagnoses: dict[str, Counter] = defaultdict(Counter)
    values: dict[str, list[WrongValue]] = defaultdict(list)
    for blank, verdict, diagnosis, got, n in groups:
        entry = stats.setdefault(blank, BlankStats(blank))
        entry.verdicts[verdict] = entry.verdicts.get(verdict, 0) + n
        entry.students += n
        if verdict == "incorrect" and diagnosis is not None:
            diagnoses[blank][diagnosis] += n
        if verdict in ("incorrect", "unreadable"):
            values[blank].append(WrongValue(got, verdict, diagnosis, n))
    for blank, entry in stats.items():
        entry.diagnoses = sorted(diagnoses[blank].items(), key=lambda item: (-item[1], item[0]))[
            :TOP_DIAGNOSES
        ]
        top = heapq.nsmallest(
            TOP_VALUES, values[blank], key=lambda v: (-v.students, v.got or "", v.diagnosis or "")
        )
        entry.values = [
            WrongValue(show_value(v.got), v.verdict, v.diagnosis, v.students) for v in top
        ]
    return stats


def show_value(got: str | None) -> str | None:
    """A stored value (JSON text) as the student would read it: 10, -0.5, [1, 2], 'abc'."""
    if got is None:
        return None
    try:
        value = json.loads(got)
    except ValueError:
        return got
    if isinstance(value, str):
        return f"“{value}”"
    return _number_text(value)


def _number_text(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_number_text(item) for item in value) + "]"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
