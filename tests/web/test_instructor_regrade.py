"""Regrading after an exercise file changes: a batch on the real task path, progress reported, the
old results kept for audit and the current ones replaced."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from grader.db import Exercise, ExerciseVersion, Result, ResultHistory, Submission
from grader.extensions import db
from grader.services import accounts
from tests.service.batching import store_version
from tests.service.factories import Api, make_user
from tests.web.conftest import CSRF_FIELD

ANSWERS = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}


@pytest.fixture
def teacher(stack) -> Api:
    return make_user(stack, "instructor")


@pytest.fixture
def slug(teacher):
    """A copy of single-weight of its own, retired afterwards so other tests never see it."""
    name = f"regrade-{uuid.uuid4().hex[:8]}"
    yield name
    with teacher.app.app_context():
        row = db.session.scalar(select(Exercise).filter_by(slug=name))
        if row is not None:
            row.active = False
            db.session.commit()


def logged_in(teacher: Api):
    """A browser with the teacher logged in with the form."""
    browser = teacher.app.test_client()
    with teacher.app.app_context():
        accounts.user_for_token(db.session, teacher.token).set_password("regrade password")
        db.session.commit()
    token = CSRF_FIELD.search(browser.get("/login").get_data(as_text=True)).group(1)
    browser.post(
        "/login",
        data={"email": teacher.email, "password": "regrade password", "csrf_token": token},
    )
    return browser


def test_regrade_replaces_results_and_keeps_the_old_ones(teacher, slug):
    """Two students graded against learning rate 0.01; the file changes to 0.1; the regrade from
    the course page grades them again, shows progress to done, and keeps the old results."""
    store_version(teacher.app, slug, "0.01")
    students = [make_user(teacher.app, "student", teacher.course) for _ in range(2)]
    ids = []
    for student in students:
        reply = student.submit(slug, ANSWERS)
        ids.append(student.wait_graded(reply.get_json()["id"])["id"])
    store_version(teacher.app, slug, "0.1")

    browser = logged_in(teacher)
    course_page = browser.get(f"/instructor/courses/{teacher.course}/").get_data(as_text=True)
    assert "2 submissions graded against an older version" in course_page
    token = CSRF_FIELD.search(course_page).group(1)
    reply = browser.post(
        f"/instructor/courses/{teacher.course}/exercises/{slug}/regrade",
        data={"csrf_token": token},
    )
    assert reply.status_code == 302
    batch_page = reply.headers["Location"]
    batch_id = int(batch_page.rstrip("/").rsplit("/", 1)[1])
    deadline = time.monotonic() + 30
    while (progress := teacher.get(f"/batches/{batch_id}").get_json())["status"] != "done":
        assert time.monotonic() < deadline, progress
        time.sleep(0.05)
    assert progress["counts"]["graded"] == progress["total"] == 2
    assert "done" in browser.get(batch_page).get_data(as_text=True)

    with teacher.app.app_context():
        session = db.session
        current = session.execute(
            select(Result.submission_id, Result.blanks, Result.exercise_hash).where(
                Result.submission_id.in_(ids)
            )
        ).all()
        history = session.scalars(
            select(ResultHistory).where(ResultHistory.submission_id.in_(ids))
        ).all()
        new_hash = session.scalar(select(Exercise.current_hash).filter_by(slug=slug))
        versions = session.scalars(
            select(ExerciseVersion.id)
            .join(Submission, Submission.exercise_version_id == ExerciseVersion.id)
            .where(Submission.id.in_(ids))
        ).all()
    assert len(current) == 2 and len(history) == 2
    for _, blanks, exercise_hash in current:
        assert exercise_hash == new_hash
        assert blanks["update.v"]["expected"] == 2 and blanks["update.v"]["verdict"] == "incorrect"
    for old in history:
        assert old.batch_id == batch_id
        assert old.score == 5 and old.exercise_hash != new_hash
        assert old.blanks["update.v"]["expected"] == 0.2
    assert len(set(versions)) == 1
    assert "Regrade" in course_page
    after = browser.get(f"/instructor/courses/{teacher.course}/").get_data(as_text=True)
    assert "graded against an older version" not in after


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
def test_a_regrade_with_new_numbers_needs_the_box_ticked(teacher, slug):
    """The course page offers a regrade with new numbers behind a box to tick; unticked, nothing
    starts and the page says why (in Russian too); ticked, the batch draws anew."""
    store_version(teacher.app, slug, "0.01")
    student = make_user(teacher.app, "student", teacher.course)
    student.wait_graded(student.submit(slug, ANSWERS).get_json()["id"])
    browser = logged_in(teacher)
    course_page = browser.get(f"/instructor/courses/{teacher.course}/").get_data(as_text=True)
    assert "Regrade with new numbers" in course_page
    token = CSRF_FIELD.search(course_page).group(1)
    action = f"/instructor/courses/{teacher.course}/exercises/{slug}/regrade"
    browser.get("/language/ru?next=/")
    unticked = browser.post(action, data={"csrf_token": token, "redraw": "1"})
    assert unticked.headers["Location"].endswith(f"/instructor/courses/{teacher.course}/")
    shown = browser.get(unticked.headers["Location"]).get_data(as_text=True)
    assert "Отметьте флажок" in shown
    ticked = browser.post(action, data={"csrf_token": token, "redraw": "1", "confirm": "1"})
    batch_id = int(ticked.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert teacher.get(f"/batches/{batch_id}").get_json()["redraw"] is True
    page = browser.get(ticked.headers["Location"]).get_data(as_text=True)
    assert "заново" in page
