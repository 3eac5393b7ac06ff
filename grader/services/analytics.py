"""Exercise analytics for a course, aggregated in SQL: who submitted, the score distribution on
each student's first, best and last attempt, and per blank the share of students who got it
wrong, their diagnoses and the wrong values they wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Integer, Select, Subquery, case, cast, func, select
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


def chosen_attempts(course_id: int, exercise_id: int, basis: str) -> Subquery:
    """Each student's first, best or last graded submission of the exercise: id, user, score."""
    if basis not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}")
    order = {
        "first": (Submission.attempt.asc(), Submission.id.asc()),
        "last": (Submission.attempt.desc(), Submission.id.desc()),
        "best": (Result.score.desc(), Submission.attempt.desc(), Submission.id.desc()),
    }[basis]
    ranked = (
        select(
            Submission.id,
            Submission.user_id,
            Result.score,
            Result.max_score,
            func.row_number().over(partition_by=Submission.user_id, order_by=order).label("rank"),
        )
        .join(Result, Result.submission_id == Submission.id)
        .where(
            Submission.course_id == course_id,
            Submission.exercise_id == exercise_id,
            Submission.status == "graded",
        )
        .subquery()
    )
    return (
        select(ranked.c.id, ranked.c.user_id, ranked.c.score, ranked.c.max_score)
        .where(ranked.c.rank == 1)
        .subquery(f"{basis}_attempts")
    )


def histogram(session: Session, course_id: int, exercise_id: int) -> Histogram:
    """The score distribution on the first, best and last attempt, one grouped query each."""
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
    counts: dict[str, list[int]] = {}
    students: dict[str, int] = {}
    means: dict[str, float | None] = {}
    for basis in BASES:
        chosen = chosen_attempts(course_id, exercise_id, basis)
        scaled = chosen.c.score
        if not exact:
            scaled = chosen.c.score * PERCENT_BINS / func.nullif(chosen.c.max_score, 0)
        bucket = _floor(session, scaled)
        bucket = case((bucket >= count, count - 1), (bucket < 0, 0), else_=bucket)
        rows = session.execute(
            select(bucket.label("bin"), func.count()).select_from(chosen).group_by("bin")
        ).all()
        counts[basis] = [0] * count
        for index, n in rows:
            if index is not None:
                counts[basis][int(index)] += n
        students[basis] = sum(counts[basis])
        fraction = func.avg(chosen.c.score / func.nullif(chosen.c.max_score, 0))
        mean = session.scalar(select(fraction).select_from(chosen))
        means[basis] = float(mean) if mean is not None else None
    if exact:
        labels = [str(i) for i in range(count)]
        unit = "points"
    else:
        labels = [f"{10 * i}–{10 * (i + 1)}%" for i in range(count)]
        unit = "percent"
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
    of wrong answers and the most common wrong values, each one grouped query."""
    chosen = chosen_attempts(course_id, exercise_id, basis)
    joined = ResultBlank.__table__.join(chosen, chosen.c.id == ResultBlank.submission_id)
    stats: dict[str, BlankStats] = {}
    for blank, verdict, n in session.execute(
        select(ResultBlank.blank, ResultBlank.verdict, func.count())
        .select_from(joined)
        .group_by(ResultBlank.blank, ResultBlank.verdict)
    ):
        entry = stats.setdefault(blank, BlankStats(blank))
        entry.verdicts[verdict] = n
        entry.students += n
    diagnoses = _top(
        select(ResultBlank.blank, ResultBlank.diagnosis, func.count().label("n"))
        .select_from(joined)
        .where(ResultBlank.verdict == "incorrect", ResultBlank.diagnosis.is_not(None))
        .group_by(ResultBlank.blank, ResultBlank.diagnosis),
        TOP_DIAGNOSES,
        tiebreak="diagnosis",
    )
    for blank, diagnosis, n in session.execute(diagnoses):
        stats[blank].diagnoses.append((diagnosis, n))
    values = _top(
        select(
            ResultBlank.blank,
            ResultBlank.got,
            ResultBlank.verdict,
            ResultBlank.diagnosis,
            func.count().label("n"),
        )
        .select_from(joined)
        .where(ResultBlank.verdict.in_(("incorrect", "unreadable")))
        .group_by(ResultBlank.blank, ResultBlank.got, ResultBlank.verdict, ResultBlank.diagnosis),
        TOP_VALUES,
        tiebreak="got",
    )
    for blank, got, verdict, diagnosis, n in session.execute(values):
        stats[blank].values.append(WrongValue(show_value(got), verdict, diagnosis, n))
    return stats


def _top(grouped: Select, limit: int, tiebreak: str) -> Select:
    """The ``limit`` largest groups of each blank, largest first (the ranking done in SQL)."""
    inner = grouped.subquery()
    rank = (
        func.row_number()
        .over(partition_by=inner.c.blank, order_by=(inner.c.n.desc(), inner.c[tiebreak]))
        .label("rank")
    )
    ranked = select(inner, rank).subquery()
    columns = [column for column in ranked.c if column.name != "rank"]
    return select(*columns).where(ranked.c.rank <= limit).order_by(ranked.c.blank, ranked.c.rank)


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
