"""The checks a submission passes before it is stored, on SQLite and on PostgreSQL: which course,
which exercise, attempts, dates, idempotency keys, and the variant drawn on first use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from grader.db import Course, CourseExercise, Exercise, StudentVariant, Submission, User, utcnow
from grader.extensions import db
from grader.services import accounts, submissions
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound

ANSWERS = {"grad.e3": "-10", "grad.e2": "-10"}


def user(email: str, role: str = "student", *courses: str) -> User:
    made = accounts.add_user(db.session, email, role, None, courses[0] if courses else None)
    for slug in courses[1:]:
        accounts.enrol(db.session, made, accounts.get_or_create_course(db.session, slug), role)
    db.session.commit()
    return made


def settings(course: str, exercise: str, **values) -> None:
    db.session.add(
        CourseExercise(
            course_id=db.session.scalar(select(Course.id).filter_by(slug=course)),
            exercise_id=db.session.scalar(select(Exercise.id).filter_by(slug=exercise)),
            **values,
        )
    )
    db.session.commit()


def stored(submission_id: int) -> Submission:
    return db.session.get(Submission, submission_id)


@pytest.fixture
def app(quiet_app):
    with quiet_app.app_context():
        yield quiet_app


def test_a_new_submission_is_stored_queued_with_its_course_attempt_and_variant(app):
    """The first attempt draws the variant (the student never opened the page); the second
    reuses it and counts as attempt 2."""
    student = user("one@example.test", "student", "algebra")
    first = submissions.submit(db.session, student, "single-weight", ANSWERS)
    second = submissions.submit(db.session, student, "single-weight", {"grad.e3": 4})
    assert first.new and second.new and (first.status, second.status) == ("queued", "queued")
    one, two = stored(first.id), stored(second.id)
    assert (one.attempt, two.attempt) == (1, 2)
    assert one.course_id == db.session.scalar(select(Course.id).filter_by(slug="algebra"))
    assert one.variant_id is not None and one.variant_id == two.variant_id
    assert db.session.scalar(select(func.count(StudentVariant.id))) == 1
    assert two.answers == {"grad.e3": "4"} and two.status == "queued"
    assert two.queued_at is not None and two.status_changed_at is not None


def test_a_student_in_several_courses_must_name_one(app):
    student = user("two@example.test", "student", "algebra", "geometry")
    with pytest.raises(Invalid, match="several courses"):
        submissions.submit(db.session, student, "single-weight", ANSWERS)
    named = submissions.submit(db.session, student, "single-weight", ANSWERS, "geometry")
    assert stored(named.id).course_id == db.session.scalar(
        select(Course.id).filter_by(slug="geometry")
    )


def test_a_course_the_student_is_not_in_is_not_found(app):
    user("other@example.test", "student", "geometry")
    student = user("three@example.test", "student", "algebra")
    with pytest.raises(NotFound, match="no course 'geometry' among yours"):
        submissions.submit(db.session, student, "single-weight", ANSWERS, "geometry")
    loner = user("loner@example.test")
    with pytest.raises(NotFound, match="not enrolled in any course"):
        submissions.submit(db.session, loner, "single-weight", ANSWERS)


def test_an_admin_may_submit_in_a_course_without_being_enrolled(app):
    user("student@example.test", "student", "algebra")
    admin = user("admin@example.test", "admin")
    accepted = submissions.submit(db.session, admin, "single-weight", ANSWERS, "algebra")
    assert accepted.new and stored(accepted.id).user_id == admin.id


def test_unknown_inactive_and_unlisted_exercises_are_not_found(app):
    student = user("four@example.test", "student", "algebra")
    with pytest.raises(NotFound, match="no exercise 'nope' in course 'algebra'"):
        submissions.submit(db.session, student, "nope", ANSWERS)
    exercise = db.session.scalar(select(Exercise).filter_by(slug="two-params"))
    exercise.active = False
    db.session.commit()
    with pytest.raises(NotFound, match="no exercise 'two-params'"):
        submissions.submit(db.session, student, "two-params", {})
    settings("algebra", "single-weight")
    with pytest.raises(NotFound, match="no exercise 'fan-out'"):
        submissions.submit(db.session, student, "fan-out", {})
    assert submissions.submit(db.session, student, "single-weight", ANSWERS).new


def test_attempts_and_dates_bind_students_but_not_the_instructor(app):
    student = user("five@example.test", "student", "algebra")
    teacher = user("teacher@example.test", "instructor", "algebra")
    settings("algebra", "single-weight", max_attempts=1)
    assert submissions.submit(db.session, student, "single-weight", ANSWERS).new
    with pytest.raises(Conflict, match=r"no attempts left at 'single-weight' \(1 allowed\)"):
        submissions.submit(db.session, student, "single-weight", ANSWERS)
    for _ in range(2):
        assert submissions.submit(db.session, teacher, "single-weight", ANSWERS).new
    row = db.session.scalar(select(CourseExercise))
    row.max_attempts, row.due_at = None, utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Forbidden, match="deadline for 'single-weight' has passed"):
        submissions.submit(db.session, student, "single-weight", ANSWERS)
    row.due_at, row.opens_at = None, utcnow() + timedelta(hours=1)
    db.session.commit()
    with pytest.raises(Forbidden, match="'single-weight' opens at"):
        submissions.submit(db.session, student, "single-weight", ANSWERS)
    assert submissions.submit(db.session, teacher, "single-weight", ANSWERS).new


def test_a_refused_submission_leaves_nothing_and_takes_no_attempt_number(app):
    """Refused for an unknown blank, no attempts left or a passed deadline (on PostgreSQL after
    the statement that reads the checks' context has inserted it): nothing is kept, and the
    next accepted submission takes the next attempt number."""
    student = user("eight@example.test", "student", "algebra")
    for _ in range(2):
        assert submissions.submit(db.session, student, "single-weight", ANSWERS).new
    settings("algebra", "single-weight", max_attempts=2)
    with pytest.raises(Conflict, match="no attempts left"):
        submissions.submit(db.session, student, "single-weight", ANSWERS, None, "k-8")
    with pytest.raises(Invalid, match="unknown blank 'grad.e9'"):
        submissions.submit(db.session, student, "single-weight", {"grad.e9": "1"})
    row = db.session.scalar(select(CourseExercise))
    row.max_attempts, row.due_at = None, utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Forbidden, match="deadline"):
        submissions.submit(db.session, student, "single-weight", ANSWERS)
    row.due_at = None
    db.session.commit()
    third = submissions.submit(db.session, student, "single-weight", ANSWERS, None, "k-8")
    assert third.new and stored(third.id).attempt == 3
    mine = select(func.count(Submission.id)).filter_by(user_id=student.id)
    assert db.session.scalar(mine) == 3


def test_on_postgresql_a_submission_is_checked_and_written_by_one_statement(app):
    """Its context read and the submission inserted at once; SQLite takes two statements."""
    student = user("nine@example.test", "student", "algebra")
    submissions.submit(db.session, student, "single-weight", ANSWERS)  # draws the variant
    statements = []

    def seen(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        accepted = submissions.submit(db.session, student, "single-weight", ANSWERS, None, "k")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert stored(accepted.id).attempt == 2
    postgres = db.engine.dialect.name == "postgresql"
    assert len(statements) == (1 if postgres else 2)
    assert statements[0].lstrip().startswith("WITH context") == postgres


def test_an_idempotency_key_gives_back_the_same_submission_whatever_came_since(app):
    """A retry with the same key is the same submission, even once the deadline has passed or
    the retried body is broken; another user's key of the same text is theirs alone."""
    student = user("six@example.test", "student", "algebra")
    first = submissions.submit(db.session, student, "single-weight", ANSWERS, None, "k-1")
    settings("algebra", "single-weight", due_at=utcnow() - timedelta(minutes=1))
    again = submissions.submit(db.session, student, "single-weight", ANSWERS, None, "k-1")
    broken = submissions.submit(db.session, student, 7, "not answers", None, "k-1")
    assert again == broken == (first.id, "queued", False)
    with pytest.raises(Forbidden):
        submissions.submit(db.session, student, "single-weight", ANSWERS, None, "k-2")
    other = user("seven@example.test", "student", "algebra")
    settings_row = db.session.scalar(select(CourseExercise))
    settings_row.due_at = None
    db.session.commit()
    theirs = submissions.submit(db.session, other, "single-weight", ANSWERS, None, "k-1")
    assert theirs.new and theirs.id != first.id
    assert db.session.scalar(select(func.count(Submission.id))) == 2
