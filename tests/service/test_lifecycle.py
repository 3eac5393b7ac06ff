"""A submission's life (``grader/services/lifecycle.py``): graded once by the database's guard,
whatever a process remembers, and each submission graded or failed on its own."""

from __future__ import annotations

from sqlalchemy import func, select

from grader import tasks
from grader.db import Result, Submission, User
from grader.extensions import db
from grader.services import grading, lifecycle, submissions
from grader.services.lifecycle import Outcome
from tests.service.factories import broken_version, make_user

ANSWERS = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20"}


def submit(app, exercise: str = "single-weight") -> int:
    """A new student's queued submission (nothing grades it: the quiet app has no worker)."""
    student = make_user(app)
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email=student.email))
        return submissions.submit(db.session, user, exercise, ANSWERS).id


def results(app, submission_id: int) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(Result.id, Result.created_at).filter_by(submission_id=submission_id)
        ).all()


def test_outcomes_are_an_enum_that_reads_as_the_words_logged(quiet_app):
    """Tasks return an Outcome; it compares equal to (and serialises as) its word."""
    submission_id = submit(quiet_app)
    with quiet_app.app_context():
        outcome = tasks.grade_submission.run(submission_id)
    assert outcome is Outcome.GRADED and outcome == "graded"


def test_a_second_run_is_refused_by_the_database_not_by_this_processs_memory(quiet_app):
    """With the process's memory of what it graded wiped, running the task again finds the
    submission graded in the database: it writes nothing."""
    submission_id = submit(quiet_app)
    with quiet_app.app_context():
        assert tasks.grade_submission.run(submission_id) == Outcome.GRADED
    first = results(quiet_app, submission_id)
    lifecycle.recently_graded.forget()
    with quiet_app.app_context():
        assert tasks.grade_submission.run(submission_id) == Outcome.SKIPPED
    assert results(quiet_app, submission_id) == first and len(first) == 1


def test_two_runs_that_both_claimed_it_write_one_result(quiet_app):
    """A run claims it, the sweep publishes it again and a second run claims it too (it is still
    pending); both grade; the second to record finds it graded and writes nothing."""
    submission_id = submit(quiet_app)
    with quiet_app.app_context():
        session = db.session
        runs = [lifecycle.claim(session, [submission_id]) for _ in range(2)]
        assert all(len(claimed) == 1 for claimed in runs)
        graded = [grading.grade_claimed(session, claimed) for claimed in runs]
        first = lifecycle.record(session, *graded[0])
        second = lifecycle.record(session, *graded[1])
        status = session.scalar(select(Submission.status).filter_by(id=submission_id))
    assert first == ({submission_id}, set()) and second == (set(), set())
    assert status == "graded" and len(results(quiet_app, submission_id)) == 1


def statuses(app, *ids: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(Submission.id, Submission.status, Submission.error).where(Submission.id.in_(ids))
        ).all()
    return sorted(rows)


def test_a_broken_exercise_version_fails_only_its_own_submission(quiet_app):
    """A run claims its own submission and a waiting one whose version cannot load: its own is
    graded, the other fails with the reason, and neither is left ``grading``."""
    broken = submit(quiet_app)
    broken_version(quiet_app, [broken])
    good = submit(quiet_app)
    with quiet_app.app_context():
        assert tasks.grade_submission.run(good) == Outcome.GRADED
    (_, broken_status, error), (_, good_status, _) = statuses(quiet_app, broken, good)
    assert (broken_status, good_status) == ("failed", "graded")
    assert "cannot be loaded" in error
    assert len(results(quiet_app, good)) == 1 and results(quiet_app, broken) == []


def test_a_run_for_the_broken_one_still_grades_the_good_ones_it_claimed(quiet_app):
    """The other way round: the task of the broken submission claims good ones waiting; they
    are graded, only the broken one fails."""
    broken = submit(quiet_app)
    broken_version(quiet_app, [broken])
    good = [submit(quiet_app) for _ in range(3)]
    with quiet_app.app_context():
        assert tasks.grade_submission.run(broken) == Outcome.FAILED
        graded = db.session.scalar(
            select(func.count(Submission.id)).where(Submission.status == "graded")
        )
    assert [row[1] for row in statuses(quiet_app, broken, *good)] == ["failed"] + ["graded"] * 3
    assert graded == 3
