"""Analytics and the gradebook on both stacks (SQLite with the in-process worker, PostgreSQL with
Redis and a worker process): the per-blank rows written by the database, the figures in SQL."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete, func, select

from grader.db import Course, CourseExercise, Exercise, ResultBlank, Submission
from grader.extensions import db
from grader.services import analytics, gradebook
from tests.service.factories import Api, make_user

RIGHT = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}
SIGN_E3 = {"grad.e3": "10", "grad.e2": "10", "grad.e1": "20", "update.v": "-0.2", "new.v": "-0.2"}
LOCAL_E1 = {**RIGHT, "grad.e1": "-10", "update.v": "0.1", "new.v": "0.1"}


@pytest.fixture
def teacher(stack) -> Api:
    """An instructor (bearer token) of a fresh course, on the stack under test."""
    return make_user(stack, "instructor")


@pytest.fixture
def pupil(teacher) -> Api:
    """A student of the teacher's course."""
    return make_user(teacher.app, "student", teacher.course)


def submit_graded(api, answers: dict, exercise: str = "single-weight") -> dict:
    reply = api.submit(exercise, answers)
    assert reply.status_code == 202, reply.get_json()
    graded = api.wait_graded(reply.get_json()["id"])
    assert graded["status"] == "graded", graded
    return graded


def class_of(teacher: Api, *answer_sets) -> list:
    """One new student per answer set (a list: several attempts), each graded in turn."""
    students = []
    for attempts in answer_sets:
        member = make_user(teacher.app, "student", teacher.course)
        for answers in attempts:
            submit_graded(member, answers)
        students.append(member)
    return students


def test_result_blanks_follow_every_result_written(pupil):
    """Each graded result has one row per blank, written by the database's triggers."""
    graded = submit_graded(pupil, SIGN_E3)
    with pupil.app.app_context():
        rows = db.session.execute(
            select(ResultBlank.blank, ResultBlank.verdict, ResultBlank.diagnosis, ResultBlank.got)
            .where(ResultBlank.submission_id == graded["id"])
            .order_by(ResultBlank.blank)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("grad.e1", "follow_through", None, "20"),
        ("grad.e2", "follow_through", None, "10"),
        ("grad.e3", "incorrect", "sign_error", "10"),
        ("new.v", "follow_through", None, "-0.2"),
        ("update.v", "follow_through", None, "-0.2"),
    ]


def test_analytics_count_each_students_first_best_and_last_attempt(teacher):
    """Shares of wrong answers, diagnoses, wrong values and the histogram, per basis."""
    class_of(teacher, [RIGHT], [SIGN_E3, RIGHT], [SIGN_E3], [LOCAL_E1, {**RIGHT, "new.v": "x"}])
    figures = teacher.get(f"/courses/{teacher.course}/exercises/single-weight/analytics").get_json()
    assert figures["overview"] == {
        "submissions": 6,
        "graded": 6,
        "pending": 0,
        "failed": 0,
        "students": 4,
        "enrolled": 4,
    }
    blanks = {entry["blank"]: entry for entry in figures["blanks"]}
    assert (blanks["grad.e3"]["wrong"], blanks["grad.e3"]["students"]) == (2, 4)
    assert blanks["grad.e3"]["diagnoses"] == [{"diagnosis": "sign_error", "students": 2}]
    assert blanks["grad.e3"]["wrong_values"] == [
        {"got": "10", "verdict": "incorrect", "diagnosis": "sign_error", "students": 2}
    ]
    assert blanks["grad.e2"]["verdicts"] == {"correct": 2, "follow_through": 2}
    assert blanks["grad.e1"]["diagnoses"] == [
        {"diagnosis": "missing_local_gradient", "students": 1}
    ]
    assert [b["first"] for b in figures["histogram"]["bins"]] == [0, 0, 0, 0, 3, 1]
    assert [b["best"] for b in figures["histogram"]["bins"]] == [0, 0, 0, 0, 2, 2]

    last = teacher.get(
        f"/courses/{teacher.course}/exercises/single-weight/analytics?basis=last"
    ).get_json()
    blanks = {entry["blank"]: entry for entry in last["blanks"]}
    assert (blanks["grad.e3"]["wrong"], blanks["grad.e1"]["wrong"]) == (1, 0)
    assert blanks["new.v"]["wrong_values"] == [
        {"got": "“x”", "verdict": "unreadable", "diagnosis": None, "students": 1}
    ]


def test_analytics_aggregate_in_sql_the_same_as_a_loop_over_results(teacher):
    """The grouped queries agree with counting the stored results one by one."""
    class_of(teacher, [SIGN_E3], [LOCAL_E1], [RIGHT], [SIGN_E3, LOCAL_E1])
    with teacher.app.app_context():
        session = db.session
        course = session.scalar(select(Course).filter_by(slug=teacher.course))
        exercise = session.scalar(select(Exercise).filter_by(slug="single-weight"))
        stats = analytics.blank_stats(session, course.id, exercise.id, "last")
        by_loop: dict[str, int] = {}
        latest: dict[int, Submission] = {}
        for submission in session.scalars(
            select(Submission).filter_by(course_id=course.id, exercise_id=exercise.id)
        ):
            if (
                submission.user_id not in latest
                or submission.attempt > latest[submission.user_id].attempt
            ):
                latest[submission.user_id] = submission
        for submission in latest.values():
            result = teacher.get(f"/submissions/{submission.id}").get_json()
            for blank, entry in result["blanks"].items():
                if entry["verdict"] in analytics.WRONG:
                    by_loop[blank] = by_loop.get(blank, 0) + 1
    assert {blank: s.wrong for blank, s in stats.items() if s.wrong} == by_loop


def test_gradebook_applies_the_courses_points_and_follow_through(teacher):
    """Scaled to the exercise's points in the course; without follow-through credit when the
    course gives none; the page and the CSV agree."""
    first, second = class_of(teacher, [SIGN_E3], [RIGHT])
    with teacher.app.app_context():
        session = db.session
        course = session.scalar(select(Course).filter_by(slug=teacher.course))
        exercise_id = session.scalar(select(Exercise.id).filter_by(slug="single-weight"))
        session.add(
            CourseExercise(
                course_id=course.id, exercise_id=exercise_id, points=10, follow_through=False
            )
        )
        session.commit()
        book = gradebook.gradebook(session, course)
    assert [column.exercise.slug for column in book.columns] == ["single-weight"]
    assert book.columns[0].worth == 10
    scores = {row.student.email: row.scores[0] for row in book.rows}
    # The sign error's four follow-through points are not counted: 0 of 5, scaled to 10.
    assert scores == {first.email: 0.0, second.email: 10.0}
    reply = teacher.get(f"/courses/{teacher.course}/gradebook.csv")
    rows = {
        row["student"]: row for row in csv.DictReader(io.StringIO(reply.get_data(as_text=True)))
    }
    assert rows[second.email]["single-weight"] == "10" and rows[second.email]["total"] == "10"
    assert rows[first.email]["single-weight"] == "0"


def test_blank_rows_are_dropped_with_their_result(pupil):
    """Deleting a submission removes its result and so its per-blank rows."""
    graded = submit_graded(pupil, RIGHT)
    with pupil.app.app_context():
        session = db.session
        session.execute(delete(Submission).where(Submission.id == graded["id"]))
        session.commit()
        left = session.scalar(select(func.count()).where(ResultBlank.submission_id == graded["id"]))
    assert left == 0
