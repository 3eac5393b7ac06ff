"""Helpers of the regrade tests: a course whose students answered an exercise of the test's
own, graded, and regrades run in this process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from grader.db import Course, Result, Submission, User
from grader.extensions import db
from grader.services import batches, lifecycle, regrade, submissions
from tests.service.batching import store_version
from tests.service.factories import Api, make_user

GOOD = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}


@dataclass
class Class:
    """A course with its instructor and the ids of its graded submissions."""

    app: object
    teacher: Api
    slug: str
    ids: list[int]

    @property
    def course(self) -> str:
        return self.teacher.course


def graded_class(app, students: int = 3, source=None) -> Class:
    """``students`` students who each answered a copy of single-weight (or ``source``) stored
    under a new slug, graded."""
    slug = f"regrade-{uuid.uuid4().hex[:8]}"
    store_version(app, slug, "0.01", **({"source": source} if source else {}))
    teacher = make_user(app, "instructor")
    ids = []
    with app.app_context():
        for _ in range(students):
            email = make_user(app, "student", teacher.course).email
            user = db.session.scalar(select(User).filter_by(email=email))
            ids.append(submissions.submit(db.session, user, slug, GOOD).id)
        for submission_id in ids:  # the first run grades the others waiting too
            lifecycle.grade_submission(db.session, submission_id)
        graded = select(Submission.status).where(Submission.id.in_(ids))
        assert set(db.session.scalars(graded)) == {"graded"}
    return Class(app, teacher, slug, ids)


def start(klass: Class, **options) -> int:
    """Queue a regrade of the class's exercise (not run yet); its batch id."""
    with klass.app.app_context():
        course = db.session.scalar(select(Course).filter_by(slug=klass.course))
        return regrade.start(db.session, None, course, klass.slug, **options).id


def run(klass: Class, batch_id: int) -> dict:
    """Grade the batch's pending chunks here; its state."""
    with klass.app.app_context():
        batches.run(db.session, batch_id)
        return batches.state(db.session, batch_id)


def current(klass: Class) -> dict[int, tuple]:
    """Each submission's (status, score, exercise hash, variant, batch that wrote the result)."""
    with klass.app.app_context():
        rows = db.session.execute(
            select(
                Submission.id,
                Submission.status,
                Result.score,
                Result.exercise_hash,
                Result.variant,
                Result.batch_id,
            )
            .outerjoin(Result, Result.submission_id == Submission.id)
            .where(Submission.id.in_(klass.ids))
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}
