"""The gradebook: each student's best score on each exercise of a course, in course points after
the attempt penalty (and before it), as a table for the instructor's page and as CSV; one grouped
query for the scores."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Double, case, false, func, select
from sqlalchemy.orm import Session

from grader.db import (
    Course,
    CourseExercise,
    Enrolment,
    Exercise,
    ExerciseVersion,
    Result,
    ResultBlank,
    Submission,
    User,
)
from grader.services import csvfiles
from grader.services.exercises import offered
from grader.services.penalties import with_settings, worth_sql


@dataclass(frozen=True)
class Column:
    """One exercise of the course, the points it is worth in the gradebook, and the share of
    them each attempt after the first loses."""

    exercise: Exercise
    worth: float
    penalty: float = 0.0


@dataclass(frozen=True)
class Row:
    """One student (id, email, name): best score per column after the attempt penalty (None: no
    graded attempt), attempts per column, and the best score before the penalty."""

    student: Any
    scores: list[float | None]
    attempts: list[int]
    raw: list[float | None] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(score for score in self.scores if score is not None)


@dataclass(frozen=True)
class Gradebook:
    """Students by exercises."""

    columns: list[Column]
    rows: list[Row]

    @property
    def worth(self) -> float:
        return sum(column.worth for column in self.columns)


@dataclass(frozen=True)
class Page:
    """One page of a gradebook's rows, sorted over all of them."""

    rows: list[Row]
    number: int  # 1-based
    pages: int
    sort: str  # "student", "total" or an exercise's slug
    descending: bool
    students: int


def page_of(book: Gradebook, sort: str, order: str, number: Any, size: int) -> Page:
    """The rows of page ``number`` once every row is sorted by ``sort`` (``student``,
    ``total`` or a column's exercise slug; anything else: ``student``) in ``order`` (``asc``
    or ``desc``; the default: names A to Z, scores high to low). Students without a graded
    attempt come last whichever the order; ties go by name. A page number out of range gives
    the nearest page."""
    slugs = [column.exercise.slug for column in book.columns]
    if sort not in ("student", "total", *slugs):
        sort = "student"
    descending = order == "desc" if order in ("asc", "desc") else sort != "student"

    def name(row: Row) -> tuple[str, str]:
        return (row.student.name or row.student.email).lower(), row.student.email

    if sort == "student":
        rows = sorted(book.rows, key=name, reverse=descending)
    else:
        index = slugs.index(sort) if sort != "total" else None

        def value(row: Row) -> float | None:
            return row.total if index is None else row.scores[index]

        scored = sorted((row for row in book.rows if value(row) is not None), key=name)
        scored.sort(key=value, reverse=descending)  # stable: ties stay by name
        rows = scored + sorted((row for row in book.rows if value(row) is None), key=name)
    pages = max(1, -(-len(rows) // size))
    try:
        number = min(max(1, int(number)), pages)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * size
    return Page(rows[start : start + size], number, pages, sort, descending, len(rows))


def course_score(follow_through_points=None):
    """A result's score in course points, before the attempt penalty: less
    ``follow_through_points`` (the points its follow-through verdicts earned) where the course
    gives no follow-through credit, scaled to the points the course says the exercise is worth
    (default: its max score)."""
    earned = Result.score
    if follow_through_points is not None:
        earned = Result.score - case(
            (CourseExercise.follow_through == false(), func.coalesce(follow_through_points, 0.0)),
            else_=0.0,
        )
    worth = func.coalesce(CourseExercise.points, Result.max_score)
    return earned * worth / func.nullif(Result.max_score, 0.0, type_=Double)


def gradebook(session: Session, course: Course) -> Gradebook:
    """Every enrolled student by every offered exercise, best course score in each cell."""
    exercises = offered(session, course)
    current_max = dict(
        session.execute(
            select(ExerciseVersion.exercise_id, ExerciseVersion.max_score)
            .join(Exercise, Exercise.id == ExerciseVersion.exercise_id)
            .where(
                ExerciseVersion.content_hash == Exercise.current_hash,
                Exercise.id.in_([exercise.id for exercise, _ in exercises]),
            )
        ).all()
    )
    columns = [
        Column(
            exercise,
            settings.points
            if settings is not None and settings.points is not None
            else current_max.get(exercise.id, 0.0),
            settings.penalty if settings is not None and settings.penalty else 0.0,
        )
        for exercise, settings in exercises
    ]
    students = session.execute(
        select(User.id, User.email, User.name)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id, Enrolment.role == "student")
        .order_by(User.email)
    ).all()
    query = (
        with_settings(
            select(Submission.user_id, Submission.exercise_id).outerjoin(
                Result, Result.submission_id == Submission.id
            )
        )
        .where(Submission.course_id == course.id)
        .group_by(Submission.user_id, Submission.exercise_id)
    )
    score = course_score()
    if any(settings is not None and not settings.follow_through for _, settings in exercises):
        follow_through = _follow_through_points(course)
        query = query.outerjoin(follow_through, follow_through.c.result_id == Result.id)
        score = course_score(follow_through.c.points)
    graded = Submission.status == "graded"
    share = worth_sql(CourseExercise.penalty, Submission.attempt)
    query = query.add_columns(
        func.max(score * share).filter(graded),
        func.count(Submission.id),
        func.max(score).filter(graded),
    )
    cells: dict[tuple[int, int], tuple[float | None, int, float | None]] = {}
    for user_id, exercise_id, best, attempts, raw in session.execute(query):
        cells[(user_id, exercise_id)] = (best, attempts, raw)
    rows = []
    for student in students:
        found = [cells.get((student.id, c.exercise.id), (None, 0, None)) for c in columns]
        rows.append(
            Row(student, [f[0] for f in found], [f[1] for f in found], [f[2] for f in found])
        )
    return Gradebook(columns, rows)


def _follow_through_points(course: Course):
    """Per result of the course, the points its follow-through verdicts earned."""
    return (
        select(ResultBlank.result_id, func.sum(ResultBlank.points).label("points"))
        .join(Submission, Submission.id == ResultBlank.submission_id)
        .where(Submission.course_id == course.id, ResultBlank.verdict == "follow_through")
        .group_by(ResultBlank.result_id)
        .subquery("follow_through")
    )


def gradebook_csv(session: Session, course: Course) -> str:
    """One row per enrolled student, one column per offered exercise (best score after the
    attempt penalty, blank if none; an exercise with a penalty also has a ``SLUG.raw`` column,
    the best score before it), and the total, in course points."""
    book = gradebook(session, course)
    out = io.StringIO()
    writer = csvfiles.writer(out)
    heads = []
    for column in book.columns:
        heads.append(column.exercise.slug)
        if column.penalty:
            heads.append(f"{column.exercise.slug}.raw")
    writer.writerow(["student", "name", *heads, "total"])
    for row in book.rows:
        cells = []
        for column, score, raw in zip(book.columns, row.scores, row.raw, strict=True):
            cells.append("" if score is None else number(score))
            if column.penalty:
                cells.append("" if raw is None else number(raw))
        writer.writerow([row.student.email, row.student.name, *cells, number(row.total)])
    return out.getvalue()


def number(value: float) -> str:
    """A score as written in the gradebook: 4, 4.5, 3.33333."""
    value = round(float(value), 9)
    return str(int(value)) if value.is_integer() else f"{value:.6g}"


def cell(session: Session, course: Course, exercise: Exercise, user_id: int) -> Cell:
    """One student's gradebook cell for one exercise, computed as :func:`gradebook` computes
    it (for a score sent to an LMS's gradebook)."""
    settings = session.scalar(
        select(CourseExercise).filter_by(course_id=course.id, exercise_id=exercise.id)
    )
    worth = worth_of(session, exercise, settings)
    score = course_score()
    follow_through = None
    if settings is not None and not settings.follow_through:
        follow_through = _follow_through_points(course)
        score = course_score(follow_through.c.points)
    share = worth_sql(CourseExercise.penalty, Submission.attempt)
    query = with_settings(
        select(func.max(score * share))
        .select_from(Submission)
        .join(Result, Result.submission_id == Submission.id)
    ).where(
        Submission.course_id == course.id,
        Submission.exercise_id == exercise.id,
        Submission.user_id == user_id,
        Submission.status == "graded",
    )
    if follow_through is not None:
        query = query.outerjoin(follow_through, follow_through.c.result_id == Result.id)
    best = session.scalar(query)
    return Cell(best, worth)


def worth_of(session: Session, exercise: Exercise, settings: CourseExercise | None) -> float:
    """The points an exercise is worth in a course: its setting, else its max score."""
    if settings is not None and settings.points is not None:
        return float(settings.points)
    worth = session.scalar(
        select(ExerciseVersion.max_score).where(
            ExerciseVersion.exercise_id == exercise.id,
            ExerciseVersion.content_hash == exercise.current_hash,
        )
    )
    return float(worth or 0.0)


@dataclass(frozen=True)
class Cell:
    """A student's best score on an exercise after the attempt penalty (None: no graded
    attempt), and the points the exercise is worth."""

    best: float | None
    worth: float
