"""Attempt penalties, as Moodle's adaptive mode has them: attempt k of an exercise is worth
``max(0, 1 − penalty·(k − 1))`` of its points, ``penalty`` being the course's setting for the
exercise (0 by default: every attempt is worth full points).

The rule is computed when scores are read, never stored: changing the penalty changes the
gradebook at once, with no regrade. :func:`worth` and :func:`worth_sql` are the one rule in
Python and in SQL, side by side.
"""

from __future__ import annotations

from sqlalchemy import Double, Select, case, func, literal
from sqlalchemy.sql.elements import ColumnElement

from grader.db import CourseExercise, Submission

MAX_PENALTY = 1.0


def worth(penalty: float | None, attempt: int) -> float:
    """The share of its points attempt ``attempt`` (1, 2, ...) is worth."""
    return max(0.0, 1.0 - (penalty or 0.0) * (max(1, attempt) - 1))


def worth_sql(penalty: ColumnElement, attempt: ColumnElement) -> ColumnElement:
    """:func:`worth` as an SQL expression of a penalty column (null: 0) and an attempt column."""
    share = literal(1.0, Double) - func.coalesce(penalty, 0.0) * (attempt - 1)
    return case((share < 0.0, literal(0.0, Double)), else_=share)


def with_settings(query: Select) -> Select:
    """``query`` joined (outer) to each submission's course settings, where its penalty is."""
    return query.outerjoin(
        CourseExercise,
        (CourseExercise.course_id == Submission.course_id)
        & (CourseExercise.exercise_id == Submission.exercise_id),
    )


def percent(share: float) -> str:
    """A share as people write it: ``80%``, ``66.7%``."""
    return f"{100 * share:.3g}%"
