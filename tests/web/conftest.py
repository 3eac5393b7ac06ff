"""Fixtures for the student's pages: the embedded app (the service's fixture), students who log in
with the form, and courses with settings."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select

from grader.db import CourseExercise, Exercise
from grader.extensions import db
from grader.services import accounts
from tests.service.conftest import (  # noqa: F401  (the service's fixtures: both stacks)
    celery_worker,
    embedded_app,
    postgres_app,
    postgres_url,
    queue_name,
    redis_url,
    servers,
    stack,
    worker_id,
)

PASSWORD = "correct horse battery"
GRADED_TIMEOUT = 30.0
CSRF_FIELD = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@dataclass
class Browser:
    """A test client that logs in with the form and posts forms with their CSRF token."""

    app: object
    client: object
    email: str
    course: str

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def csrf(self, path: str) -> str:
        return CSRF_FIELD.search(self.client.get(path).get_data(as_text=True)).group(1)

    def submit(self, exercise: str, answers: dict, course: str | None = None, **kwargs):
        """Post the exercise page's form as its script does (asking for JSON)."""
        course = course or self.course
        page = f"/courses/{course}/exercises/{exercise}"
        data = {"csrf_token": self.csrf(page), **answers}
        return self.client.post(
            f"{page}/attempts", data=data, headers={"Accept": "application/json"}, **kwargs
        )

    def wait_graded(self, url: str, timeout: float = GRADED_TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            body = self.client.get(url, headers={"Accept": "application/json"}).get_json()
            if body["final"] or time.monotonic() > deadline:
                return body
            time.sleep(0.02)


def new_student(app, course: str | None = None, role: str = "student") -> tuple[str, str]:
    """A user with a password in ``course`` (a new course if None): (email, course)."""
    course = course or f"course-{uuid.uuid4().hex[:10]}"
    email = f"{role}-{uuid.uuid4().hex[:10]}@test.example"
    with app.app_context():
        accounts.add_user(db.session, email, role, PASSWORD, course, f"Test {role.title()}")
        db.session.commit()
    return email, course


def log_in(app, email: str, course: str) -> Browser:
    client = app.test_client()
    browser = Browser(app, client, email, course)
    token = browser.csrf("/login")
    reply = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return browser


def offer(
    app,
    course: str,
    exercise: str,
    max_attempts: int | None = None,
    due_at: datetime | None = None,
    reveal: str = "after_deadline",
    opens_at: datetime | None = None,
) -> None:
    """Put ``exercise`` on the course's list with these settings (the course is then narrowed)."""
    with app.app_context():
        session = db.session
        course_row = accounts.get_or_create_course(session, course)
        exercise_id = session.scalar(select(Exercise.id).filter_by(slug=exercise))
        row = session.scalar(
            select(CourseExercise).filter_by(course_id=course_row.id, exercise_id=exercise_id)
        )
        if row is None:
            row = CourseExercise(course_id=course_row.id, exercise_id=exercise_id)
            session.add(row)
        row.max_attempts, row.due_at, row.reveal = max_attempts, due_at, reveal
        row.opens_at = opens_at
        session.commit()


@pytest.fixture
def app(embedded_app):  # noqa: F811
    return embedded_app


@pytest.fixture
def student(app) -> Browser:
    """A student logged in with the form, alone in a fresh course."""
    return log_in(app, *new_student(app))
