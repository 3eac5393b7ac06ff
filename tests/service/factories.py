"""Factories for the service tests: users with tokens, and an API client that sends them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update

from grader.db import Exercise, ExerciseVersion, Submission
from grader.extensions import db
from grader.services import accounts

GRADED_TIMEOUT = 30.0


@dataclass
class Api:
    """A test client that sends a bearer token and unwraps JSON."""

    app: object
    email: str
    token: str
    course: str

    def _headers(self, headers: dict | None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, **kwargs):
        return self.app.test_client().get(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def post(self, path: str, **kwargs):
        return self.app.test_client().post(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def submit(self, exercise: str, answers: dict, **kwargs):
        return self.post("/submissions", json={"exercise": exercise, "answers": answers}, **kwargs)

    def wait_graded(self, submission_id: int, timeout: float = GRADED_TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            body = self.get(f"/submissions/{submission_id}").get_json()
            if body["status"] in ("graded", "failed") or time.monotonic() > deadline:
                return body
            time.sleep(0.02)


def make_user(
    app, role: str = "student", course: str | None = None, password: str | None = None
) -> Api:
    """A new user enrolled in ``course`` (a new course if None), with a bearer token."""
    course = course or f"course-{uuid.uuid4().hex[:10]}"
    email = f"{role}-{uuid.uuid4().hex[:10]}@test.example"
    with app.app_context():
        accounts.add_user(db.session, email, role, password, course)
        token = accounts.issue_token(db.session, email)
        db.session.commit()
    return Api(app, email, token, course)


def broken_version(app, submission_ids: list[int], exercise: str = "single-weight") -> int:
    """Point these submissions at a stored version of their exercise that cannot be loaded (as
    an old version might after the engine changed); that version's id."""
    with app.app_context():
        session = db.session
        row = session.scalar(select(Exercise).filter_by(slug=exercise))
        good = session.scalars(select(ExerciseVersion).filter_by(exercise_id=row.id).limit(1)).one()
        version = ExerciseVersion(
            exercise_id=row.id,
            content_hash=f"broken-{uuid.uuid4().hex}",
            source=f"id: {exercise}\ngraph: [unclosed\n",
            title=good.title,
            blanks=good.blanks,
            max_score=good.max_score,
        )
        session.add(version)
        session.flush()
        session.execute(
            update(Submission)
            .where(Submission.id.in_(submission_ids))
            .values(exercise_version_id=version.id)
        )
        session.commit()
        return version.id
